from django.core.management.base import BaseCommand

from gridsafe.cases.models import Case
from gridsafe.demo.history import generate_history
from gridsafe.demo.world import build_world
from gridsafe.field.demo import seed_field_demo
from gridsafe.field.demo_history import seed_field_history


class Command(BaseCommand):
    help = "Load the 仙游县 demo: regions, units, people, catalog, calendar, and a year of synthetic cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1500, help="synthetic cases to generate (0: none)")
        parser.add_argument("--seed", type=int, default=350322)

    def handle(self, *args, cases, seed, **options):
        build_world()
        self.stdout.write("区划、单位、人员、类别与工作日历已就绪")
        if cases:
            if Case.objects.exists():
                self.stdout.write(f"已有 {Case.objects.count()} 条隐患，跳过生成")
            else:
                made = generate_history(cases=cases, seed=seed, progress=self.stdout.write)
                self.stdout.write(f"生成隐患 {made} 条")
        field = {**seed_field_demo(seed=seed), **seed_field_history(seed=seed)}
        self.stdout.write(
            f"检查表 {field['checklists']} 张、监管对象 {field['places']} 处、巡查 {field['patrols'] + field['patrol_history']} 次、"
            f"宣传活动 {field['publicity']} 次"
        )
