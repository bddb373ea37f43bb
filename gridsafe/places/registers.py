"""Every write to the registers of supervised objects (台账): an object's domain facts, LPG cylinders, risk points
and enterprises. Each checks the actor's right to edit the place (places.permissions), validates with a Chinese
message per problem (all problems at once), writes, and leaves one audit row. Reads are in places.register_views
and places.selectors."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from gridsafe.accounts.models import User
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotPermitted, ValidationFailed
from gridsafe.places import rules
from gridsafe.places.models import (
    FACTS_MODELS,
    ControlLevel,
    EbikeCharging,
    Enterprise,
    FireworksSeason,
    LpgCylinder,
    LpgRole,
    Place,
    PlaceFacts,
    RiskLevel,
    RiskPoint,
    RoadHazard,
    StorageFloor,
)
from gridsafe.places.permissions import EDITORS, covers_path, ensure_can_edit_place
from gridsafe.places.services import place_update


@dataclass(frozen=True)
class Fact:
    """One domain fact: its field, Chinese label, type, and the import column's example."""

    name: str
    label: str
    kind: str  # text, int, date, bool, choice, secret
    required: bool = False
    max_length: int = 100
    choices: dict[str, str] = field(default_factory=dict)  # Chinese label → stored value
    example: Any = ""
    note: str = ""


def _labels(choices) -> dict[str, str]:
    return {str(label): value for value, label in choices.choices}


YES = {"是": True, "否": False}

FACTS: dict[str, list[Fact]] = {
    "lpg": [
        Fact("role", "主体类型", "choice", True, choices=_labels(LpgRole), example="餐饮用户"),
        Fact("filling_station", "来源充装站", "text", example="仙游县鑫源液化气充装站"),
        Fact("licence_valid_until", "许可证有效期至", "date", example="2027-06-30", note="供应站必填"),
        Fact("storage_floor", "钢瓶存放位置", "choice", choices=_labels(StorageFloor), example="地上"),
        Fact("leak_alarm", "燃气泄漏报警器", "bool", choices=YES, example="是"),
    ],
    "rental": [
        Fact("building", "楼栋", "text", example="南溪村 12 号"),
        Fact("floors", "层数", "int", example=4),
        Fact("rooms", "出租间数", "int", True, example=8),
        Fact("tenant_count", "承租人数", "int", example=12),
        Fact("tenant_roster", "承租人名单", "secret", max_length=2000, example="", note="个人信息，加密保存"),
        Fact("mixed_production", "三合一·生产", "bool", choices=YES, example="否"),
        Fact("mixed_storage", "三合一·仓储", "bool", choices=YES, example="否"),
        Fact("mixed_trade", "三合一·经营", "bool", choices=YES, example="否"),
        Fact("ebike_charging", "电动车充电", "choice", choices=_labels(EbikeCharging), example="集中充电场所"),
    ],
    "fireworks": [
        Fact("wholesale", "批发", "bool", choices=YES, example="否"),
        Fact("licence_valid_from", "许可证有效期起", "date", example="2026-12-01"),
        Fact("licence_valid_until", "许可证有效期至", "date", True, example="2027-02-28"),
        Fact("stock_limit_boxes", "限存量（箱）", "int", True, example=50),
        Fact("storage_place", "储存场所", "text", True, max_length=200, example="店内专用储存间"),
        Fact("season", "经营时段", "choice", choices=_labels(FireworksSeason), example="春节期间"),
    ],
    "venue": [
        Fact("venue_type", "场所类型", "text", max_length=40, example="KTV"),
        Fact("licence_valid_until", "许可证有效期至", "date", example="2027-12-31"),
        Fact("capacity", "核定人数", "int", True, example=120),
        Fact("exits", "安全出口数", "int", True, example=2),
        Fact("escape_routes", "疏散通道", "text", max_length=300, example="东西两侧楼梯"),
        Fact("last_fire_inspection_on", "最近消防检查", "date", example="2026-09-15"),
    ],
    "elevator": [
        Fact("registration_code", "使用登记证编号", "text", True, max_length=40, example="梯11闽B00001(22)"),
        Fact("user_unit", "使用单位", "text", True, example="安居小区物业服务中心"),
        Fact("maintenance_company", "维保单位", "text", example="莆田市安达电梯工程有限公司"),
        Fact("last_inspection_on", "上次定期检验", "date", example="2026-01-10"),
        Fact("next_inspection_on", "下次定期检验", "date", True, example="2027-01-09"),
        Fact("rescue_code", "96333救援码", "text", max_length=10, example="35012"),
    ],
    "fire": [
        Fact("key_unit", "消防安全重点单位", "bool", choices=YES, example="否"),
        Fact("unit_type", "单位类型", "text", max_length=40, example="家具加工"),
        Fact("building_floors", "建筑层数", "int", example=3),
        Fact("fire_facilities", "消防设施", "text", max_length=300, example="灭火器 8 具、应急照明"),
        Fact("last_fire_inspection_on", "最近消防检查", "date", example="2026-08-20"),
    ],
    "road": [
        Fact("hazard_type", "隐患点类型", "choice", True, choices=_labels(RoadHazard), example="急弯陡坡"),
        Fact("road_name", "道路名称", "text", max_length=60, example="X201 县道"),
        Fact("stake", "桩号", "text", max_length=30, example="K12+300"),
        Fact("length_m", "长度（米）", "int", example=350),
        Fact("protection", "现有防护设施", "text", max_length=200, example="波形护栏 200 米"),
        Fact("warning_signs", "警示标志", "bool", choices=YES, example="是"),
    ],
}

ROAD_PROTECTION_NEEDED = {RoadHazard.WATER_CLIFF, RoadHazard.SHARP_BEND, RoadHazard.LONG_DESCENT}


def parse_fact(fact: Fact, raw: Any) -> tuple[Any, str | None]:
    """(value, Chinese error or None). Accepts the stored value or its Chinese label, dates as ISO or 2026/1/9."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if fact.required:
            return None, f"请填写{fact.label}"
        return {"int": 0, "bool": False, "date": None}.get(fact.kind, ""), None
    if fact.kind in ("text", "secret"):
        text = str(raw).strip()
        if len(text) > fact.max_length:
            return None, f"{fact.label}不能超过 {fact.max_length} 字"
        return text, None
    if fact.kind == "int":
        try:
            value = int(float(raw)) if not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None or value < 0 or value > 1_000_000:
            return None, f"{fact.label}应为非负整数（填写了「{raw}」）"
        return value, None
    if fact.kind == "bool":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip()
        if text in YES:
            return YES[text], None
        if text.lower() in ("true", "1"):
            return True, None
        if text.lower() in ("false", "0"):
            return False, None
        return None, f"{fact.label}应填“是”或“否”（填写了「{raw}」）"
    if fact.kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date(), None
        if isinstance(raw, dt.date):
            return raw, None
        text = str(raw).strip().replace("/", "-").replace(".", "-")
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?: 00:00:00)?", text)
        try:
            if not match:
                raise ValueError
            return dt.date(int(match[1]), int(match[2]), int(match[3])), None
        except ValueError:
            return None, f"{fact.label}不是有效日期（应为 2026-01-31 格式，填写了「{raw}」）"
    # choice
    text = str(raw).strip()
    if text in fact.choices:
        return fact.choices[text], None
    if text in fact.choices.values():
        return text, None
    return None, f"{fact.label}无效：「{raw}」，可选：{'、'.join(fact.choices)}"


def clean_facts(domain: str, values: dict[str, Any], *, licence_no: str = "") -> tuple[dict[str, Any], list[tuple]]:
    """Parse and check one object's facts for `domain`. Returns (clean values, [(label, message), …]).
    Unknown keys are refused; missing optional ones take their empty value."""
    facts = FACTS.get(domain)
    if facts is None:
        return {}, [("领域", f"领域「{domain}」没有台账信息")]
    known = {f.name for f in facts}
    errors: list[tuple] = [("", f"未知的台账字段：{key}") for key in values if key not in known]
    out: dict[str, Any] = {}
    model = FACTS_MODELS[domain]
    for fact in facts:
        value, error = parse_fact(fact, values.get(fact.name))
        if error:
            errors.append((fact.label, error))
        elif fact.kind == "choice" and value == "":
            out[fact.name] = model._meta.get_field(fact.name).get_default()  # left blank: the usual case
        else:
            out[fact.name] = value
    errors.extend(_domain_rules(domain, out, licence_no=licence_no))
    return out, errors


def _domain_rules(domain: str, v: dict[str, Any], *, licence_no: str) -> list[tuple]:
    """The cross-field rules of each domain, with the column they are about. A rule runs only when the facts it
    reads parsed (a bad date is reported once, as a bad date)."""
    errors: list[tuple] = []

    def has(*keys: str) -> bool:
        return all(key in v for key in keys)

    if domain == "lpg" and has("role") and v["role"] == LpgRole.STATION:
        if not licence_no:
            errors.append(("许可证号", "液化气供应站必须填写燃气经营许可证号"))
        if has("licence_valid_until") and v["licence_valid_until"] is None:
            errors.append(("许可证有效期至", "液化气供应站必须填写燃气经营许可证有效期"))
        if has("storage_floor") and v["storage_floor"] != StorageFloor.GROUND:
            errors.append(("钢瓶存放位置", "液化气供应站的钢瓶不得存放于地下室或半地下室"))
    if domain == "rental" and has("rooms") and v["rooms"] < 1:
        errors.append(("出租间数", "出租间数至少为 1"))
    if domain == "fireworks":
        if not licence_no:
            errors.append(("许可证号", "烟花爆竹经营者必须持有经营（零售）许可证，请填写许可证号"))
        if has("licence_valid_from", "licence_valid_until"):
            start, end = v["licence_valid_from"], v["licence_valid_until"]
            if start and end and start > end:
                errors.append(("许可证有效期起", "许可证有效期起不能晚于有效期至"))
        if has("stock_limit_boxes") and v["stock_limit_boxes"] < 1:
            errors.append(("限存量（箱）", "限存量应大于 0"))
        if has("storage_place") and any(word in v["storage_place"] for word in ("住宅", "居室", "卧室")):
            errors.append(("储存场所", "烟花爆竹不得储存于住宅或居住场所"))
    if domain == "venue":
        if has("capacity") and v["capacity"] < 1:
            errors.append(("核定人数", "核定人数应大于 0"))
        if has("exits") and v["exits"] < 1:
            errors.append(("安全出口数", "文化娱乐场所至少应有 1 个安全出口"))
    if domain == "elevator":
        if has("last_inspection_on", "next_inspection_on"):
            last, nxt = v["last_inspection_on"], v["next_inspection_on"]
            if last and nxt and nxt <= last:
                errors.append(("下次定期检验", "下次定期检验日期应晚于上次定期检验日期"))
            if last and nxt and (nxt - last).days > 400:
                errors.append(("下次定期检验", "电梯定期检验周期为 1 年，下次检验日期不应晚于上次检验后 13 个月"))
        if has("rescue_code") and v["rescue_code"] and not re.fullmatch(r"\d{4,8}", v["rescue_code"]):
            errors.append(("96333救援码", f"96333 应急救援码应为 4–8 位数字（填写了「{v['rescue_code']}」）"))
    return errors


def facts_of(place: Place) -> PlaceFacts | None:
    model = FACTS_MODELS.get(place.domain.code)
    if model is None:
        return None
    return model.objects.filter(place=place).first()


def facts_flags(domain: str, facts: PlaceFacts | None, *, today: dt.date, cylinders=()) -> list[str]:
    """What the register shows in red about an object (hazard flags, not errors): 群租, 三合一, basement cylinders,
    lapsed licences or inspections."""
    if facts is None:
        return []
    flags: list[str] = []

    def lapsed(day: dt.date | None, what: str) -> None:
        if day is None:
            return
        if day < today:
            flags.append(f"{what}已过期（{day:%Y-%m-%d}）")
        elif (day - today).days <= rules.EXPIRY_REMIND_DAYS:
            flags.append(f"{what}即将到期（{day:%Y-%m-%d}）")

    if domain == "lpg":
        if facts.storage_floor != StorageFloor.GROUND or any(c.location != StorageFloor.GROUND for c in cylinders):
            flags.append("钢瓶存放于地下室或半地下室")
        if facts.role == LpgRole.RESTAURANT and not facts.leak_alarm:
            flags.append("餐饮用户未安装燃气泄漏报警器")
        lapsed(facts.licence_valid_until, "燃气经营许可证")
        for cylinder in cylinders:
            lapsed(cylinder.next_inspection_on, f"钢瓶 {cylinder.seal_code} 定期检验")
    elif domain == "rental":
        if facts.group_rental:
            flags.append(f"群租（{facts.tenant_count} 人 / {facts.rooms} 间）")
        if facts.three_in_one:
            flags.append("三合一场所")
        if facts.ebike_charging == EbikeCharging.INDOOR:
            flags.append("电动车室内或楼道充电")
    elif domain == "fireworks":
        lapsed(facts.licence_valid_until, "烟花爆竹经营许可证")
    elif domain == "venue":
        lapsed(facts.licence_valid_until, "娱乐经营许可证")
        if facts.capacity > rules.VENUE_TWO_EXITS_ABOVE and facts.exits < 2:
            flags.append(f"核定 {facts.capacity} 人仅有 {facts.exits} 个安全出口")
    elif domain == "elevator":
        lapsed(facts.next_inspection_on, "电梯定期检验")
        if not facts.maintenance_company:
            flags.append("无维保单位")
    elif domain == "road":
        if facts.hazard_type in ROAD_PROTECTION_NEEDED and not facts.protection:
            flags.append(f"{facts.get_hazard_type_display()}路段无防护设施")
        if not facts.warning_signs:
            flags.append("未设置警示标志")
    return flags


def _raise(errors: list[tuple]) -> None:
    if errors:
        raise ValidationFailed(
            "；".join(msg for _label, msg in errors), errors=[{"field": f, "message": m} for f, m in errors]
        )


def facts_apply(facts: PlaceFacts, values: dict[str, Any]) -> list[str]:
    """Set clean values on a facts row; returns the changed field names. Derived columns follow."""
    changed = [key for key, value in values.items() if getattr(facts, key) != value]
    for key in changed:
        setattr(facts, key, values[key])
    if hasattr(facts, "group_rental"):
        facts.group_rental = facts.tenant_count > facts.rooms * rules.GROUP_RENTAL_PER_ROOM
    return changed


def place_facts_save(*, actor: User, place: Place, values: dict[str, Any], ip: str | None = None) -> PlaceFacts:
    """保存台账信息 — the domain part of an object, created on first save. All problems are reported at once."""
    ensure_can_edit_place(actor, place)
    domain = place.domain.code
    clean, errors = clean_facts(domain, values, licence_no=place.licence_no)
    _raise(errors)
    model = FACTS_MODELS[domain]
    with transaction.atomic():
        facts = model.objects.select_for_update().filter(place=place).first() or model(place=place)
        created = facts._state.adding
        changed = facts_apply(facts, clean)
        facts.save()
        audit_record(
            actor=actor,
            action="place.facts_saved",
            target=f"place:{place.pk}",
            ip=ip,
            payload={"created": created, "fields": ["***" if c == "tenant_roster" else c for c in changed]},
        )
    return facts


def cylinder_add(
    *,
    actor: User,
    place: Place,
    seal_code: str,
    capacity_kg: int = 15,
    filling_station: str = "",
    next_inspection_on: dt.date | None = None,
    location: str = StorageFloor.GROUND,
) -> LpgCylinder:
    """登记钢瓶 — a cylinder at an LPG point. A cylinder in a basement is refused (GB 51142: 液化石油气钢瓶不得
    存放于地下室或半地下室); the register flags the place instead where it is already so."""
    ensure_can_edit_place(actor, place)
    errors: list[tuple] = []
    if place.domain.code != "lpg":
        errors.append(("监管对象", "只有液化气监管对象可以登记钢瓶"))
    seal_code = (seal_code or "").strip()
    if not re.fullmatch(r"[0-9A-Za-z\-]{4,40}", seal_code):
        errors.append(("钢印号/二维码", "钢印号/二维码应为 4–40 位字母、数字或连字符"))
    elif LpgCylinder.objects.filter(seal_code=seal_code).exists():
        errors.append(("钢印号/二维码", f"钢印号「{seal_code}」已登记"))
    if location not in StorageFloor.values:
        errors.append(("存放位置", f"存放位置无效：{location}"))
    elif location != StorageFloor.GROUND:
        errors.append(("存放位置", "液化气钢瓶不得存放于地下室或半地下室"))
    if not 1 <= capacity_kg <= 50:
        errors.append(("充装量（千克）", "充装量应在 1–50 千克之间"))
    if next_inspection_on is not None and next_inspection_on < clock.now().date():
        errors.append(("下次检验日期", "钢瓶已超过检验期限，超期钢瓶不得继续使用"))
    _raise(errors)
    with transaction.atomic():
        cylinder = LpgCylinder.objects.create(
            place=place,
            seal_code=seal_code,
            capacity_kg=capacity_kg,
            filling_station=filling_station.strip()[:100],
            next_inspection_on=next_inspection_on,
            location=location,
        )
        audit_record(
            actor=actor, action="place.cylinder_added", target=f"place:{place.pk}", payload={"seal": seal_code}
        )
    return cylinder


def worst_grade(grades) -> str | None:
    present = set(grades)
    return next((g for g in rules.RISK_ORDER if g in present), None)


def risk_point_save(
    *,
    actor: User,
    place: Place,
    name: str,
    grade: str,
    control_measures: str,
    hazard: str = "",
    control_level: str = ControlLevel.GRID,
    responsible: str = "",
    point: RiskPoint | None = None,
    is_active: bool = True,
) -> RiskPoint:
    """登记/修改风险点 — graded 红橙黄蓝 with its control measures. The place's risk level becomes the worst active
    grade (through `place_update`, so the version, revision and inspection interval follow)."""
    ensure_can_edit_place(actor, place)
    errors: list[tuple] = []
    name, control_measures = (name or "").strip(), (control_measures or "").strip()
    if not name:
        errors.append(("风险点", "请填写风险点名称"))
    elif len(name) > 100:
        errors.append(("风险点", "风险点名称不能超过 100 字"))
    if grade not in RiskLevel.values:
        errors.append(("风险等级", f"风险等级无效：「{grade}」，应为红、橙、黄、蓝之一"))
    if not control_measures:
        errors.append(("管控措施", "请填写管控措施"))
    if control_level not in ControlLevel.values:
        errors.append(("管控层级", f"管控层级无效：{control_level}"))
    if point is not None and point.place_id != place.pk:
        errors.append(("风险点", "风险点不属于该监管对象"))
    _raise(errors)
    with transaction.atomic():
        point = point or RiskPoint(place=place)
        point.region_path = place.region_path
        point.name, point.grade, point.hazard = name, grade, hazard.strip()[:300]
        point.control_measures, point.control_level = control_measures, control_level
        point.responsible, point.is_active = responsible.strip()[:40], is_active
        point.save()
        audit_record(
            actor=actor, action="place.risk_point_saved", target=f"place:{place.pk}",
            payload={"risk_point": point.pk, "grade": grade},
        )  # fmt: skip
    worst = worst_grade(place.risk_points.filter(is_active=True).values_list("grade", flat=True))
    if worst and worst != place.risk_level:
        place_update(
            actor=actor, place=place, request_id=uuid.uuid4(), base_version=place.version,
            changes={"risk_level": worst},
        )  # fmt: skip
    return point


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_valid(code: str) -> bool:
    """统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character over the first 17."""
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code):
        return False
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


def uscc_with_check(first17: str) -> str:
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


def enterprise_save(
    *,
    actor: User | None,
    uscc: str,
    name: str,
    region,
    address: str = "",
    safety_officer_name: str = "",
    safety_officer_phone: str = "",
) -> tuple[Enterprise, bool]:
    """登记企业 — created or updated by its 统一社会信用代码. `actor` None is an import or the demo."""
    if actor is not None and (actor.role not in EDITORS or not covers_path(actor, region.path)):
        raise NotPermitted("您无权登记该企业")
    uscc = (uscc or "").strip().upper()
    errors: list[tuple] = []
    if not uscc_valid(uscc):
        errors.append(("统一社会信用代码", f"统一社会信用代码「{uscc}」无效（应为 18 位，末位为校验码）"))
    if not (name or "").strip():
        errors.append(("企业名称", "请填写企业名称"))
    phone = (safety_officer_phone or "").replace(" ", "")
    if phone and not re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}", phone):
        errors.append(("安全管理员电话", f"「{phone}」不是有效的手机号或固定电话"))
    _raise(errors)
    with transaction.atomic():
        enterprise = Enterprise.objects.select_for_update().filter(uscc=uscc).first()
        created = enterprise is None
        enterprise = enterprise or Enterprise(uscc=uscc)
        enterprise.name, enterprise.region, enterprise.region_path = name.strip()[:100], region, region.path
        enterprise.address = address.strip()[:200]
        enterprise.safety_officer_name, enterprise.safety_officer_phone = safety_officer_name.strip()[:40], phone
        enterprise.save()
        audit_record(
            actor=actor, action="enterprise.saved", target=f"enterprise:{enterprise.pk}", payload={"created": created}
        )
    return enterprise, created


__all__ = [
    "FACTS",
    "clean_facts",
    "cylinder_add",
    "enterprise_save",
    "facts_flags",
    "facts_of",
    "place_facts_save",
    "risk_point_save",
    "uscc_valid",
]
