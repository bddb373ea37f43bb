"""Supervised places (监管对象) for the field app: list, detail, add, offline-safe edit, audited contact reveal.
Mounted by `gridsafe.field.api` under /api/v1/field/places."""

from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from gridsafe.core import clock
from gridsafe.core.http import client_ip
from gridsafe.core.input import Id, InputSchema
from gridsafe.core.paging import page_window
from gridsafe.core.problem import Problem
from gridsafe.core.ratelimit import ratelimit
from gridsafe.places.permissions import get_place_for_user
from gridsafe.places.register_selectors import place_register
from gridsafe.places.registers import cylinder_add, place_facts_save, risk_point_save
from gridsafe.places.selectors import place_list_visible, place_out
from gridsafe.places.services import place_contact_reveal, place_create, place_update

router = Router(tags=["places"])

ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}

PlaceKindIn = Literal[
    "lpg_point",
    "rental_housing",
    "fireworks_seller",
    "entertainment_venue",
    "elevator",
    "crowded_place",
    "road_section",
    "other",
]


class PlaceOut(Schema):
    id: int
    client_id: UUID | None
    version: int
    name: str
    kind: str
    kind_label: str
    domain: str
    domain_name: str
    grid_code: str
    grid_name: str
    address: str
    lon: float
    lat: float
    contact_name: str = Field(description="Masked: 林*")
    contact_phone: str = Field(description="Masked: 138****5678")
    licence_no: str
    risk_level: str
    risk_label: str
    rental_class: str
    inspection_interval_days: int
    last_inspected_at: datetime | None
    next_due_at: datetime | None
    due_state: str
    is_active: bool
    can_edit: bool
    updated_at: datetime


class PlacePage(Schema):
    items: list[PlaceOut]
    total: int


class PlaceCreateIn(InputSchema):
    client_id: UUID = Field(description="Generated on the device; an identical resend returns the same place")
    name: str = Field(min_length=1, max_length=100)
    kind: PlaceKindIn
    domain: str = Field(max_length=64)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"
    grid_code: str | None = Field(
        default=None, max_length=64, description="The grid; default: the grid containing the point"
    )
    address: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=40)
    contact_phone: str = Field(default="", max_length=20)
    licence_no: str = Field(default="", max_length=60)
    risk_level: Literal["red", "orange", "yellow", "blue"] = "yellow"
    rental_class: Literal["", "strict", "watch"] = ""


class PlaceUpdateIn(InputSchema):
    request_id: UUID = Field(description="One UUID per edit; a resend of the same edit lands once")
    base_version: int = Field(ge=1, description="The version the edit was made on (offline: maybe old)")
    changes: dict[str, Any] = Field(
        max_length=20, description="Only the fields changed, new values; masked contacts are ignored"
    )


class PlaceContactOut(Schema):
    contact_name: str
    contact_phone: str


class PlaceListQuery(InputSchema):
    grid: str | None = None
    due: Literal["week", "overdue"] | None = None
    q: str | None = None
    limit: int = 200
    offset: int = 0


@router.get("", response={200: PlacePage, **ERRORS}, operation_id="place_list_visible")
def list_places(request, query: Query[PlaceListQuery]):
    """Places in my 辖区 (contacts masked), soonest due first."""
    now = clock.now()
    due_by = {"week": now + timedelta(days=7), "overdue": now}.get(query.due or "")
    qs = place_list_visible(request.user, grid=query.grid, due_by=due_by, q=query.q)
    limit, offset = page_window(query.limit, query.offset, max_limit=500)
    page = qs[offset : offset + limit]
    return {"items": [place_out(p, actor=request.user, now=now) for p in page], "total": qs.count()}


@router.post("", response={200: PlaceOut, 201: PlaceOut, **ERRORS}, operation_id="place_create")
@ratelimit("place_create", "GRIDSAFE_INTAKE_RATE")
def create_place(request, body: PlaceCreateIn):
    """新增监管对象. 201 created; 200 for an identical resend; 409 when the client_id was used for other content."""
    place, created = place_create(
        actor=request.user,
        client_id=body.client_id,
        name=body.name,
        kind=body.kind,
        domain_code=body.domain,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        grid_code=body.grid_code,
        address=body.address,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
        licence_no=body.licence_no,
        risk_level=body.risk_level,
        rental_class=body.rental_class,
    )
    place = get_place_for_user(request.user, place.pk)
    return Status(201 if created else 200, place_out(place, actor=request.user, now=clock.now()))


@router.get("/{place_id}", response={200: PlaceOut, **ERRORS}, operation_id="place_detail")
def place_detail(request, place_id: Id):
    return place_out(get_place_for_user(request.user, place_id), actor=request.user, now=clock.now())


@router.patch("/{place_id}", response={200: PlaceOut, **ERRORS}, operation_id="place_update")
def update_place(request, place_id: Id, body: PlaceUpdateIn):
    """修改监管对象. An edit based on an older version is merged when it touches no field changed since;
    otherwise 409 `edit_conflict` with `server` (current place) and `client` (the attempted edit)."""
    place = get_place_for_user(request.user, place_id)
    place, _revision = place_update(
        actor=request.user,
        place=place,
        request_id=body.request_id,
        base_version=body.base_version,
        changes=body.changes,
    )
    return place_out(place, actor=request.user, now=clock.now())


@router.post("/{place_id}/contact", response={200: PlaceContactOut, **ERRORS}, operation_id="place_contact_reveal")
def reveal_contact(request, place_id: Id):
    """Full contact name and phone. Every reveal is written to the audit log."""
    place = get_place_for_user(request.user, place_id)
    return place_contact_reveal(actor=request.user, place=place, ip=client_ip(request))


# ---------------------------------------------------------------- registers (台账, issue #16)


class RegisterRiskPointOut(Schema):
    id: int
    name: str
    grade: str
    grade_label: str
    hazard: str
    control_measures: str
    control_level: str
    responsible: str


class RegisterCylinderOut(Schema):
    seal_code: str
    capacity_kg: int
    filling_station: str
    next_inspection_on: date | None
    location: str


class RegisterDeadlineItemOut(Schema):
    kind: str
    label: str
    due_on: date
    expired: bool
    case_number: str


class RegisterCardOut(Schema):
    place_id: int
    domain: str
    facts: list[list[str]] = Field(description="[中文字段名, 显示值]; personal data never in clear")
    flags: list[str] = Field(description="隐患提示: 群租, 三合一, 钢瓶存放于地下室, 许可证即将到期 …")
    risk_points: list[RegisterRiskPointOut]
    cylinders: list[RegisterCylinderOut]
    deadlines: list[RegisterDeadlineItemOut]
    inspection_interval_days: int
    risk_level: str


class FactsIn(InputSchema):
    values: dict[str, Any] = Field(
        max_length=30, description="The domain's facts by name (places.registers.FACTS); dates as 2026-01-31"
    )


class RiskPointIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    grade: Literal["red", "orange", "yellow", "blue"]
    control_measures: str = Field(min_length=1, max_length=2000)
    hazard: str = Field(default="", max_length=300)
    control_level: Literal["county", "township", "grid", "unit"] = "grid"
    responsible: str = Field(default="", max_length=40)


class CylinderIn(InputSchema):
    seal_code: str = Field(min_length=1, max_length=40)
    capacity_kg: int = Field(default=15, ge=1, le=50)
    filling_station: str = Field(default="", max_length=100)
    next_inspection_on: date | None = None
    location: Literal["ground", "semi_basement", "basement"] = "ground"


def _card(place) -> dict:
    today = timezone.localtime(clock.now()).date()
    card = place_register(place, today)
    return {
        "place_id": place.pk,
        "domain": card["domain"],
        "facts": [[label, value] for label, value in card["facts"]],
        "flags": card["flags"],
        "risk_points": [
            {
                "id": r.pk,
                "name": r.name,
                "grade": r.grade,
                "grade_label": r.get_grade_display(),
                "hazard": r.hazard,
                "control_measures": r.control_measures,
                "control_level": r.control_level,
                "responsible": r.responsible,
            }
            for r in card["risk_points"]
        ],  # fmt: skip
        "cylinders": [
            {
                "seal_code": c.seal_code,
                "capacity_kg": c.capacity_kg,
                "filling_station": c.filling_station,
                "next_inspection_on": c.next_inspection_on,
                "location": c.location,
            }
            for c in card["cylinders"]
        ],  # fmt: skip
        "deadlines": card["deadlines"],
        "inspection_interval_days": place.inspection_interval_days,
        "risk_level": place.risk_level,
    }


@router.get("/{place_id}/register", response={200: RegisterCardOut, **ERRORS}, operation_id="place_register")
def place_register_card(request, place_id: Id):
    """The object's register card (台账): domain facts, hazard flags, risk points, cylinders, deadlines."""
    return _card(get_place_for_user(request.user, place_id))


@router.put("/{place_id}/facts", response={200: RegisterCardOut, **ERRORS}, operation_id="place_facts_save")
def save_facts(request, place_id: Id, body: FactsIn):
    """保存台账信息. Every problem at once, in Chinese (422 with `errors`: [{field, message}])."""
    place = get_place_for_user(request.user, place_id)
    place_facts_save(actor=request.user, place=place, values=body.values, ip=client_ip(request))
    return _card(get_place_for_user(request.user, place_id))


@router.post("/{place_id}/risk-points", response={201: RegisterCardOut, **ERRORS}, operation_id="risk_point_create")
def add_risk_point(request, place_id: Id, body: RiskPointIn):
    """登记风险点. The place's risk level becomes the worst active grade, and its inspection interval follows."""
    place = get_place_for_user(request.user, place_id)
    risk_point_save(actor=request.user, place=place, **body.dict())
    return Status(201, _card(get_place_for_user(request.user, place_id)))


@router.post("/{place_id}/cylinders", response={201: RegisterCardOut, **ERRORS}, operation_id="cylinder_add")
def add_cylinder(request, place_id: Id, body: CylinderIn):
    """登记液化气钢瓶. A cylinder in a basement or semi-basement is refused (422)."""
    place = get_place_for_user(request.user, place_id)
    cylinder_add(actor=request.user, place=place, **body.dict())
    return Status(201, _card(get_place_for_user(request.user, place_id)))
