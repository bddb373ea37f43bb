"""The 仙游县 demo world: regions, units, people, catalog and calendar. Deterministic and idempotent.
Tests build the same world once per database, so they run against the shapes a county really has."""

from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from gridsafe.accounts.identities import identities
from gridsafe.accounts.importer import import_people, import_teams, import_units
from gridsafe.accounts.models import Role, Unit, User
from gridsafe.accounts.permissions import ADMIN_ROLES
from gridsafe.accounts.routing import unit_routing
from gridsafe.catalog.calendar import calendar_seed
from gridsafe.catalog.categories import categories
from gridsafe.catalog.limits import time_limits
from gridsafe.core import clock
from gridsafe.demo.catalog import load_catalog
from gridsafe.regions.importer import import_regions
from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import RegionLevel

DEMO_PASSWORD = "gridsafe-demo"
DATA = Path(__file__).parent / "data"  # the county's own files (units, people, teams, places), made by make_data
SEPARATED = [r for r in ADMIN_ROLES if r != Role.ADMIN]  # 三员分立's accounts: never given the demo password
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

# username, display name, role, unit code (station-nanxi …: see named_station_villages). In demo/data/people.xlsx.
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


@transaction.atomic
def build_world() -> dict[str, User]:
    """Everything but cases, built as a county goes live: the region tree, then the county's units, people and
    patrol teams through the same imports (`gridsafe import`) from the files in demo/data. Returns the named demo
    users by username."""
    calendar_seed()
    report = import_regions(REGIONS_FILE, dry_run=False)  # the region tree as a county hands it over (GeoJSON)
    if report.problems:
        raise RuntimeError("demo region file: " + "; ".join(str(p) for p in report.problems[:5]))
    load_catalog({})  # domains before the departments that own them; categories after: two passes
    _load("units", import_units)
    departments = {s: Unit.objects.get(code=f"dept-{s}") for s, _n, _d in COUNTY_DEPARTMENTS}
    load_catalog({d: departments[s].pk for s, _n, ds in COUNTY_DEPARTMENTS for d in ds})
    _load("people", import_people)
    _load("teams", import_teams)

    password = make_password(DEMO_PASSWORD)  # hashed once: a thousand PBKDF2 runs would take minutes
    User.objects.update_or_create(
        username="admin",  # administrators are not imported (三员分立): the demo's all-round one is made here
        defaults={
            "display_name": "系统管理员",
            "role": Role.ADMIN,
            "unit": Unit.objects.get(code="county-centre"),
            "is_staff": True,
            "is_superuser": True,
            "is_active": True,
        },
    )
    # Imported accounts start with an unusable password (their owners set one with a reset code); the demo's all
    # share one, and took up their posts before the year of demo cases.
    User.objects.filter(is_active=True).exclude(role__in=SEPARATED).update(
        password=password, date_joined=STAFF_SINCE, password_changed_at=clock.now()
    )
    for cache in (grid_index, unit_routing, time_limits, categories, identities):
        cache.invalidate()
    named = {u.username: u for u in User.objects.filter(username__in=[n for n, *_ in NAMED_USERS])}
    return {n: named[n] for n, *_ in NAMED_USERS}


def _load(kind: str, run) -> None:
    """One of the county's files through the import a county uses; a problem in a shipped file is a bug."""
    report = run(DATA / f"{kind}.xlsx", dry_run=False)
    if not report.ok:
        raise RuntimeError(f"demo data {kind}.xlsx: " + "; ".join(str(p) for p in report.problems[:10]))


def named_station_villages(specs) -> dict[str, str]:
    """The villages of the named logins' stations ("station-nanxi" …) by their codes in the demo tree."""
    wanted = {
        "station-nanxi": ("南溪村", "350322101"),
        "station-quanshan": ("泉山村", "350322101"),
        "station-chengnei": ("城内社区", "350322001"),
    }
    found = {}
    for alias, (name, township) in wanted.items():
        found[alias] = next(
            s.code for s in specs if s.level == RegionLevel.VILLAGE and s.name == name and s.code.startswith(township)
        )
    return found
