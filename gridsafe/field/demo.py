"""Demo data of the field app: checklists per domain (domain.md §8), supervised places in every grid of 榜头镇 and
a few elsewhere, and some patrols of 王芳 (nanxi_worker). Deterministic and idempotent: a second run adds nothing.

Call `seed_field_demo()` after `build_world()` and outside any transaction: patrols and visits go through the
field services, which are durable transactions of their own."""

import random
import uuid
from datetime import timedelta
from pathlib import Path

import shapely
from shapely.geometry import shape

from gridsafe.accounts.models import User
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.field.checklists.services import (
    ItemSpec,
    checklist_draft_create,
    checklist_items_save,
    checklist_publish,
)
from gridsafe.field.models import ChecklistTemplate, Patrol, PlaceVisit
from gridsafe.field.services import patrol_end, patrol_start, patrol_track_append, place_visit_record
from gridsafe.places.importer import import_places
from gridsafe.places.models import Place, PlaceKind, RiskLevel
from gridsafe.places.schedule import schedule_for

# The demo county's place list, in the demo app's data folder with its other files (a path, not an import).
PLACES_FILE = Path(__file__).resolve().parent.parent / "demo" / "data" / "places.xlsx"

NS = uuid.UUID("2b7e4d7c-8f0a-4c55-9d1e-6a3f0b9c1e42")
BANGTOU_PATH = "350322.101"
CHECKLIST_SOURCE = "县安监局《隐患排查表》(2017) 示例，按 domain.md §8 整理；条款以县里确认的版本为准"

G, M = "general", "possibly_major"
# (domain, place kind, title, [(code, question, category, severity, legal basis, photo on fail, N/A allowed, weight)])
# fmt: off
CHECKLISTS = [
    (
        "fire",
        PlaceKind.CROWDED_PLACE,
        "人员密集场所/三合一场所消防检查表",
        [
            ("F01", "疏散通道、安全出口畅通，未堵塞、锁闭或占用", "fire-escape-blocked", G, "《消防法》第二十八条", True, False, 3),
            ("F02", "生产、储存、经营场所未与住宿设在同一建筑内（无“三合一”住人）", "fire-three-in-one", M, "GB 35181-2025《重大火灾隐患判定规则》", True, False, 3),
            ("F03", "电动自行车未在室内、楼道或安全出口处停放、充电", "fire-ebike-indoor", G, "《高层民用建筑消防安全管理规定》第三十七条", True, False, 2),
            ("F04", "灭火器配置齐全、压力正常且在有效期内", "fire-extinguisher", G, "《消防法》第十六条", True, False, 1),
            ("F05", "防盗窗（网）设有可从内部开启的逃生口", "fire-window-bars", G, "《消防法》第二十八条", True, True, 1),
        ],
    ),
    (
        "fire",
        "",
        "通用消防安全检查表",
        [
            ("F01", "疏散通道、安全出口畅通，未堵塞、锁闭或占用", "fire-escape-blocked", G, "《消防法》第二十八条", True, False, 3),
            ("F03", "电动自行车未在室内、楼道或安全出口处停放、充电", "fire-ebike-indoor", G, "《高层民用建筑消防安全管理规定》第三十七条", True, False, 2),
            ("F04", "灭火器配置齐全、压力正常且在有效期内", "fire-extinguisher", G, "《消防法》第十六条", True, True, 1),
        ],
    ),
    (
        "rental",
        PlaceKind.RENTAL_HOUSING,
        "出租房安全检查表",
        [
            ("R01", "电动自行车未在室内、楼道或安全出口处停放、充电", "fire-ebike-indoor", G, "《高层民用建筑消防安全管理规定》第三十七条", True, False, 3),
            ("R02", "电气线路无私拉乱接、无超负荷用电", "rental-wiring", G, "GB 50016《建筑设计防火规范》", True, False, 2),
            ("R03", "居住人数未超过核定人数（无群租）", "rental-overcrowded", G, "", False, False, 1),
            ("R04", "疏散通道、楼梯间畅通，未堆放杂物", "fire-escape-blocked", G, "《消防法》第二十八条", True, False, 2),
            ("R05", "防盗窗（网）设有可从内部开启的逃生口", "fire-window-bars", G, "《消防法》第二十八条", True, True, 1),
            ("R06", "液化气钢瓶未存放、使用于地下室或半地下室", "lpg-basement", M, "住建部《城镇燃气经营安全重大隐患判定标准》(2023)", True, True, 3),
        ],
    ),
    (
        "lpg",
        PlaceKind.LPG_POINT,
        "液化气供应点检查表",
        [
            ("L01", "持有有效燃气经营许可证，无非法充装、倒灌、售卖", "lpg-illegal-filling", M, "《城镇燃气管理条例》第十五条", True, False, 3),
            ("L02", "钢瓶均在检验有效期内，无超期未检或报废钢瓶", "lpg-no-inspection", G, "TSG 23-2021《气瓶安全技术规程》", True, False, 2),
            ("L03", "钢瓶未存放于地下室、半地下室或住人房间", "lpg-basement", M, "住建部《城镇燃气经营安全重大隐患判定标准》(2023)", True, False, 3),
            ("L04", "灭火器配置齐全、压力正常且在有效期内", "fire-extinguisher", G, "《消防法》第十六条", True, False, 1),
        ],
    ),
    (
        "fireworks",
        PlaceKind.FIREWORKS_SELLER,
        "烟花爆竹经营（零售）点检查表",
        [
            ("W01", "持有有效的烟花爆竹经营（零售）许可证", "fireworks-unlicensed", M, "《烟花爆竹安全管理条例》第三条", True, False, 3),
            ("W02", "烟花爆竹未存放于居民住宅内", "fireworks-stored-home", M, "《烟花爆竹安全管理条例》", True, False, 3),
            ("W03", "灭火器配置齐全、压力正常且在有效期内", "fire-extinguisher", G, "《消防法》第十六条", True, False, 1),
            ("W04", "店内及门前通道畅通，未堵塞", "fire-escape-blocked", G, "《消防法》第二十八条", True, False, 1),
        ],
    ),
    (
        "venue",
        PlaceKind.ENTERTAINMENT_VENUE,
        "文化娱乐场所消防检查表",
        [
            ("V01", "安全出口数量、宽度满足要求，营业期间未锁闭", "venue-exit", M, "GB 35181-2025《重大火灾隐患判定规则》", True, False, 3),
            ("V02", "火灾自动报警、自动喷水灭火系统处于正常工作状态", "venue-fire-system", G, "《消防法》第十六条", True, True, 2),
            ("V03", "疏散通道畅通，疏散指示标志、应急照明完好", "fire-escape-blocked", G, "《消防法》第二十八条", True, False, 2),
            ("V04", "灭火器配置齐全、压力正常且在有效期内", "fire-extinguisher", G, "《消防法》第十六条", True, False, 1),
        ],
    ),
    (
        "elevator",
        PlaceKind.ELEVATOR,
        "电梯日常检查表（检验标志、维保记录）",
        [
            ("E01", "轿厢内张贴有效的特种设备使用标志（检验合格标志）", "elevator-no-mark", G, "《特种设备安全法》第三十三条", True, False, 2),
            ("E02", "有近 15 日内的维护保养记录", "elevator-no-maintenance", G, "《特种设备安全法》第四十五条", True, False, 2),
        ],
    ),
    (
        "road",
        PlaceKind.ROAD_SECTION,
        "道路交通安全巡查表",
        [
            ("D01", "路面无破损、坑洼、塌陷", "road-damaged", G, "《公路安全保护条例》", True, False, 2),
            ("D02", "交通标志、标线齐全清晰", "road-signs", G, "GB 5768《道路交通标志和标线》", True, False, 1),
            ("D03", "事故多发路段已设置警示标志或减速设施", "road-blackspot", G, "《道路交通安全法》", True, True, 1),
        ],
    ),
]
# fmt: on

SURNAMES = "林陈黄郑王李吴蔡许张刘方"
GIVEN = ["建华", "秀英", "志明", "丽娟", "国强", "美玲", "文斌", "金花", "永福", "雪梅", "海峰", "春燕"]
# kind, name pattern, domain, risk weights (red, orange, yellow, blue)
PLACE_KINDS = [
    (PlaceKind.RENTAL_HOUSING, "{village}{n}号出租房", "rental", (1, 3, 5, 2)),
    (PlaceKind.LPG_POINT, "{surname}记液化气供应点", "lpg", (2, 4, 3, 0)),
    (PlaceKind.CROWDED_PLACE, "{village}{surname}氏家具加工作坊", "fire", (2, 3, 3, 1)),
    (PlaceKind.FIREWORKS_SELLER, "{surname}氏烟花爆竹零售点", "fireworks", (1, 3, 4, 1)),
    (PlaceKind.ENTERTAINMENT_VENUE, "{village}欢乐KTV", "venue", (1, 3, 3, 1)),
    (PlaceKind.ELEVATOR, "{village}安居小区{n}号楼电梯", "elevator", (0, 1, 5, 3)),
    (PlaceKind.ROAD_SECTION, "{village}村道{n}段", "road", (1, 2, 4, 3)),
]
RISKS = [RiskLevel.RED, RiskLevel.ORANGE, RiskLevel.YELLOW, RiskLevel.BLUE]


def seed_field_demo(*, seed: int = 350322) -> dict[str, int]:
    """Checklists (with their published history), places, past visits and 王芳's patrols. Returns how many of
    each were created."""
    made = {"checklists": _seed_checklists(), "places": _seed_places(seed)}
    made["visits"] = _seed_visits(seed)
    made["patrols"] = _seed_patrols(seed)
    return made


# Earlier versions, as the county wrote them before the current ones in CHECKLISTS: (domain, kind, days before
# today it was published, the codes it had, {code: weight changed}, change note of the version after it).
# 人员密集场所 went through three versions, 出租房 through two; the rest have one. Past visits answer the version
# that was current on their day (_seed_visits).
HISTORY = [
    ("fire", PlaceKind.CROWDED_PLACE, 330, ("F01", "F02", "F04"), {"F01": 2}, "增加电动自行车停放充电检查项"),
    ("fire", PlaceKind.CROWDED_PLACE, 200, ("F01", "F02", "F03", "F04"), {}, "增加防盗窗逃生口检查项，调整权重"),
    ("rental", PlaceKind.RENTAL_HOUSING, 260, ("R01", "R02", "R03", "R04", "R05"), {}, "增加液化气钢瓶存放检查项"),
]
CURRENT_PUBLISHED_DAYS_AGO = 90  # the current versions of the checklists with a history
FIRST_PUBLISHED_DAYS_AGO = 365  # every other checklist: published when the county went live


def _specs(items, codes=None, weights=None) -> list[ItemSpec]:
    weights = weights or {}
    return [
        ItemSpec(
            code=code,
            question=question,
            category_code=category,
            severity=severity,
            legal_basis=basis,
            photo_required_on_fail=photo,
            na_allowed=na,
            weight=weights.get(code, weight),
        )
        for code, question, category, severity, basis, photo, na, weight in items
        if codes is None or code in codes
    ]


def _checklist_publisher() -> User | None:
    """The county centre's 值班长 writes the checklists in the demo (the system administrator if there is none)."""
    users = User.objects.filter(username__in=["county_lead", "admin"], is_active=True)
    by_name = {u.username: u for u in users}
    return by_name.get("county_lead") or by_name.get("admin")


def _seed_checklists() -> int:
    """Every checklist of CHECKLISTS published through the editor's services (draft with items → publish), as the
    county centre would write them, at back-dated instants; the ones in HISTORY first go through their earlier
    versions. Skips a checklist that exists already. Returns the number of versions created."""
    actor = _checklist_publisher()
    if actor is None:
        return 0
    now = clock.now()
    domains = {d.code: d for d in Domain.objects.all()}
    existing = set(ChecklistTemplate.objects.values_list("domain__code", "place_kind"))
    made = 0
    for domain_code, kind, title, items in CHECKLISTS:
        if domain_code not in domains or (domain_code, kind) in existing:
            continue
        earlier = [h for h in HISTORY if h[0] == domain_code and h[1] == kind]
        template = None
        steps = [(days, _specs(items, codes, weights), note) for _d, _k, days, codes, weights, note in earlier]
        current_days = CURRENT_PUBLISHED_DAYS_AGO if earlier else FIRST_PUBLISHED_DAYS_AGO
        steps.append((current_days, _specs(items), ""))
        notes = [""] + [note for _days, _specs_, note in steps[:-1]]
        for (days, specs, _note), note in zip(steps, notes, strict=True):
            at = (now - timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
            with clock.frozen(at):
                if template is None:
                    template = checklist_draft_create(
                        actor=actor,
                        domain=domains[domain_code],
                        place_kind=kind,
                        title=title,
                        source=CHECKLIST_SOURCE,
                        items=specs,
                    )
                else:
                    template = checklist_draft_create(actor=actor, from_version=template, note=note)
                    template = checklist_items_save(
                        actor=actor, template=template, items=specs, expected_revision=template.revision
                    )
            with clock.frozen(at + timedelta(hours=2)):
                template = checklist_publish(actor=actor, template=template, expected_revision=template.revision)
            made += 1
    return made


def _point_in(geometry: dict | None, rng: random.Random, fallback: tuple[float, float]) -> tuple[float, float]:
    return _points_in(geometry, rng, fallback, 1)[0]


def _points_in(
    geometry: dict | None, rng: random.Random, fallback: tuple[float, float], n: int
) -> list[tuple[float, float]]:
    """`n` random points ~30 m inside the boundary, as `n` calls of `_point_in` would give them (the same draws from
    `rng`), with the polygon and its inner buffer built once: building them was most of the cost per point."""
    if not geometry:
        return [fallback] * n
    poly = shape(geometry)
    minx, miny, maxx, maxy = poly.bounds
    inner = poly.buffer(-0.0003) if poly.area > 1e-6 else poly  # keep ~30 m off the edge
    inner = inner if not inner.is_empty else poly
    shapely.prepare(inner)  # the same answers, sooner: the polygon is tested up to 60 times per point
    points = []
    for _ in range(n):
        for _ in range(60):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(inner, x, y):
                points.append((round(x, 6), round(y, 6)))
                break
        else:
            p = poly.representative_point()
            points.append((round(p.x, 6), round(p.y, 6)))
    return points


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "158", "159", "187", "135"]) + "".join(str(rng.randrange(10)) for _ in range(8))


def _seed_places(seed: int) -> int:
    """The county's list of supervised places (demo/data/places.xlsx, made by demo.make_data: every grid of 榜头镇,
    the first grid of every other township, every domain in 王芳's grids) through the places import a county uses;
    then when each was last inspected, so 本周 has something to show. Returns how many places the import created."""

    report = import_places(PLACES_FILE, dry_run=False)
    if not report.ok:
        raise RuntimeError("demo data places.xlsx: " + "; ".join(str(p) for p in report.problems[:10]))
    if not report.created:
        return 0
    rng = random.Random(seed)
    now = clock.now()
    fresh = list(
        Place.objects.filter(last_inspected_at__isnull=True, version=1).select_related("domain").order_by("pk")
    )
    for place in fresh:
        # About a quarter was never inspected or is overdue.
        inspected = None if rng.random() < 0.1 else now - timedelta(days=rng.randint(1, 45), hours=rng.randint(0, 9))
        place.last_inspected_at = inspected
        for key, value in schedule_for(place, inspected, now).items():
            setattr(place, key, value)
    Place.objects.bulk_update(fresh, ["last_inspected_at", "inspection_interval_days", "next_due_at"], batch_size=500)
    return report.created


VISIT_DAYS_AGO = (300, 150, 45)  # past visits per place: against the version current on each day
VISITED_ELSEWHERE = 5  # places of each kind outside 王芳's grids that get past visits too (the first by id)


def _seed_visits(seed: int) -> int:
    """Past checklist visits (检查打卡) by each place's grid worker, through `place_visit_record`, at back-dated
    instants: every place in 王芳's grids and the first few of each kind elsewhere, each visited 300, 150 and 45 days ago
    against the checklist version that was current that day, so the 人员密集场所 and 出租房 places show answers to
    two or three versions. All passed (some items N/A where allowed): the demo's open hazards come from its
    history, not from here. Idempotent: visit client ids are derived from the place and the day."""
    rng = random.Random(seed + 2)
    now = clock.now()
    worker = User.objects.filter(username="nanxi_worker").first()
    showcase = list(worker.grids.values_list("pk", flat=True)) if worker else []
    places = list(Place.objects.filter(region_id__in=showcase, is_active=True).select_related("region"))
    elsewhere = Place.objects.filter(is_active=True).exclude(region_id__in=showcase).order_by("id")
    for kind in PlaceKind.values:  # a few of every kind, so every checklist has visits to show
        places += list(elsewhere.filter(kind=kind).select_related("region")[:VISITED_ELSEWHERE])
    versions: dict[tuple[int, str], list[ChecklistTemplate]] = {}
    for template in ChecklistTemplate.objects.answerable().order_by("version").prefetch_related("items"):
        versions.setdefault((template.domain_id, template.place_kind), []).append(template)
    workers = {}
    made = 0
    for days in VISIT_DAYS_AGO:
        for place in places:
            if place.region_id not in workers:
                workers[place.region_id] = (
                    User.objects.filter(grids=place.region_id, role="grid_worker", is_active=True)
                    .order_by("id")
                    .first()
                )
            visitor = workers[place.region_id]
            at = (now - timedelta(days=days, hours=rng.randint(0, 6))).replace(hour=9 + rng.randint(0, 7), minute=15)
            template = _version_on(versions, place, at)
            client_id = uuid.uuid5(NS, f"visit:{place.client_id or place.pk}:{days}")
            if visitor is None or template is None or PlaceVisit.objects.filter(client_id=client_id).exists():
                continue
            answers = [
                {"code": item.code, "answer": "na" if item.na_allowed and rng.random() < 0.3 else "pass"}
                for item in template.items_for(place.kind)
            ]
            with clock.frozen(at + timedelta(minutes=20)):
                place_visit_record(
                    actor=visitor,
                    client_id=client_id,
                    place=place,
                    template_id=template.pk,
                    answers=answers,
                    visited_at=at,
                    lon=place.lon,
                    lat=place.lat,
                    accuracy_m=float(rng.choice([6, 9, 14])),
                )
            made += 1
    return made


def _version_on(versions: dict, place: Place, at) -> ChecklistTemplate | None:
    """The version a phone had on `at`: the place kind's own checklist, else the domain's general one."""
    for kind in (place.kind, ""):
        published = [t for t in versions.get((place.domain_id, kind), []) if t.published_at and t.published_at <= at]
        if published:
            return published[-1]
    return None


def _seed_patrols(seed: int) -> int:
    """王芳's last three weeks: each grid walked weekly, most walks "已巡查无隐患", one visit per walk; this week
    only her first grid so far. Through the services, with the clock frozen at each step."""
    worker = User.objects.filter(username="nanxi_worker").first()
    if worker is None or Patrol.objects.filter(worker=worker).exists():
        return 0
    rng = random.Random(seed + 1)
    now = clock.now()
    grids = list(worker.grids.order_by("code"))
    made = 0
    for weeks_ago in (3, 2, 1, 0):
        for i, grid in enumerate(grids):
            if weeks_ago == 0 and i > 0:
                continue
            start = (now - timedelta(weeks=weeks_ago, days=0 if weeks_ago == 0 else 2 + i)).replace(
                hour=9 + i, minute=rng.randint(0, 40), second=0, microsecond=0
            )
            if start > now - timedelta(hours=2):
                start = now - timedelta(hours=2)
            client_id = uuid.uuid5(NS, f"patrol:{worker.username}:{grid.code}:{weeks_ago}")
            with clock.frozen(start):
                patrol, _ = patrol_start(actor=worker, client_id=client_id, grid_code=grid.code, started_at=start)
            poly = shape(grid.geometry) if grid.geometry else None
            points = []
            for seq in range(12):
                lon, lat = _point_in(grid.geometry, rng, (grid.center_lon, grid.center_lat)) if poly else (0, 0)
                points.append(
                    {
                        "seq": seq,
                        "lon": lon,
                        "lat": lat,
                        "accuracy_m": float(rng.choice([5, 8, 12, 20])),
                        "recorded_at": start + timedelta(minutes=5 * seq),
                    }
                )
            end = start + timedelta(minutes=65)
            with clock.frozen(end):
                patrol_track_append(actor=worker, patrol=patrol, points=points)
                place = Place.objects.filter(region=grid, is_active=True).order_by("id").first()
                template = _template_for(place) if place else None
                if template is not None:
                    items = template.items_for(place.kind)
                    place_visit_record(
                        actor=worker,
                        client_id=uuid.uuid5(NS, f"visit:{client_id}"),
                        place=place,
                        template_id=template.pk,
                        answers=[{"code": it.code, "answer": "pass"} for it in items],
                        patrol_client_id=client_id,
                        visited_at=start + timedelta(minutes=30),
                        lon=place.lon,
                        lat=place.lat,
                        accuracy_m=8.0,
                    )
                patrol_end(actor=worker, patrol=patrol, ended_at=end, nothing_found=True, note="已巡查无隐患")
            made += 1
    return made


def _template_for(place: Place) -> ChecklistTemplate | None:
    templates = {
        t.place_kind: t
        for t in ChecklistTemplate.objects.active().filter(domain_id=place.domain_id, place_kind__in=[place.kind, ""])
    }
    return templates.get(place.kind) or templates.get("")
