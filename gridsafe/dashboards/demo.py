"""The oversight part of the 仙游县 demo: a year of leaders' inspections and meetings at their cadences (some
missed), 信息材料 from every responsible unit (some months short), quarterly 督导 visits with follow-up cases, and
the monthly bulletins and quarterly reports already generated for past months, as the worker would have made them.

Deterministic (one seed) and idempotent: a second run adds nothing. Call it after the cases exist
(`gridsafe load_demo` does), outside any transaction: each bulletin is generated in its own."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.models import Case
from gridsafe.core import clock
from gridsafe.dashboards import config
from gridsafe.dashboards.bulletins import bulletin_generate, county_region
from gridsafe.dashboards.inforeports import responsible_units
from gridsafe.dashboards.models import (
    ActivityKind,
    Bulletin,
    BulletinKind,
    Cadence,
    InfoReport,
    LeaderActivity,
    OversightVisit,
    RunStatus,
    ScheduleRun,
)
from gridsafe.dashboards.periods import month_period, quarter_period
from gridsafe.dashboards.schedule import MONTHLY_JOB, QUARTERLY_JOB, bulletin_day, cadence_window, office_opening
from gridsafe.regions.models import Region, RegionLevel

# How often a node misses its week's (or month's) inspection or meeting in the demo, by level.
MISS_RATE = {RegionLevel.COUNTY: 0.08, RegionLevel.TOWNSHIP: 0.08, RegionLevel.VILLAGE: 0.15}
REPORT_TITLES = [
    "{name}推进“网格化+安全生产”工作的做法",
    "{name}出租房电动车集中充电改造经验",
    "{name}液化气供应点规范整治情况",
    "{name}安全生产宣传周活动总结",
    "{name}网格员巡查发现隐患典型案例",
    "{name}烟花爆竹“打非治违”工作简报",
    "{name}电梯维保记录专项检查情况",
    "{name}村网格站隐患研判工作机制",
]
FINDINGS = [
    "部分网格员巡查轨迹不足，个别网格当周未巡查；隐患照片未按要求拍摄整改前后同角度对比。",
    "出租房楼道电动车充电现象仍较普遍，个别“三合一”场所未落实分隔措施。",
    "液化气瓶未按规定存放，部分餐饮单位未安装燃气报警装置。",
    "村网格站研判记录不完整，超期未处置隐患未及时上报乡镇中心。",
    "信息材料报送不及时，工作台账未按月汇总成册。",
]


def seed_oversight_demo(*, seed: int = 350322, now: datetime | None = None, progress: Callable = print) -> dict:
    now = now or clock.now()
    rng = random.Random(seed + 14)
    out = {"activities": 0, "reports": 0, "visits": 0, "bulletins": 0}
    if not LeaderActivity.objects.exists():
        out["activities"] = _seed_activities(rng, now)
    if not InfoReport.objects.exists():
        out["reports"] = _seed_reports(rng, now)
    if not OversightVisit.objects.exists():
        out["visits"] = _seed_visits(rng, now)
    out["bulletins"] = _seed_bulletins(now, progress)
    return out


def _aware(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def _desk(units: dict[str, Unit], code: str, roles: tuple[str, ...]) -> User | None:
    unit = units.get(code)
    if unit is None:
        return None
    return next((u for u in unit.demo_members if u.role in roles), None)


@transaction.atomic
def _seed_activities(rng: random.Random, now: datetime) -> int:
    """A year of 领导带队检查 and 例会 per CadenceRule at every county, township and village node; some missed."""
    county = county_region()
    nodes = list(
        Region.objects.filter(Q(path=county.path) | Q(path__startswith=county.path + "."))
        .filter(level__lte=RegionLevel.VILLAGE, is_active=True)
        .defer("geometry")
        .order_by("path")
    )
    units = {u.code: u for u in Unit.objects.filter(kind__in=[UnitKind.CENTRE, UnitKind.STATION, UnitKind.LEADERSHIP])}
    members: dict[int, list[User]] = {}
    for user in User.objects.filter(unit__in=units.values(), is_active=True).order_by("pk"):
        members.setdefault(user.unit_id, []).append(user)
    for unit in units.values():
        unit.demo_members = members.get(unit.pk, [])
    leader = User.objects.filter(role=Role.LEADER, is_active=True).order_by("pk").first()
    today = timezone.localtime(now).date()
    start = today - timedelta(days=365)
    rows = []
    for rule in config.cadence_rules():
        for node in (n for n in nodes if n.level == rule.region_level):
            if node.level == RegionLevel.COUNTY:
                desk = _desk(units, "county-centre", (Role.CENTRE_LEAD, Role.CENTRE_OPERATOR))
                who = leader.display_name if leader and rule.kind == ActivityKind.INSPECTION else "县网格化中心主任"
            elif node.level == RegionLevel.TOWNSHIP:
                desk = _desk(units, f"centre-{node.code}", (Role.CENTRE_LEAD, Role.CENTRE_OPERATOR))
                who = f"{node.name}分管领导"
            else:
                desk = _desk(units, f"station-{node.code}", (Role.STATION_OFFICER,))
                who = f"{node.name}网格站站长"
            if desk is None:
                continue
            first, _last = cadence_window(rule.cadence, start)
            while first <= today:
                _f, last = cadence_window(rule.cadence, first)
                span = (min(last, today) - first).days
                missed = rng.random() < MISS_RATE[RegionLevel(node.level)]
                for _ in range(0 if missed else rule.times):
                    day = first + timedelta(days=rng.randint(0, max(0, min(span, 4))))
                    held = _aware(day, rng.choice((9, 10, 15, 16)), rng.choice((0, 30)))
                    if held > now:
                        continue
                    rows.append(
                        LeaderActivity(
                            kind=rule.kind,
                            region=node,
                            region_path=node.path,
                            title=rule.title,
                            held_at=held,
                            leader=leader if node.level == RegionLevel.COUNTY and rule.kind == "inspection" else None,
                            leader_name=who,
                            attendees="" if rule.kind == ActivityKind.INSPECTION else "各网格员、站点负责人",
                            minutes=_minutes(rng, rule.kind),
                            created_by=desk,
                            created_at=held + timedelta(hours=2),
                        )
                    )
                first = last + timedelta(days=1)
                if rule.cadence == Cadence.MONTH:
                    first = first.replace(day=1)
    LeaderActivity.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _minutes(rng: random.Random, kind: str) -> str:
    if kind == ActivityKind.INSPECTION:
        return rng.choice(
            [
                "检查出租房、小餐饮等场所，现场督促整改电动车违规充电问题。",
                "抽查网格员巡查记录和隐患台账，部分网格巡查轨迹偏短，已要求补齐。",
                "检查液化气供应点和烟花爆竹经营点，未发现重大隐患。",
            ]
        )
    return rng.choice(
        [
            "通报本周隐患上报与处置情况，部署下周巡查重点。",
            "研判超期未处置隐患，明确责任人和整改时限。",
            "传达县网格化中心通报精神，布置信息材料报送。",
        ]
    )


@transaction.atomic
def _seed_reports(rng: random.Random, now: datetime) -> int:
    """信息材料 for the past twelve months and this month so far: most units meet the quota of 2, some fall short."""
    units = responsible_units(county_region())
    staff = {}
    for user in User.objects.filter(unit__in=[u for u, _m in units], is_active=True).exclude(role=Role.GRID_WORKER):
        staff.setdefault(user.unit_id, user)
    today = timezone.localtime(now).date()
    month = month_period(today)
    months = [month]
    for _ in range(12):
        months.append(months[-1].previous())
    rows = []
    for unit, minimum in units:
        author = staff.get(unit.pk)
        if author is None:
            continue
        for m in months:
            last_day = min(m.end, today)
            if m == month:
                count = rng.choice((0, 1, 1, 2))  # the month is not over: some still to come
            else:
                count = minimum + rng.choice((0, 0, 0, 1)) if rng.random() > 0.12 else rng.choice((0, 1))
            for i in range(count):
                day = m.start + timedelta(days=rng.randint(0, max(0, (last_day - m.start).days)))
                at = _aware(day, 16, 10 * i)
                if at > now:
                    at = now - timedelta(hours=1)
                rows.append(
                    InfoReport(
                        unit=unit,
                        month=m.start,
                        title=rng.choice(REPORT_TITLES).format(name=unit.name.replace("网格化中心", "")),
                        summary="介绍本单位做法、成效和下一步打算。",
                        submitted_by=author,
                        submitted_at=at,
                    )
                )
    InfoReport.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def _seed_visits(rng: random.Random, now: datetime) -> int:
    """Each past quarter of the year the county's 督导组 visits most townships and a few departments; findings are
    followed up by cases of the visited township (linked from the year of demo cases)."""
    county = county_region()
    recorder = User.objects.filter(role=Role.CENTRE_LEAD, unit__code="county-centre").first()
    if recorder is None:
        return 0
    leader = User.objects.filter(role=Role.LEADER).order_by("pk").first()
    townships = list(Region.objects.filter(parent=county, is_active=True).defer("geometry").order_by("code"))
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, region=county, is_active=True).order_by("code"))
    today = timezone.localtime(now).date()
    quarter = quarter_period(today)
    quarters = [quarter.previous()]
    for _ in range(3):
        quarters.append(quarters[-1].previous())
    quarters.append(quarter)  # this quarter: the visits so far
    made = 0
    for q in quarters:
        last = min(q.end, today - timedelta(days=1))
        if last < q.start:
            continue
        visited = rng.sample(townships, k=min(len(townships), 5 if q == quarter else 14))
        targets = [(t, None) for t in visited] + [(county, d) for d in rng.sample(departments, k=2)]
        for region, unit in targets:
            day = q.start + timedelta(days=rng.randint(10, max(10, (last - q.start).days)))
            day = min(day, last)
            visit = OversightVisit.objects.create(
                region=region,
                region_path=region.path,
                unit=unit,
                visited_on=day,
                leader_name=leader.display_name if leader and rng.random() < 0.4 else "县网格化中心督导组组长",
                team="县网格化中心、县应急管理局、县消防救援大队有关人员",
                places="随机抽查 3 个网格、出租房和液化气供应点各 2 处",
                findings=rng.choice(FINDINGS),
                requirements="请于整改期限前完成整改，并将整改情况报县网格化中心。",
                rectify_by=day + timedelta(days=15),
                created_by=recorder,
                created_at=_aware(day, 18),
            )
            cases = Case.objects.filter(
                Q(region_path__startswith=region.path + ".") if unit is None else Q(department=unit),
                created_at__lte=_aware(day, 18),
            ).order_by("-created_at")[:40]
            pool = list(cases.values_list("pk", flat=True))
            if pool:
                visit.cases.add(*rng.sample(pool, k=min(len(pool), rng.randint(1, 3))))
            made += 1
    return made


def _seed_bulletins(now: datetime, progress: Callable) -> int:
    """The bulletins of the past twelve months and the quarterly reports of the past quarters, each generated at
    the moment the worker would have (first working day, office opening) and recorded as that run. Skips what
    exists, so a demo reload costs nothing here."""
    county = county_region()
    today = timezone.localtime(now).date()
    first = today.replace(day=1)
    dues = []
    for _ in range(12):
        at = office_opening(bulletin_day(first))
        previous = month_period(first - timedelta(days=1))
        if at <= now:
            dues.append((at, BulletinKind.MONTHLY, previous))
            if first == quarter_period(first).start:
                dues.append((at, BulletinKind.QUARTERLY, quarter_period(first).previous()))
        first = previous.start
    have = set(Bulletin.objects.filter(region=county).values_list("kind", "period_start"))
    made = 0
    for at, kind, period in sorted(dues, key=lambda d: (d[0], d[1])):
        if (kind, period.start) in have:
            continue
        with clock.frozen(at + timedelta(minutes=1)):
            bulletin_generate(kind=kind, period=period, region=county)
        job = MONTHLY_JOB if kind == BulletinKind.MONTHLY else QUARTERLY_JOB
        ScheduleRun.objects.get_or_create(
            job=job,
            period=period.key,
            defaults={"status": RunStatus.DONE, "due_at": at, "started_at": at, "finished_at": at},
        )
        made += 1
        progress(f"通报 {period.label}{'督导报告' if kind == BulletinKind.QUARTERLY else '月度通报'}已生成")
    return made
