"""Registers of supervised objects (issue #16): domain facts checked with Chinese messages, dates that drive work
(an expiring elevator inspection → a visit task, once lapsed → one case, a second run makes nothing more), risk
points setting the inspection interval, register pages scoped to the 辖区."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from shapely.geometry import shape

from gridsafe.cases.models import Case, Source
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed
from gridsafe.field.deadlines import registers_tick
from gridsafe.places.models import (
    ElevatorFacts,
    LpgFacts,
    Place,
    PlaceDeadline,
    PlaceKind,
    RentalFacts,
    RiskLevel,
)
from gridsafe.places.registers import (
    clean_facts,
    cylinder_add,
    enterprise_save,
    facts_flags,
    place_facts_save,
    risk_point_save,
    uscc_valid,
    uscc_with_check,
)
from gridsafe.places.selectors import place_list_visible

pytestmark = pytest.mark.django_db


def make_place(worker, domain: str, kind: str, name: str = "测试对象", n: int = 0) -> Place:
    grid = worker.grids.order_by("code")[n]
    point = shape(grid.geometry).representative_point()
    return Place.objects.create(
        name=name,
        kind=kind,
        domain=Domain.objects.get(code=domain),
        region=grid,
        region_path=grid.path,
        lon=point.x,
        lat=point.y,
        last_inspected_at=clock.now(),
        next_due_at=clock.now() + dt.timedelta(days=20),
    )


def test_expiring_elevator_inspection_makes_a_task_then_one_case(people):
    worker = people["nanxi_worker"]
    place = make_place(worker, "elevator", PlaceKind.ELEVATOR, "安居小区 3 号楼电梯")
    now = clock.now()
    today = now.date()
    facts = place_facts_save(
        actor=worker,
        place=place,
        values={
            "registration_code": "梯11闽B00001(22)",
            "user_unit": "安居小区物业服务中心",
            "maintenance_company": "莆田市安达电梯工程有限公司",
            "last_inspection_on": (today - dt.timedelta(days=355)).isoformat(),
            "next_inspection_on": (today + dt.timedelta(days=10)).isoformat(),
            "rescue_code": "35012",
        },
    )
    assert isinstance(facts, ElevatorFacts)
    # Not yet on the worker's list: the place is due in 20 days.
    assert place not in place_list_visible(worker, due_by=now)

    assert registers_tick(now) == {"reminded": 1, "cases": 0}
    deadline = PlaceDeadline.objects.get(place=place)
    assert (deadline.kind, deadline.due_on, deadline.case_id) == (
        "elevator_inspection",
        today + dt.timedelta(days=10),
        None,
    )
    assert place in place_list_visible(worker, due_by=now)  # the visit task: due now on the grid worker's list
    assert registers_tick(now) == {"reminded": 0, "cases": 0}  # a second run makes nothing more

    later = now + dt.timedelta(days=11)
    with clock.frozen(later):
        assert registers_tick(later) == {"reminded": 0, "cases": 1}
        assert registers_tick(later) == {"reminded": 0, "cases": 0}
    case = Case.objects.get(place=place)
    deadline.refresh_from_db()
    assert deadline.case_id == case.pk and deadline.expired_at is not None
    assert case.source == Source.DEPARTMENT and case.domain.code == "elevator"
    assert "电梯定期检验" in case.description and "到期" in case.description
    assert Case.objects.filter(place=place).count() == 1 and PlaceDeadline.objects.filter(place=place).count() == 1

    # A renewed inspection (a new date) is a new deadline: reminded again when it comes within reach.
    facts.next_inspection_on = later.date() + dt.timedelta(days=365)
    facts.save()
    with clock.frozen(later):
        assert registers_tick(later) == {"reminded": 0, "cases": 0}
        out = io.StringIO()
        call_command("registers_tick", stdout=out)  # the same job by hand
        assert out.getvalue().strip() == "到期提醒 0 条、到期未续立案 0 件"


def test_registers_job_is_on_the_oversight_calendar():
    from gridsafe.dashboards.schedule import REGISTERS_JOB, due_runs

    noon = clock.now().replace(hour=12)
    assert REGISTERS_JOB in {d.job for d in due_runs(noon)}


@pytest.mark.parametrize(
    ("domain", "values", "licence", "expected"),
    [
        (
            "lpg",
            {"role": "供应站", "storage_floor": "地下室"},
            "",
            ["燃气经营许可证号", "许可证有效期", "不得存放于地下室"],
        ),
        ("lpg", {"role": "食堂"}, "", ["主体类型无效：「食堂」"]),
        ("rental", {"rooms": "两间"}, "", ["出租间数应为非负整数"]),
        ("rental", {"rooms": "0"}, "", ["出租间数至少为 1"]),
        (
            "fireworks",
            {"licence_valid_until": "2027-02-30", "stock_limit_boxes": 10, "storage_place": "店内"},
            "闽莆烟零001",
            ["不是有效日期"],
        ),
        (
            "fireworks",
            {
                "licence_valid_from": "2027-03-01",
                "licence_valid_until": "2027-02-28",
                "stock_limit_boxes": 0,
                "storage_place": "自家住宅卧室",
            },
            "",
            ["经营（零售）许可证", "有效期起不能晚于", "限存量应大于 0", "不得储存于住宅"],
        ),
        ("venue", {"capacity": 0, "exits": 0}, "", ["核定人数应大于 0", "至少应有 1 个安全出口"]),
        (
            "elevator",
            {
                "registration_code": "梯1",
                "user_unit": "物业",
                "last_inspection_on": "2026-05-01",
                "next_inspection_on": "2026-04-01",
                "rescue_code": "96333A",
            },
            "",
            ["应晚于上次定期检验", "4–8 位数字"],
        ),
        ("elevator", {"user_unit": "物业"}, "", ["请填写使用登记证编号", "请填写下次定期检验"]),
        ("road", {"hazard_type": "塌方"}, "", ["隐患点类型无效"]),
        ("fire", {"key_unit": "也许"}, "", ["应填“是”或“否”"]),
    ],
)
def test_each_domain_checks_its_facts_in_chinese(domain, values, licence, expected):
    _clean, errors = clean_facts(domain, values, licence_no=licence)
    messages = "；".join(m for _label, m in errors)
    for text in expected:
        assert text in messages, messages


def test_facts_flags_and_cylinders(people):
    worker = people["nanxi_worker"]
    today = clock.now().date()
    lpg = make_place(worker, "lpg", PlaceKind.LPG_POINT, "陈记小吃")
    facts = place_facts_save(
        actor=worker, place=lpg, values={"role": "餐饮用户", "storage_floor": "半地下室", "leak_alarm": "否"}
    )
    assert isinstance(facts, LpgFacts)
    with pytest.raises(ValidationFailed, match="不得存放于地下室"):
        cylinder_add(actor=worker, place=lpg, seal_code="SEAL-0001", location="basement")
    cylinder_add(actor=worker, place=lpg, seal_code="SEAL-0002", next_inspection_on=today + dt.timedelta(days=5))
    with pytest.raises(ValidationFailed, match="已登记"):
        cylinder_add(actor=worker, place=lpg, seal_code="SEAL-0002")
    flags = facts_flags("lpg", facts, today=today, cylinders=list(lpg.cylinders.all()))
    assert "钢瓶存放于地下室或半地下室" in flags
    assert "餐饮用户未安装燃气泄漏报警器" in flags
    assert any("SEAL-0002" in f and "即将到期" in f for f in flags)

    rental = make_place(worker, "rental", PlaceKind.RENTAL_HOUSING, "南溪村 12 号")
    facts = place_facts_save(
        actor=worker,
        place=rental,
        values={
            "rooms": 4,
            "tenant_count": 11,
            "tenant_roster": "张三 350322199001011234",
            "mixed_storage": "是",
            "ebike_charging": "室内/楼道充电",
        },
    )
    assert isinstance(facts, RentalFacts) and facts.group_rental  # 11 > 4 rooms × 2
    flags = facts_flags("rental", facts, today=today)
    assert flags == ["群租（11 人 / 4 间）", "三合一场所", "电动车室内或楼道充电"]
    # The roster is personal data: not in the table in clear.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tenant_roster FROM places_rentalfacts WHERE place_id = %s", [rental.pk])
        stored = cursor.fetchone()[0]
    assert "张三" not in stored and "350322199001011234" not in stored
    assert RentalFacts.objects.get(pk=rental.pk).tenant_roster == "张三 350322199001011234"


def test_someone_outside_the_grid_cannot_edit_facts(people):
    place = make_place(people["nanxi_worker"], "fire", PlaceKind.CROWDED_PLACE)
    from gridsafe.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        place_facts_save(actor=people["licheng_worker"], place=place, values={"key_unit": "是"})


@pytest.mark.parametrize(
    ("grade", "kind", "domain", "days"),
    [
        ("red", PlaceKind.ENTERTAINMENT_VENUE, "venue", 7),
        ("orange", PlaceKind.ENTERTAINMENT_VENUE, "venue", 14),
        ("yellow", PlaceKind.ENTERTAINMENT_VENUE, "venue", 30),
        ("blue", PlaceKind.ENTERTAINMENT_VENUE, "venue", 90),
        ("blue", PlaceKind.LPG_POINT, "lpg", 7),  # LPG points are weekly whatever the grade (domain.md §8)
    ],
)
def test_risk_grade_sets_the_inspection_interval(people, grade, kind, domain, days):
    worker = people["nanxi_worker"]
    place = make_place(worker, domain, kind)
    Place.objects.filter(pk=place.pk).update(risk_level="red" if grade != "red" else "blue", inspection_interval_days=1)
    place.refresh_from_db()
    before = place.version
    risk_point_save(actor=worker, place=place, name="包间疏散通道", grade=grade, control_measures="每日巡查通道畅通")
    place.refresh_from_db()
    assert place.risk_level == grade
    assert place.inspection_interval_days == days
    assert place.version == before + 1  # through place_update: a revision, so offline edits merge or conflict
    # A worse point raises the place; the worst active grade wins.
    risk_point_save(actor=worker, place=place, name="配电间", grade="red", control_measures="专人管理，定期检测")
    place.refresh_from_db()
    assert place.risk_level == RiskLevel.RED and place.inspection_interval_days == 7


def test_risk_point_needs_measures_and_a_grade(people):
    worker = people["nanxi_worker"]
    place = make_place(worker, "venue", PlaceKind.ENTERTAINMENT_VENUE)
    with pytest.raises(ValidationFailed) as error:
        risk_point_save(actor=worker, place=place, name="", grade="purple", control_measures="")
    assert "请填写风险点名称" in str(error.value.detail) and "风险等级无效" in str(error.value.detail)
    assert "请填写管控措施" in str(error.value.detail)


def test_enterprise_by_credit_code(people):
    code = uscc_with_check("91350322MA2Y0001" + "0")
    assert uscc_valid(code) and not uscc_valid(code[:-1] + ("0" if code[-1] != "0" else "1"))
    grid = people["nanxi_worker"].grids.first()
    enterprise, created = enterprise_save(
        actor=None,
        uscc=code,
        name="仙游县南溪家具厂",
        region=grid,
        safety_officer_name="陈国强",
        safety_officer_phone="13800000001",
    )
    assert created and enterprise.safety_officer_masked.startswith("陈*")
    again, created = enterprise_save(actor=None, uscc=code.lower(), name="仙游县南溪家具有限公司", region=grid)
    assert not created and again.pk == enterprise.pk and again.name == "仙游县南溪家具有限公司"
    with pytest.raises(ValidationFailed, match="统一社会信用代码"):
        enterprise_save(actor=None, uscc="123", name="某厂", region=grid)


def _register_world(people):
    worker = people["nanxi_worker"]
    today = clock.now().date()
    lift = make_place(worker, "elevator", PlaceKind.ELEVATOR, "安居小区 3 号楼电梯")
    place_facts_save(
        actor=worker, place=lift,
        values={"registration_code": "梯11闽B00002(22)", "user_unit": "安居物业", "next_inspection_on": today - dt.timedelta(days=3)},
    )  # fmt: skip
    lift2 = make_place(worker, "elevator", PlaceKind.ELEVATOR, "安居小区 5 号楼电梯")
    place_facts_save(
        actor=worker, place=lift2,
        values={"registration_code": "梯11闽B00003(22)", "user_unit": "安居物业", "maintenance_company": "安达电梯",
                "next_inspection_on": today + dt.timedelta(days=200)},
    )  # fmt: skip
    gas = make_place(worker, "lpg", PlaceKind.LPG_POINT, "陈记小吃")
    place_facts_save(actor=worker, place=gas, values={"role": "餐饮用户", "storage_floor": "地下室"})
    risk_point_save(actor=worker, place=gas, name="后厨钢瓶间", grade="red", control_measures="钢瓶移至地上专用间")
    return lift, lift2, gas


def test_register_pages_filter_and_keep_to_the_jurisdiction(client, people):
    lift, lift2, gas = _register_world(people)
    client.force_login(people["bangtou"])  # 榜头镇 centre
    page = client.get("/places/registers/")
    assert page.status_code == 200
    assert "特种设备(电梯安全)" in page.content.decode()

    listing = client.get("/places/registers/elevator/").content.decode()
    assert "安居小区 3 号楼电梯" in listing and "安居小区 5 号楼电梯" in listing and "使用登记证编号" in listing
    expired = client.get("/places/registers/elevator/", {"state": "expired"}).content.decode()
    assert "安居小区 3 号楼电梯" in expired and "安居小区 5 号楼电梯" not in expired
    assert "电梯定期检验已过期" in expired
    flagged = client.get("/places/registers/lpg/", {"state": "flagged", "risk": "red"}).content.decode()
    assert "陈记小吃" in flagged and "钢瓶存放于地下室或半地下室" in flagged
    assert "陈记小吃" not in client.get("/places/registers/lpg/", {"risk": "blue"}).content.decode()
    village = lift.region.parent.code
    assert "安居小区 3 号楼电梯" in client.get("/places/registers/elevator/", {"node": village}).content.decode()
    card = client.get(f"/places/registers/lpg/{gas.pk}/").content.decode()
    assert "后厨钢瓶间" in card and "钢瓶移至地上专用间" in card and "重大" in card

    # Another village's station: the objects, the card and a filter on 南溪村 are all 404.
    client.force_login(people["quanshan"])
    assert "安居小区" not in client.get("/places/registers/elevator/").content.decode()
    assert client.get(f"/places/registers/elevator/{lift.pk}/").status_code == 404
    assert client.get("/places/registers/elevator/", {"node": village}).status_code == 404
    assert client.get("/places/registers/nonsense/").status_code == 404
    # A department sees its own domains only: 燃气 (gas) has LPG, not elevators.
    client.force_login(people["gas"])
    assert client.get(f"/places/registers/lpg/{gas.pk}/").status_code == 200
    assert client.get(f"/places/registers/elevator/{lift.pk}/").status_code == 404


def test_map_layers_per_domain_and_township_risk(client, people):
    _lift, _lift2, gas = _register_world(people)
    client.force_login(people["county"])
    objects = client.get("/places/map/objects.geojson", {"domain": "lpg"}).json()
    names = {f["properties"]["name"] for f in objects["features"]}
    assert "陈记小吃" in names and all(f["properties"]["domain"] == "lpg" for f in objects["features"])
    assert {layer["code"] for layer in objects["layers"]} >= {"lpg", "elevator", "rental", "road"}
    risk = client.get("/places/map/risk.geojson").json()
    bangtou = next(f for f in risk["features"] if f["properties"]["code"] == gas.region_path.split(".")[1] or
                   f["properties"]["name"] == "榜头镇")  # fmt: skip
    assert bangtou["properties"]["worst"] == "red" and bangtou["properties"]["counts"]["red"] >= 1
    assert [g["grade"] for g in risk["legend"]] == ["red", "orange", "yellow", "blue"]
    client.force_login(people["quanshan"])
    assert "陈记小吃" not in {
        f["properties"]["name"] for f in client.get("/places/map/objects.geojson").json()["features"]
    }
    client.logout()
    assert client.get("/places/map/risk.geojson").status_code == 401


def test_demo_registers_give_every_domain_life(people):
    from gridsafe.field.demo import PLACES_FILE
    from gridsafe.field.demo_registers import seed_registers_demo
    from gridsafe.places.importer import import_places
    from gridsafe.places.models import FACTS_MODELS, Enterprise, LpgCylinder, RiskPoint
    from gridsafe.places.register_selectors import risk_by_township

    assert import_places(PLACES_FILE, dry_run=False).ok
    summary = seed_registers_demo(seed=1)
    assert "对象台账" in summary
    for code, model in FACTS_MODELS.items():
        assert model.objects.exists(), code
    assert LpgCylinder.objects.exists() and Enterprise.objects.exists()
    assert RiskPoint.objects.filter(grade="red").exists()
    kinds = set(PlaceDeadline.objects.values_list("kind", flat=True))
    assert {"elevator_inspection", "fireworks_licence"} <= kinds  # some about to lapse …
    assert PlaceDeadline.objects.filter(case_id__isnull=False).exists()  # … and some lapsed, with a case
    assert seed_registers_demo(seed=1).endswith("到期提醒 0 条、到期未续立案 0 件")  # a second load adds nothing
    colours = {f["properties"]["worst"] for f in risk_by_township(people["county"])}
    assert "red" in colours


def test_register_api_for_the_field_app(api_as, people):
    worker = api_as("nanxi_worker")
    place = make_place(people["nanxi_worker"], "lpg", PlaceKind.LPG_POINT, "林记小吃")
    url = f"/api/v1/field/places/{place.pk}"
    bad = worker.client.put(
        f"{url}/facts", {"values": {"role": "食堂", "leak_alarm": "也许"}}, content_type="application/json",
        headers=worker.headers,
    )  # fmt: skip
    assert bad.status_code == 422
    body = bad.json()
    assert "主体类型无效" in body["detail"] and "燃气泄漏报警器应填“是”或“否”" in body["detail"]
    assert {e["field"] for e in body["errors"]} == {"主体类型", "燃气泄漏报警器"}
    good = worker.client.put(
        f"{url}/facts", {"values": {"role": "restaurant", "storage_floor": "basement", "leak_alarm": True}},
        content_type="application/json", headers=worker.headers,
    )  # fmt: skip
    assert good.status_code == 200, good.content
    assert "钢瓶存放于地下室或半地下室" in good.json()["flags"]
    assert ["液化气主体类型", "餐饮用户"] not in good.json()["facts"] and ["主体类型", "餐饮用户"] in good.json()[
        "facts"
    ]
    cylinder = worker.post(f"{url}/cylinders", {"seal_code": "XY-9", "location": "basement"})
    assert cylinder.status_code == 422 and "不得存放于地下室" in cylinder.json()["detail"]
    assert worker.post(f"{url}/cylinders", {"seal_code": "XY-10"}).status_code == 201
    point = worker.post(f"{url}/risk-points", {"name": "后厨", "grade": "red", "control_measures": "专人管理"})
    assert point.status_code == 201 and point.json()["risk_level"] == "red"
    assert point.json()["inspection_interval_days"] == 7
    other = api_as("licheng_worker")
    assert other.get(f"{url}/register").status_code == 404


def test_the_visit_screen_gets_the_object_card_and_history(api_as, people):
    worker = api_as("nanxi_worker")
    lift = make_place(people["nanxi_worker"], "elevator", PlaceKind.ELEVATOR, "安居小区 7 号楼电梯")
    today = clock.now().date()
    place_facts_save(
        actor=people["nanxi_worker"], place=lift,
        values={"registration_code": "梯11闽B00007(22)", "user_unit": "安居物业", "next_inspection_on": today + dt.timedelta(days=9)},
    )  # fmt: skip
    registers_tick(clock.now())
    bundle = worker.get("/api/v1/field/sync").json()
    row = next(p for p in bundle["places"] if p["id"] == lift.pk)
    assert ["使用登记证编号", "梯11闽B00007(22)"] in row["register_card"]["facts"]
    assert "无维保单位" in row["register_card"]["flags"]
    assert (
        row["register_card"]["deadlines"][0]["label"] == "电梯定期检验"
        and not row["register_card"]["deadlines"][0]["expired"]
    )
    assert row["history"] == []
    checklist = worker.get(f"/api/v1/field/places/{lift.pk}/checklist").json()
    assert checklist["register_card"]["facts"] == row["register_card"]["facts"]


def test_facts_form_on_the_register_card(client, people):
    place = make_place(people["nanxi_worker"], "lpg", PlaceKind.LPG_POINT, "黄记快餐")
    url = f"/places/registers/lpg/{place.pk}/facts/"
    client.force_login(people["nanxi"])  # the village station may edit
    assert "修改" in client.get(f"/places/registers/lpg/{place.pk}/").content.decode()
    bad = client.post(url, {"role": "供应站", "leak_alarm": "是"})
    assert bad.status_code == 422
    page = bad.content.decode()
    assert "液化气供应站必须填写燃气经营许可证号" in page and 'value="供应站" selected' in page  # input kept
    assert not LpgFacts.objects.filter(place=place).exists()
    ok = client.post(url, {"role": "餐饮用户", "leak_alarm": "否", "storage_floor": ""})
    assert ok.status_code == 302
    facts = LpgFacts.objects.get(place=place)
    assert (facts.role, facts.storage_floor, facts.leak_alarm) == ("restaurant", "ground", False)
    client.force_login(people["gas"])  # a department reads the register, the grid's people edit it
    assert client.get(url).status_code == 404
