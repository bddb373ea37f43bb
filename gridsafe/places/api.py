"""Supervised places (监管对象) for the field app: list, detail, add, offline-safe edit, audited contact reveal.
Mounted by `gridsafe.field.api` under /api/v1/field/places."""

from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Query, Router, Schema, Status

from gridsafe.core import clock
from gridsafe.core.http import client_ip
from gridsafe.core.input import Id, InputSchema
from gridsafe.core.paging import page_window
from gridsafe.core.problem import Problem
from gridsafe.core.ratelimit import ratelimit
from gridsafe.places.permissions import get_place_for_user
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
