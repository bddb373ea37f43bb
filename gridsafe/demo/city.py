"""莆田市 above 仙游县 and a second county, 荔城区 (`gridsafe demo --with-city`).

The city and 荔城区's region tree come from a shipped GeoJSON through the same import a county uses
(`regions.importer`); 仙游县 keeps its paths and hangs under the city. The people: a city grid centre (城市网格化中心)
whose staff see both counties, 荔城区's own district centre, township centres, village stations and one grid
worker per grid, and a few reports in 荔城区 through the real report service, so the city's rankings and big
screen show two counties. Deterministic and idempotent."""

import uuid

from django.contrib.auth.hashers import make_password
from django.db import transaction

from gridsafe.accounts.importer import (
    PEOPLE,
    UNITS,
    import_people,
    import_units,
    template_people,
    template_units,
)
from gridsafe.accounts.models import ROLE_POSTS, Role, User
from gridsafe.accounts.routing import unit_routing
from gridsafe.cases.models import Case
from gridsafe.cases.services import case_report
from gridsafe.demo.make_data import filled_workbook
from gridsafe.demo.world import CITY_REGIONS_FILE, DEMO_PASSWORD, STAFF_SINCE
from gridsafe.regions.importer import import_regions
from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import Region, RegionLevel

CITY = "350300"
DISTRICT = "350304"
CITY_NS = uuid.UUID("6f1d2a3b-8c4e-5d6f-9a0b-350300000001")

# username, display name, role, unit code: the logins `gridsafe demo --with-city` prints
CITY_USERS = [
    ("putian", "方志远", Role.CENTRE_OPERATOR, "city-centre"),
    ("putian_lead", "郭丽华", Role.CENTRE_LEAD, "city-centre"),
    ("putian_leader", "市领导", Role.LEADER, "city-leadership"),
    ("lichengqu", "黄晓东", Role.CENTRE_OPERATOR, f"county-centre-{DISTRICT}"),
]
SAMPLE_REPORTS = [
    ("fire-ebike-indoor", "楼道内有电动车充电"),
    ("fire-escape-blocked", "安全出口被杂物堵塞"),
    ("lpg-no-inspection", "餐馆液化气钢瓶超期未检验"),
]


@transaction.atomic
def build_city(*, reports: int = 24) -> dict[str, User]:
    """The city and 荔城区 (regions, units, people) and `reports` sample cases in 荔城区. Returns the city logins."""
    report = import_regions(CITY_REGIONS_FILE, dry_run=False)
    if report.problems:
        raise RuntimeError("demo city region file: " + "; ".join(str(p) for p in report.problems[:5]))
    regions = {
        r.code: r for r in Region.objects.defer("geometry").filter(code__startswith=DISTRICT).order_by("path")
    } | {CITY: Region.objects.defer("geometry").get(code=CITY)}
    # The city's and 荔城区's units and people go in as a county hands them over: the two workbooks of
    # `gridsafe import units|people`, filled in here rather than shipped (the district's tree is generated).
    district = regions[DISTRICT]
    units = [
        ["city-centre", "莆田市网格化服务管理中心", "网格化中心", CITY],
        ["city-leadership", "莆田市安全生产网格化管理领导小组", "领导小组", CITY],
        [f"county-centre-{DISTRICT}", f"{district.name}网格化中心", "网格化中心", DISTRICT],
    ]
    people = [[u, d, "", ROLE_POSTS[r], c, ""] for u, d, r, c in CITY_USERS]
    for region in regions.values():
        if region.level == RegionLevel.TOWNSHIP:
            units.append([f"centre-{region.code}", f"{region.name}网格化中心", "网格化中心", region.code])
            people.append([f"t{region.code}-op", f"{region.name}受理员", "", "受理员", f"centre-{region.code}", ""])
        elif region.level == RegionLevel.VILLAGE:
            units.append([f"station-{region.code}", f"{region.name}网格管理站", "村网格站", region.code])
            people.append([f"v{region.code}", f"{region.name}站长", "", "站长", f"station-{region.code}", ""])
        elif region.level == RegionLevel.GRID:
            station = f"station-{region.code[:12]}"
            people.append([f"g{region.code}", f"{region.name}网格员", "", "网格员", station, region.code])
    for kind, run, template, sheet, rows in (
        ("units", import_units, template_units(), UNITS, units),
        ("people", import_people, template_people(), PEOPLE, people),
    ):
        report = run(filled_workbook(template, {sheet.name: rows}), dry_run=False)
        if not report.ok:
            raise RuntimeError(f"demo city {kind}: " + "; ".join(str(p) for p in report.problems[:5]))
    # Imported accounts start without a password; the demo's all share one.
    User.objects.filter(username__in=_usernames(regions)).update(
        password=make_password(DEMO_PASSWORD), date_joined=STAFF_SINCE
    )
    for cache in (grid_index, unit_routing):
        cache.invalidate()
    _sample_reports(regions, reports)
    named = {u.username: u for u in User.objects.filter(username__in=[n for n, *_ in CITY_USERS])}
    return {n: named[n] for n, *_ in CITY_USERS}


def _usernames(regions: dict[str, Region]) -> list[str]:
    prefix = {RegionLevel.TOWNSHIP: "t", RegionLevel.VILLAGE: "v", RegionLevel.GRID: "g"}
    names = [n for n, *_ in CITY_USERS]
    for r in regions.values():
        if r.level in prefix:
            names.append(f"{prefix[r.level]}{r.code}" + ("-op" if r.level == RegionLevel.TOWNSHIP else ""))
    return names


def _sample_reports(regions: dict[str, Region], count: int) -> None:
    """Reports by 荔城区's grid workers in their own grids (idempotent on the client id)."""
    grids = [r for r in regions.values() if r.level == RegionLevel.GRID]
    workers = {u.username: u for u in User.objects.filter(username__startswith=f"g{DISTRICT}")}
    for i in range(min(count, len(grids)) if not Case.objects.filter(region_path__startswith=DISTRICT).exists() else 0):
        grid = grids[(i * 7) % len(grids)]
        category, description = SAMPLE_REPORTS[i % len(SAMPLE_REPORTS)]
        case_report(
            actor=workers[f"g{grid.code}"],
            client_id=uuid.uuid5(CITY_NS, f"{grid.code}-{i}"),
            category_code=category,
            description=description,
            lon=grid.center_lon,
            lat=grid.center_lat,
            accuracy_m=8,
        )
