from django.core.management.base import BaseCommand

from gridsafe.cases.models import Case
from gridsafe.channels.demo import seed_channels_demo
from gridsafe.dashboards.demo import seed_oversight_demo
from gridsafe.demo.history import generate_history
from gridsafe.demo.world import build_world
from gridsafe.field.demo import seed_field_demo
from gridsafe.field.demo_history import seed_field_history
from gridsafe.field.demo_registers import seed_registers_demo
from gridsafe.field.demo_teams import seed_team_patrols
from gridsafe.hazards.demo import seed_hazards_demo
from gridsafe.messaging.demo import seed_messaging_demo
from gridsafe.video.demo import seed_video_demo
from gridsafe.web.demo_downloads import seed_downloads_demo


class Command(BaseCommand):
    help = "Load the 仙游县 demo: regions, units, people, catalog, calendar, and a year of synthetic cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1500, help="synthetic cases to generate (0: none)")
        parser.add_argument("--seed", type=int, default=350322)
        parser.add_argument("--with-city", action="store_true", help="also 莆田市 and a second county, 荔城区")
        # `gridsafe demo` serves as soon as the world is in and loads the year of life behind it (the first page
        # within a minute of the install, not after the ~5-minute history).
        part = parser.add_mutually_exclusive_group()
        part.add_argument("--world-only", action="store_true", help="regions, units, people, catalog only")
        part.add_argument("--skip-world", action="store_true", help="the history only, on a world already loaded")

    def handle(self, *args, cases, seed, world_only=False, skip_world=False, **options):
        if not skip_world:
            build_world()
            self.stdout.write("区划、单位、人员、类别与工作日历已就绪")
        if world_only:
            return
        if cases:
            if Case.objects.exists():
                self.stdout.write(f"已有 {Case.objects.count()} 条隐患，跳过生成")
            else:
                made = generate_history(cases=cases, seed=seed, progress=self.stdout.write)
                self.stdout.write(f"生成隐患 {made} 条")
        field = {**seed_field_demo(seed=seed), **seed_field_history(seed=seed)}
        field["patrol_history"] += seed_team_patrols(seed=seed)  # the patrol teams' recent walks
        self.stdout.write(
            f"检查表版本 {field['checklists']} 个、监管对象 {field['places']} 处、检查打卡 {field['visits']} 次、"
            f"巡查 {field['patrols'] + field['patrol_history']} 次、"
            f"宣传活动 {field['publicity']} 次"
        )
        self.stdout.write(seed_registers_demo(seed=seed))  # 对象台账, risk points, enterprises (issue 16)
        oversight = seed_oversight_demo(seed=seed, progress=self.stdout.write)  # after the cases and patrols
        self.stdout.write(
            f"领导检查/例会 {oversight['activities']} 次、信息材料 {oversight['reports']} 篇、督导 {oversight['visits']} 次、"
            f"往期通报 {oversight['bulletins']} 期"
        )
        self.stdout.write(
            "消息推送：推送规则 {rules} 条、发送记录 {deliveries} 条、上报推送 {webhooks} 条".format(
                **seed_messaging_demo(seed=seed)
            )
        )
        self.stdout.write(seed_video_demo(seed=seed))  # cameras, gateway, a year of video alarms (issue 15)
        self.stdout.write(seed_channels_demo(seed=seed))  # 12345 work orders, Open311 and 随手拍 (issue 15)
        self.stdout.write(seed_hazards_demo(seed=seed))  # enterprises, self-inspections, 重大隐患 (issue 16)
        self.stdout.write(seed_downloads_demo(seed=seed))  # 我的下载: an export done, one expired (issue 18)
        if options.get("with_city"):
            from gridsafe.dashboards.rollups import rollups_rebuild
            from gridsafe.demo.city import build_city

            build_city()
            rollups_rebuild()  # the county's cases now count at the city too
            self.stdout.write("莆田市与荔城区已就绪：市网格化中心的人员可看到两个县区")
