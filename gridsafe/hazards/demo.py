"""Demo data of the hazards app (issue 16): three enterprises on 南溪村's supervised places with their safety
officers' logins, a year of monthly self-inspections, and two 重大隐患 walked through the real services — one
written off (销号) in the spring, one under 挂牌督办 now. Hooked into `load_demo` with one line."""

from __future__ import annotations

import io
import random
import uuid
from datetime import datetime, timedelta

from django.utils import timezone
from PIL import Image

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case
from gridsafe.cases.permissions import get_case_for_user
from gridsafe.cases.services import ACTION_SERVICES, attachment_add, case_report
from gridsafe.core import clock
from gridsafe.hazards import services
from gridsafe.hazards.models import MajorHazard, SelfInspection
from gridsafe.hazards.selectors import checklist_for_place
from gridsafe.places.models import Enterprise, Place

PASSWORD = "gridsafe-demo"  # demo.world.DEMO_PASSWORD (demo sits above this app)
# username, officer's display name, enterprise name, USCC body (17 chars; the check digit is computed)
ENTERPRISE_USERS = [
    ("ent_gas", "郑秀兰", "仙游县南溪燃气经营部", "91350322MA31GA501"),
    ("ent_ktv", "黄丽", "仙游县欢歌娱乐有限公司", "91350322MA31KT802"),
    ("ent_store", "陈志强", "仙游县榜头百货商行", "91350322MA31BH703"),
]
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_with_check(body: str) -> str:
    """GB 32100-2015: the 18th character is the check code over the first 17."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def _jpeg(color: tuple[int, int, int]) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, "JPEG")
    out.seek(0)
    out.name = "photo.jpg"
    return out


def _act(case: Case, action: str, user: User, **fields) -> Case:
    fresh = get_case_for_user(user, case.pk)
    return ACTION_SERVICES[action](
        case=fresh, actor=user, expected_version=fresh.version, request_id=uuid.uuid4(), **fields
    )


def _step(fn, hazard: MajorHazard, actor: User, **fields) -> MajorHazard:
    hazard.refresh_from_db()
    return fn(hazard=hazard, actor=actor, expected_version=hazard.version, request_id=uuid.uuid4(), **fields)


PLAN = {
    "goal": "消除人员密集场所电动车室内充电和疏散通道堵塞的重大火灾隐患",
    "methods": "拆除室内充电线路，在室外建设集中充电棚；清理疏散通道，增设应急照明",
    "funds": "企业自筹资金，采购充电设施和消防器材",
    "organisation": "企业负责人任组长，安全员具体落实，县消防救援大队指导",
    "deadline": "30日内完成全部整改",
    "safety": "整改期间停止使用地下一层，设置警戒标志，专人值守",
    "emergency": "制定火灾应急疏散预案，每月演练一次",
}
FIVE = {"responsibility": "企业法定代表人", "measures": "建设室外充电棚，清理通道", "funds": "企业自筹 8 万元",
        "deadline": "30日内", "plan": "火灾应急疏散预案"}  # fmt: skip


def _major(*, place: Place, people: dict[str, User], start: datetime, close: bool, officer: User) -> None:
    worker, bangtou, county, fire, fire_lead = (
        people[k] for k in ("nanxi_worker", "bangtou", "county", "fire", "fire_lead")
    )
    at = start
    with clock.frozen(at):
        case, _ = case_report(
            actor=worker, client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"gridsafe-demo-major-{place.pk}-{close}"),
            category_code="fire-ebike-indoor", description="地下一层大量电动车集中充电，疏散通道堵塞",
            lon=place.lon, lat=place.lat, place_id=place.pk, severity="major",
        )  # fmt: skip
    for days, action, user, fields in (
        (1, "escalate", bangtou, {"reason": "需县级部门执法"}),
        (1, "dispatch", county, {}),
        (2, "start", fire, {}),
        (2, "regrade", fire, {"grade": "major", "basis": "GB 35181-2025《重大火灾隐患判定规则》第6.2条"}),
    ):
        with clock.frozen(start + timedelta(days=days, hours=2)):
            case = _act(case, action, user, **fields)
    hazard = MajorHazard.objects.get(case=case)
    with clock.frozen(start + timedelta(days=3)):
        hazard = _step(services.major_hazard_list, hazard, fire, supervising_body="仙游县安全生产委员会办公室",
                       public_title=f"{place.name}电动车室内集中充电、疏散通道堵塞",
                       rectify_by=timezone.localdate(start + timedelta(days=40)))  # fmt: skip
    with clock.frozen(start + timedelta(days=4)):
        hazard = _step(services.major_hazard_stop, hazard, fire, order="partial", scope="地下一层")
        hazard = _step(services.major_hazard_plan, hazard, fire, plan=PLAN, funds_wan="8")
    with clock.frozen(start + timedelta(days=5)):
        hazard = _step(services.major_hazard_five, hazard, officer, five=FIVE)
    for week in (2, 3):
        with clock.frozen(start + timedelta(days=7 * week)):
            photo, _ = attachment_add(case=case, actor=officer, client_id=uuid.uuid4(), upload=_jpeg((90, 140, 90)),
                                      role="document")  # fmt: skip
            hazard = _step(services.major_hazard_progress, hazard, officer, text=f"第{week - 1}次进展：充电棚施工中",
                           percent=40 * (week - 1), attachment_ids=[photo.pk])  # fmt: skip
    if not close:
        return
    with clock.frozen(start + timedelta(days=30)):
        after, _ = attachment_add(
            case=case, actor=fire, client_id=uuid.uuid4(), upload=_jpeg((60, 160, 60)), role="after"
        )
        case = _act(case, "submit", fire, method="rectified", measures="室外充电棚投用，通道已清理",
                    attachment_ids=[after.pk], five_implementations=FIVE)  # fmt: skip
        report, _ = attachment_add(case=case, actor=fire, client_id=uuid.uuid4(), upload=_jpeg((200, 200, 200)),
                                   role="document")  # fmt: skip
        hazard = _step(services.major_hazard_evaluate, hazard, fire, evaluator="莆田市安全评价中心",
                       conclusion="隐患已消除，具备恢复使用条件", attachment_ids=[report.pk])  # fmt: skip
    with clock.frozen(start + timedelta(days=35)):
        _act(case, "verify_pass", fire_lead, comment="现场审查合格，同意销号")


def seed_hazards_demo(*, seed: int = 350322) -> str:
    if User.objects.filter(role=Role.ENTERPRISE).exists():
        return "企业账号已存在，跳过重大隐患与企业演示数据"
    people = {u.username: u for u in User.objects.filter(username__in=["nanxi_worker", "bangtou", "county", "fire",
                                                                      "fire_lead"])}  # fmt: skip
    if len(people) < 5:
        return "缺少演示人员，跳过重大隐患与企业演示数据"
    grids = list(people["nanxi_worker"].grids.values_list("pk", flat=True))
    places = list(Place.objects.filter(region_id__in=grids, is_active=True).order_by("pk")[:3])
    if len(places) < 3:
        return "南溪村监管对象不足，跳过重大隐患与企业演示数据"
    rng = random.Random(seed + 16)
    officers = []
    for (username, display, name, body), place in zip(ENTERPRISE_USERS, places, strict=True):
        enterprise = place.enterprise
        if enterprise is None:
            enterprise = Enterprise.objects.create(
                uscc=uscc_with_check(body), name=name, region=place.region, region_path=place.region.path,
                address=place.address, safety_officer_name=display,
            )  # fmt: skip
            Place.objects.filter(pk=place.pk).update(enterprise=enterprise)  # the demo links its object
        officers.append(User.objects.create_user(username, password=PASSWORD, display_name=display,
                                                 role=Role.ENTERPRISE, enterprise=enterprise))  # fmt: skip
    now = clock.now()
    made = 0
    for officer, place in zip(officers, places, strict=True):
        place.refresh_from_db()
        template = checklist_for_place(place)
        if template is None:
            continue
        items = template.items_for(place.kind)
        for month in range(12, 0, -1):
            when = now - timedelta(days=30 * month - rng.randint(0, 5))
            failed = items[rng.randrange(len(items))].code if rng.random() < 0.3 else None
            answers = [{"code": i.code, "answer": "fail" if i.code == failed else "pass",
                        "note": "自查发现" if i.code == failed else ""} for i in items]  # fmt: skip
            with clock.frozen(when):
                inspection, _ = services.self_inspection_record(
                    actor=officer, client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"gridsafe-demo-self-{place.pk}-{month}"),
                    place=place, template_id=template.pk, answers=answers, report_codes=[failed] if failed else [],
                )  # fmt: skip
                for finding in inspection.findings.all():
                    if month > 1:
                        services.self_finding_rectify(
                            actor=officer, finding=finding, expected_version=1, text="已当场整改"
                        )
            made += 1
    _major(place=places[0], people=people, start=now - timedelta(days=280), close=True, officer=officers[0])
    _major(place=places[1], people=people, start=now - timedelta(days=50), close=False, officer=officers[1])
    return (
        f"企业账号 {len(officers)} 个、企业自查 {SelfInspection.objects.count()} 次、"
        f"重大隐患 {MajorHazard.objects.count()} 条（挂牌督办中 1 条，已销号 1 条）"
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, display name, role label) of the enterprise logins, for `gridsafe demo` to print."""
    return [(u, d, str(Role.ENTERPRISE.label)) for u, d, _n, _b in ENTERPRISE_USERS]
