"""Demo registers (台账) for the places the demo imported: each object's domain facts, LPG cylinders, graded risk
points with control measures and the enterprises behind the businesses, with dates relative to today so that,
whenever the demo is loaded, some licences and inspections are about to lapse and a few have lapsed. Deterministic
for a seed; the facts that do not age come from the county's file (`static_facts_row`, written by demo.make_data);
an object that already has risk points is left alone, so a second load adds nothing. Called by field.demo_registers (which then runs the
deadline job once, so the demo has its visit tasks and cases)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from gridsafe.places.models import (
    ControlLevel,
    EbikeCharging,
    ElevatorFacts,
    Enterprise,
    FireFacts,
    FireworksFacts,
    LpgCylinder,
    LpgFacts,
    LpgRole,
    Place,
    RentalFacts,
    RiskPoint,
    RoadFacts,
    RoadHazard,
    StorageFloor,
    VenueFacts,
)
from gridsafe.places.register_selectors import REGISTER_DOMAINS
from gridsafe.places.registers import FACTS, uscc_with_check
from gridsafe.places.rules import GROUP_RENTAL_PER_ROOM

FILLING_STATIONS = ["仙游县鑫源液化气充装站", "仙游县榜头燃气充装站", "莆田市华润液化气充装站"]
MAINTAINERS = ["莆田市安达电梯工程有限公司", "福建快捷电梯工程有限公司", "仙游县通力电梯维保部", ""]
VENUE_TYPES = ["KTV", "网吧", "电影院", "游艺厅", "酒吧"]
FIRE_UNITS = ["家具加工", "红木雕刻", "鞋服加工", "小商场", "养老院"]
RISK_TEXT = {
    "lpg": (
        "钢瓶存放间",
        "钢瓶泄漏、违规存放引发燃爆",
        "钢瓶存放于通风的地上专用间；安装可燃气体报警器；每日检查软管和阀门",
    ),
    "rental": ("电动自行车充电区", "电动自行车室内充电引发火灾", "设置集中充电场所；楼道禁止停放充电；每月检查一次"),
    "fireworks": ("烟花爆竹储存间", "超量储存、混存引发爆炸", "限量储存；专用储存间远离火源；配备灭火器材"),
    "venue": ("包间与疏散通道", "人员密集、疏散不畅", "每日营业前检查安全出口和疏散通道；应急照明和疏散指示完好"),
    "elevator": ("电梯轿厢与机房", "困人、坠落", "维保单位每 15 日维护保养；张贴使用标志和 96333 救援码"),
    "fire": ("生产车间", "可燃物多、电气线路老化", "车间与住宿分离；定期检测电气线路；配备灭火器和应急照明"),
    "road": ("事故多发路段", "车辆冲出路外、坠崖", "设置波形护栏和警示标志；雨季加密巡查"),
}
BUSINESS_KINDS = {"lpg", "fireworks", "venue", "fire"}


# Domains whose facts do not age ship them in the county's file (demo/data/places.xlsx, made by demo.make_data);
# the dated ones (licences, statutory inspections) are set here relative to the load day.
STATIC_DOMAINS = ("rental", "fire", "road")


def static_facts_row(domain: str, rng: random.Random, i: int) -> list:
    """The facts columns (and the credit-code column) of one row of the county's places file, in the order of the
    import template; blank for the dated domains."""

    columns = [f.name for f in FACTS.get(domain, [])]
    values: dict = {}
    if domain == "rental":
        rooms = rng.randint(3, 16)
        values = {
            "building": "砖混自建房", "floors": rng.randint(2, 6), "rooms": rooms,
            "tenant_count": rng.randint(rooms, rooms * GROUP_RENTAL_PER_ROOM + (4 if i % 5 == 0 else 0)),
            "mixed_production": "是" if i % 8 == 1 else "否", "mixed_storage": "是" if i % 11 == 2 else "否",
            "mixed_trade": "是" if i % 6 == 0 else "否",
            "ebike_charging": "室内/楼道充电" if i % 4 == 0 else rng.choice(["集中充电场所", "室外充电桩", "无电动车"]),
        }  # fmt: skip
    elif domain == "fire":
        values = {
            "key_unit": "是" if i % 4 == 0 else "否", "unit_type": rng.choice(FIRE_UNITS),
            "building_floors": rng.randint(1, 5), "fire_facilities": "灭火器、应急照明、疏散指示标志",
        }  # fmt: skip
    elif domain == "road":
        values = {
            "hazard_type": rng.choice(["临水临崖", "急弯陡坡", "长下坡", "平交路口"]),
            "road_name": rng.choice(["X201 县道", "X205 县道", "Y012 乡道", "村道"]),
            "stake": f"K{rng.randint(1, 40)}+{rng.randint(0, 9)}00", "length_m": rng.randint(80, 900),
            "protection": "" if i % 6 == 2 else "波形护栏", "warning_signs": "否" if i % 5 == 1 else "是",
        }  # fmt: skip
    return [values.get(name, "") for name in columns] + [""]


def _dated(rng: random.Random, today: dt.date, i: int) -> dt.date:
    """A licence or inspection date: every 7th about to lapse (within 30 days), every 13th lapsed, else later."""
    if i % 13 == 5:
        return today - dt.timedelta(days=rng.randint(2, 20))
    if i % 7 == 3:
        return today + dt.timedelta(days=rng.randint(3, 28))
    return today + dt.timedelta(days=rng.randint(45, 330))


def _facts(place: Place, rng: random.Random, today: dt.date, i: int):
    code = place.domain.code
    if code == "lpg":
        role = LpgRole.STATION if "供应" in place.name else rng.choice([LpgRole.RESTAURANT, LpgRole.HOUSEHOLD])
        floor = StorageFloor.SEMI_BASEMENT if role != LpgRole.STATION and i % 9 == 4 else StorageFloor.GROUND
        return LpgFacts(
            place=place, role=role, filling_station=rng.choice(FILLING_STATIONS), storage_floor=floor,
            licence_valid_until=_dated(rng, today, i) if role == LpgRole.STATION else None,
            leak_alarm=rng.random() < 0.7,
        )  # fmt: skip
    if code == "rental":
        rooms = rng.randint(3, 16)
        tenants = rng.randint(rooms, rooms * GROUP_RENTAL_PER_ROOM + (4 if i % 5 == 0 else 0))
        return RentalFacts(
            place=place, building=place.address or place.name, floors=rng.randint(2, 6), rooms=rooms,
            tenant_count=tenants, group_rental=tenants > rooms * GROUP_RENTAL_PER_ROOM,
            mixed_production=i % 8 == 1, mixed_storage=i % 11 == 2, mixed_trade=i % 6 == 0,
            ebike_charging=rng.choice([EbikeCharging.CENTRAL, EbikeCharging.OUTDOOR, EbikeCharging.NONE,
                                       EbikeCharging.INDOOR if i % 4 == 0 else EbikeCharging.CENTRAL]),
        )  # fmt: skip
    if code == "fireworks":
        until = _dated(rng, today, i)
        return FireworksFacts(
            place=place, wholesale=False, licence_valid_from=until - dt.timedelta(days=365), licence_valid_until=until,
            stock_limit_boxes=rng.choice([30, 50, 80, 100]), storage_place="店内专用储存间", season="spring",
        )  # fmt: skip
    if code == "venue":
        capacity = rng.choice([40, 60, 80, 120, 200])
        return VenueFacts(
            place=place, venue_type=rng.choice(VENUE_TYPES), licence_valid_until=_dated(rng, today, i),
            capacity=capacity, exits=1 if i % 10 == 3 else rng.randint(2, 3),
            escape_routes="东西两侧疏散楼梯", last_fire_inspection_on=today - dt.timedelta(days=rng.randint(20, 300)),
        )  # fmt: skip
    if code == "elevator":
        nxt = _dated(rng, today, i)
        return ElevatorFacts(
            place=place, registration_code=f"梯11闽B{place.pk:05d}(2{rng.randint(0, 5)})",
            user_unit=place.name.split("小区")[0] + "小区物业服务中心", maintenance_company=rng.choice(MAINTAINERS),
            last_inspection_on=nxt - dt.timedelta(days=365), next_inspection_on=nxt, rescue_code=f"{35000 + place.pk}",
        )  # fmt: skip
    if code == "fire":
        return FireFacts(
            place=place, key_unit=i % 4 == 0, unit_type=rng.choice(FIRE_UNITS), building_floors=rng.randint(1, 5),
            fire_facilities="灭火器、应急照明、疏散指示标志",
            last_fire_inspection_on=today - dt.timedelta(days=rng.randint(10, 200)),
        )  # fmt: skip
    if code == "road":
        kind = rng.choice([RoadHazard.WATER_CLIFF, RoadHazard.SHARP_BEND, RoadHazard.LONG_DESCENT, RoadHazard.CROSSING])
        return RoadFacts(
            place=place, hazard_type=kind, road_name=rng.choice(["X201 县道", "X205 县道", "Y012 乡道", "村道"]),
            stake=f"K{rng.randint(1, 40)}+{rng.randint(0, 9)}00", length_m=rng.randint(80, 900),
            protection="" if i % 6 == 2 else "波形护栏", warning_signs=i % 5 != 1,
        )  # fmt: skip
    return None


@transaction.atomic
def seed_register_facts(*, seed: int, today: dt.date) -> dict[str, int]:
    rng = random.Random(seed + 16)
    places = list(
        Place.objects.filter(is_active=True, domain__code__in=REGISTER_DOMAINS)
        .select_related("domain", "region")
        .order_by("pk")
    )
    made = {"facts": 0, "cylinders": 0, "risk_points": 0, "enterprises": 0}
    by_model: dict[type, list] = {}
    cylinders, points = [], []
    seeded = set(RiskPoint.objects.values_list("place_id", flat=True))  # a second load adds nothing
    for i, place in enumerate(places):
        code = place.domain.code
        if place.pk in seeded:
            continue
        facts = _facts(place, rng, today, i)
        if facts is None:
            continue
        existing = type(facts).objects.filter(place=place).first()  # from the county's file (STATIC_DOMAINS)
        if existing is None:
            by_model.setdefault(type(facts), []).append(facts)
        else:
            facts = existing
        if code == "lpg":
            for n in range(rng.randint(2, 5)):
                due = today + dt.timedelta(days=rng.randint(10, 1200)) if n or i % 5 else today + dt.timedelta(days=12)
                cylinders.append(LpgCylinder(
                    place=place, seal_code=f"XY{place.pk:05d}{n:02d}", capacity_kg=rng.choice([5, 15, 15, 50]),
                    filling_station=facts.filling_station, next_inspection_on=due, location=StorageFloor.GROUND,
                ))  # fmt: skip
        name, hazard, measures = RISK_TEXT[code]
        points.append(RiskPoint(
            place=place, region_path=place.region_path, name=name, grade=place.risk_level, hazard=hazard,
            control_measures=measures, responsible=place.contact_name,
            control_level=ControlLevel.UNIT if code in BUSINESS_KINDS else ControlLevel.GRID,
        ))  # fmt: skip
        if code in BUSINESS_KINDS and not (code == "lpg" and facts.role == LpgRole.HOUSEHOLD):
            uscc = uscc_with_check(f"92350322MA{place.pk:06d}"[:17].ljust(17, "0"))
            enterprise = Enterprise.objects.filter(uscc=uscc).first() or Enterprise(
                uscc=uscc, name=place.name, region=place.region, region_path=place.region_path, address=place.address,
                safety_officer_name=place.contact_name, safety_officer_phone=place.contact_phone,
            )  # fmt: skip
            if enterprise.pk is None:
                enterprise.save()
                made["enterprises"] += 1
            Place.objects.filter(pk=place.pk).update(enterprise=enterprise)
    for model, rows in by_model.items():
        model.objects.bulk_create(rows, batch_size=500)
        made["facts"] += len(rows)
    LpgCylinder.objects.bulk_create(cylinders, batch_size=500, ignore_conflicts=True)
    RiskPoint.objects.bulk_create(points, batch_size=500)
    made["cylinders"], made["risk_points"] = len(cylinders), len(points)
    return made
