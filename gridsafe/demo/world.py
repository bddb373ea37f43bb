"""The 仙游县 demo world: regions, units, people, catalog and calendar. Deterministic and idempotent.
Tests build the same world once per database, so they run against the shapes a county really has."""

from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from gridsafe.accounts.identities import identities
from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.accounts.routing import unit_routing
from gridsafe.catalog.calendar import calendar_seed
from gridsafe.catalog.categories import categories
from gridsafe.catalog.limits import time_limits
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.demo.catalog import load_catalog
from gridsafe.regions.importer import import_regions
from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import Region, RegionLevel

DEMO_PASSWORD = "gridsafe-demo"
# When the demo's staff took up their posts: before the year of demo cases (and any back-dated test), so a desk's
# inbox holds every report that landed on it (notifications.services.inbox_catch_up starts at date_joined).
STAFF_SINCE = datetime(2020, 1, 1, tzinfo=UTC)
COUNTY = "350322"
BANGTOU = "350322101"
LICHENG = "350322001"
REGIONS_FILE = Path(__file__).parent / "data" / "regions-350322.geojson"  # made by geography.write_demo_files
CITY_REGIONS_FILE = Path(__file__).parent / "data" / "regions-350300.geojson"  # 莆田市 and 荔城区 (--with-city)

# code suffix, name, domains (county departments); the routing of domain.md §1.3
COUNTY_DEPARTMENTS = [
    ("fire", "县消防救援大队", ["fire", "rental"]),
    ("gas", "县住建局(燃气管理)", ["lpg"]),
    ("market", "县市场监管局", ["elevator"]),
    ("culture", "县文旅局", ["venue"]),
    ("police", "县公安局", ["fireworks", "road"]),
    ("emergency", "县应急管理局", ["hazmat"]),
]
TOWNSHIP_DEPARTMENTS = [
    ("safety", "安监站", ["fire", "rental", "fireworks", "venue", "hazmat", "road"]),
    ("construction", "村建站", ["lpg", "elevator"]),
]

# username, display name, role, unit code (or None), grids: how many of the unit's village grids
NAMED_USERS = [
    ("admin", "系统管理员", Role.ADMIN, "county-centre"),
    ("county", "郑华", Role.CENTRE_OPERATOR, "county-centre"),
    ("county_lead", "黄建国", Role.CENTRE_LEAD, "county-centre"),
    ("bangtou", "陈明", Role.CENTRE_OPERATOR, f"centre-{BANGTOU}"),
    ("bangtou_lead", "林志强", Role.CENTRE_LEAD, f"centre-{BANGTOU}"),
    ("nanxi", "王建平", Role.STATION_OFFICER, "station-nanxi"),
    ("nanxi_worker", "王芳", Role.GRID_WORKER, "station-nanxi"),
    ("quanshan", "林强", Role.STATION_OFFICER, "station-quanshan"),
    ("licheng_worker", "李秀英", Role.GRID_WORKER, "station-chengnei"),
    ("fire", "吴海", Role.DEPT_HANDLER, "dept-fire"),
    ("fire_lead", "蔡文", Role.DEPT_LEAD, "dept-fire"),
    ("gas", "许东", Role.DEPT_HANDLER, "dept-gas"),
    ("leader", "张书记", Role.LEADER, "county-leadership"),
]


def _named_village(name: str, township: str) -> Region:
    return Region.objects.get(level=RegionLevel.VILLAGE, name=name, path__startswith=township)


@transaction.atomic
def build_world(*, synthetic_staff: bool = True) -> dict[str, User]:
    """Everything but cases. Returns the named demo users by username."""
    calendar_seed()
    report = import_regions(REGIONS_FILE, dry_run=False)  # the region tree as a county hands it over (GeoJSON)
    if report.problems:
        raise RuntimeError("demo region file: " + "; ".join(str(p) for p in report.problems[:5]))
    by_code: dict[str, Region] = {r.code: r for r in Region.objects.defer("geometry")}
    county = by_code[COUNTY]

    units: dict[str, Unit] = {u.code: u for u in Unit.objects.all()}

    def unit(code: str, name: str, kind: str, region: Region, domains: list[str] = ()) -> Unit:
        obj = units.get(code)
        if obj is None:
            obj = Unit.objects.create(code=code, name=name, kind=kind, region=region)
            units[code] = obj
        if domains:
            obj.domains.set(Domain.objects.filter(code__in=domains))
        return obj

    unit("county-centre", "县网格化中心", UnitKind.CENTRE, county)
    unit("county-leadership", "县安全生产网格化管理领导小组", UnitKind.LEADERSHIP, county)
    departments = {}
    # Domains must exist before departments own them; categories need departments: two passes.
    load_catalog({})
    for suffix, name, domains in COUNTY_DEPARTMENTS:
        departments[suffix] = unit(f"dept-{suffix}", name, UnitKind.DEPARTMENT, county, domains)
    load_catalog({d: departments[s].pk for s, _n, ds in COUNTY_DEPARTMENTS for d in ds})
    for region in by_code.values():
        if region.level == RegionLevel.TOWNSHIP:
            unit(f"centre-{region.code}", f"{region.name}网格化中心", UnitKind.CENTRE, region)
            unit(f"command-{region.code}", f"{region.name}安全生产专项整治指挥部", UnitKind.COMMAND, region)
            for suffix, name, domains in TOWNSHIP_DEPARTMENTS:
                unit(f"{suffix}-{region.code}", f"{region.name}{name}", UnitKind.DEPARTMENT, region, domains)
        elif region.level == RegionLevel.VILLAGE:
            unit(f"station-{region.code}", f"{region.name}网格管理站", UnitKind.STATION, region)
    aliases = {
        "station-nanxi": _named_village("南溪村", "350322.101"),
        "station-quanshan": _named_village("泉山村", "350322.101"),
        "station-chengnei": _named_village("城内社区", "350322.001"),
    }
    for alias, village in aliases.items():
        units[alias] = units[f"station-{village.code}"]

    password = make_password(DEMO_PASSWORD)  # hashed once: a thousand PBKDF2 runs would take minutes
    named: dict[str, User] = {}
    for username, display, role, unit_code in NAMED_USERS:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "display_name": display,
                "role": role,
                "unit": units[unit_code],
                "password": password,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                "is_active": True,
                "date_joined": STAFF_SINCE,
                "password_changed_at": clock.now(),  # a demo re-run is never born expired
            },
        )
        named[username] = user
    nanxi_grids = Region.objects.filter(parent=aliases["station-nanxi"]).order_by("code")
    named["nanxi_worker"].grids.set(nanxi_grids[:2])
    chengnei_grids = Region.objects.filter(parent=aliases["station-chengnei"]).order_by("code")
    named["licheng_worker"].grids.set(chengnei_grids[:1])
    if synthetic_staff:
        _synthetic_staff(by_code, units, password, taken={g.pk for g in nanxi_grids[:2]} | {chengnei_grids[0].pk})
    for cache in (grid_index, unit_routing, time_limits, categories, identities):
        cache.invalidate()
    return named


def _synthetic_staff(by_code: dict[str, Region], units: dict[str, Unit], password: str, taken: set[int]) -> None:
    """A station officer per village, an operator per township centre, a worker per grid: the people the
    year of demo cases is worked by. Same hash for all; none of them is printed as a login."""
    existing = set(User.objects.values_list("username", flat=True))
    new_users, grid_links = [], []

    def add(username: str, display_name: str, role: str, unit_code: str) -> bool:
        """Queue one user unless it exists; True when queued."""
        if username in existing:
            return False
        new_users.append(
            User(
                username=username,
                display_name=display_name,
                role=role,
                unit=units[unit_code],
                password=password,
                date_joined=STAFF_SINCE,
            )
        )
        return True

    for region in sorted(by_code.values(), key=lambda r: r.path):
        if region.level == RegionLevel.TOWNSHIP:
            for role, tag in ((Role.CENTRE_OPERATOR, "op"), (Role.CENTRE_LEAD, "lead")):
                post = "值班长" if tag == "lead" else "受理员"
                add(f"t{region.code}-{tag}", f"{region.name}{post}", role, f"centre-{region.code}")
            add(f"t{region.code}-command", f"{region.name}指挥部联络员", Role.CENTRE_OPERATOR, f"command-{region.code}")
            for suffix, _n, _d in TOWNSHIP_DEPARTMENTS:
                # A lead and a handler: a 重大 case is 销号 by a lead who did not handle it.
                for tail, role, post in (("", Role.DEPT_LEAD, "负责人"), ("-h", Role.DEPT_HANDLER, "办理人")):
                    add(f"t{region.code}-{suffix}{tail}", f"{region.name}{_n}{post}", role, f"{suffix}-{region.code}")
        elif region.level == RegionLevel.VILLAGE:
            add(f"v{region.code}", f"{region.name}站长", Role.STATION_OFFICER, f"station-{region.code}")
        elif region.level == RegionLevel.GRID and region.pk not in taken:
            village = by_code[region.code[:12]]
            name = f"g{region.code}"
            if add(name, f"{region.name}网格员", Role.GRID_WORKER, f"station-{village.code}"):
                grid_links.append((name, region.pk))
    for suffix, name, _d in COUNTY_DEPARTMENTS:
        if suffix not in ("fire", "gas"):
            add(f"{suffix}-staff", f"{name}办理人", Role.DEPT_HANDLER, f"dept-{suffix}")
        if suffix != "fire":
            add(f"{suffix}-lead", f"{name}负责人", Role.DEPT_LEAD, f"dept-{suffix}")
    User.objects.bulk_create(new_users, batch_size=500)
    ids = dict(User.objects.filter(username__in=[n for n, _ in grid_links]).values_list("username", "pk"))
    through = User.grids.through
    through.objects.bulk_create(
        [through(user_id=ids[n], region_id=r) for n, r in grid_links], batch_size=500, ignore_conflicts=True
    )
