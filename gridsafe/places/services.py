"""Every write to a supervised place (监管对象). One service per action; page, API and field app call these.

Offline edits: a place carries a `version`. An edit names the version it was based on. Same version → applied.
Older version → merged when none of its fields was changed on the server since (per `PlaceRevision`), otherwise
refused as `PlaceEditConflict` (409) carrying both versions, so nothing a colleague entered is silently lost."""

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from gridsafe.accounts.models import User
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError, IdempotencyConflict, NotPermitted, ValidationFailed
from gridsafe.core.fields import blind_index
from gridsafe.core.http import current_client_ip
from gridsafe.core.idempotency import create_once, fingerprint_matches, request_fingerprint
from gridsafe.places.masking import is_masked
from gridsafe.places.models import Place, PlaceKind, PlaceRevision, RentalClass, RiskLevel
from gridsafe.places.permissions import EDITORS, can_reveal_contact, covers_path, ensure_can_edit_place
from gridsafe.places.schedule import schedule_for
from gridsafe.places.selectors import place_out
from gridsafe.regions.coords import to_wgs84
from gridsafe.regions.locate import locate_grid
from gridsafe.regions.models import Region, RegionLevel

EDITABLE = (
    "name",
    "kind",
    "domain",
    "address",
    "lon",
    "lat",
    "contact_name",
    "contact_phone",
    "licence_no",
    "risk_level",
    "rental_class",
    "is_active",
)
TEXT_FIELDS = frozenset(
    {"name", "kind", "domain", "address", "contact_name", "contact_phone", "licence_no", "risk_level", "rental_class"}
)
SCHEDULE_FIELDS = frozenset({"kind", "domain", "risk_level", "rental_class"})
PERSONAL = frozenset({"contact_name", "contact_phone"})


class PlaceEditConflict(DomainError):
    status = 409
    code = "edit_conflict"
    title = "监管对象已被他人修改"


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    """Known fields only, trimmed and checked. A masked contact sent back unchanged is no change at all."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE:
            raise ValidationFailed(f"不能修改字段：{key}")
        if key in PERSONAL and is_masked(str(value or "")):
            continue
        if key in TEXT_FIELDS:
            if value is None:
                value = ""  # null clears an optional text field; `name` is refused below
            if not isinstance(value, str):
                raise ValidationFailed(f"{key} 应为文本")
            value = value.strip()
        elif key in ("lon", "lat"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationFailed(f"{key} 应为数字")
        elif key == "is_active" and not isinstance(value, bool):
            raise ValidationFailed("is_active 应为 true 或 false")
        out[key] = value
    if "name" in out and not out["name"]:
        raise ValidationFailed("请填写监管对象名称")
    if "kind" in out and out["kind"] not in PlaceKind.values:
        raise ValidationFailed(f"监管对象类型无效：{out['kind']}")
    if "risk_level" in out and out["risk_level"] not in RiskLevel.values:
        raise ValidationFailed(f"风险等级无效：{out['risk_level']}")
    if "rental_class" in out and (out["rental_class"] or "") not in RentalClass.values:
        raise ValidationFailed(f"出租房分类无效：{out['rental_class']}")
    if "contact_phone" in out and out["contact_phone"] and not _phone_ok(out["contact_phone"]):
        raise ValidationFailed("联系电话格式不正确")
    for key, limit in (
        ("name", 100),
        ("address", 200),
        ("contact_name", 40),
        ("contact_phone", 20),
        ("licence_no", 60),
    ):
        if key in out and len(out[key] or "") > limit:
            raise ValidationFailed(f"{key} 过长（最多 {limit} 字）")
    return out


def _phone_ok(phone: str) -> bool:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return 5 <= len(digits) <= 15 and all(ch.isdigit() or ch in "+- ()" for ch in phone)


def _domain(code: str) -> Domain:
    domain = Domain.objects.filter(code=code, is_active=True).first()
    if domain is None:
        raise ValidationFailed(f"领域不存在：{code}")
    return domain


def _grid_for(actor: User, *, lon: float, lat: float, grid_code: str | None) -> Region:
    """The grid the place belongs to: the one named (in the actor's 辖区) or the one containing the point."""
    if grid_code:
        grid = Region.objects.filter(code=grid_code, level=RegionLevel.GRID, is_active=True).first()
        if grid is None or not covers_path(actor, grid.path):
            raise ValidationFailed("网格不存在或不在您的辖区内")
        return grid
    hit = locate_grid(lon, lat)
    if not covers_path(actor, hit.path):
        raise ValidationFailed("该位置不在您的辖区内，请选择所属网格")
    return Region.objects.get(pk=hit.region_id)


def place_create(
    *,
    actor: User,
    client_id: uuid.UUID,
    name: str,
    kind: str,
    domain_code: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    grid_code: str | None = None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    licence_no: str = "",
    risk_level: str = RiskLevel.YELLOW,
    rental_class: str = "",
) -> tuple[Place, bool]:
    """新增监管对象 — idempotent on the client's UUID. Returns (place, created). The first visit is due at once."""
    submitted: dict[str, Any] = dict(
        name=name,
        kind=kind,
        domain=domain_code,
        lon=lon,
        lat=lat,
        crs=crs,
        grid=grid_code,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        licence_no=licence_no,
        risk_level=risk_level,
        rental_class=rental_class,
    )
    place, created = create_once(
        Place.objects.all(),
        client_id=client_id,
        actor_id=actor.pk,
        payload=submitted,
        create=lambda fingerprint: _place_insert(
            actor=actor, client_id=client_id, fingerprint=fingerprint, **submitted
        ),
        actor_field="created_by_id",
        conflict="该 client_id 已用于另一个监管对象",
    )
    return (place, True) if created else (Place.objects.select_related("domain", "region").get(pk=place.pk), False)


@transaction.atomic(durable=True)
def _place_insert(
    *, actor: User, client_id: uuid.UUID, fingerprint: str, crs: str, grid: str | None, **fields: Any
) -> Place:
    if actor.role not in EDITORS:
        raise NotPermitted("您无权新增监管对象")
    values = _clean({k: v for k, v in fields.items() if k not in ("domain", "lon", "lat")})
    try:
        lon, lat = to_wgs84(fields["lon"], fields["lat"], crs)
    except ValueError:
        raise ValidationFailed(f"坐标无效或坐标系不支持：{crs}")
    region = _grid_for(actor, lon=lon, lat=lat, grid_code=grid)
    now = clock.now()
    place = Place(
        client_id=client_id,
        client_fingerprint=fingerprint,
        domain=_domain(fields["domain"]),
        region=region,
        region_path=region.path,
        lon=lon,
        lat=lat,
        created_by=actor,
        **values,
    )
    for key, value in schedule_for(place, None, now).items():
        setattr(place, key, value)
    place.save()
    return place


def place_update(
    *, actor: User, place: Place, request_id: uuid.UUID, base_version: int, changes: dict[str, Any]
) -> tuple[Place, PlaceRevision]:
    """修改监管对象 — optimistic concurrency on `version`; idempotent on `request_id`. One PlaceRevision.

    An edit based on an older version is merged only if no field it changes was changed on the server since;
    otherwise `PlaceEditConflict` (409) with the server's current place and the client's attempted edit."""
    edit = {"place": place.pk, "base_version": base_version, "changes": changes}
    fingerprint = request_fingerprint(edit)
    revision = PlaceRevision.objects.filter(request_id=request_id).first()
    if revision is not None:
        return _repeat(revision, edit, place, actor)
    try:
        return _place_update(
            actor=actor,
            place_id=place.pk,
            request_id=request_id,
            base_version=base_version,
            changes=changes,
            fingerprint=fingerprint,
        )
    except IntegrityError:
        revision = PlaceRevision.objects.filter(request_id=request_id).first()
        if revision is None:
            raise
        return _repeat(revision, edit, place, actor)


def _repeat(revision: PlaceRevision, edit: dict[str, Any], place: Place, actor: User) -> tuple[Place, PlaceRevision]:
    """A resend of the same edit by the same person (the caller found the place in their 辖区 first). Another
    person's request id is no way to their edit: 409 like any reuse."""
    same = fingerprint_matches(revision.fingerprint, edit) and revision.place_id == place.pk
    if not same or revision.actor_id != actor.pk:
        raise IdempotencyConflict("该 request_id 已用于另一次修改")
    return Place.objects.select_related("domain", "region").get(pk=revision.place_id), revision


@transaction.atomic(durable=True)
def _place_update(
    *, actor: User, place_id: int, request_id: uuid.UUID, base_version: int, changes: dict[str, Any], fingerprint: str
) -> tuple[Place, PlaceRevision]:
    # The row lock orders concurrent edits of one place; SQLite's IMMEDIATE transactions serialise them anyway.
    place = Place.objects.select_for_update().select_related("domain", "region").get(pk=place_id)
    ensure_can_edit_place(actor, place)
    wanted = _clean(changes)
    if base_version > place.version or base_version < 1:
        raise ValidationFailed(f"版本号无效：{base_version}（当前 {place.version}）")
    current = _values(place)
    diff = {k: v for k, v in wanted.items() if current.get(k) != _comparable(k, v)}
    merged = False
    if base_version < place.version:
        changed_since = _fields_changed_since(place, base_version)
        clashes = sorted(k for k in diff if changed_since is None or k in changed_since)
        if clashes:
            raise PlaceEditConflict(
                f"该监管对象已被他人修改（版本 {base_version} → {place.version}），冲突字段：{'、'.join(clashes)}",
                fields=clashes,
                server=place_out(place, actor=actor, now=clock.now()),
                client={"base_version": base_version, "changes": {k: wanted[k] for k in wanted}},
            )
        merged = True
    now = clock.now()
    row: dict[str, Any] = {}
    for key, value in diff.items():
        if key == "domain":
            row["domain_id"] = _domain(value).pk
        elif key in ("lon", "lat"):
            row[key] = float(value)
        else:
            row[key] = value
    if "lon" in row or "lat" in row:
        lon, lat = row.get("lon", place.lon), row.get("lat", place.lat)
        hit = locate_grid(lon, lat)
        if not covers_path(actor, hit.path):
            raise ValidationFailed("新位置不在您的辖区内")
        row.update(region_id=hit.region_id, region_path=hit.path)
    if SCHEDULE_FIELDS & diff.keys():
        for key, value in row.items():
            setattr(place, key, value)
        if "domain_id" in row:
            place.domain = Domain.objects.get(pk=row["domain_id"])
        row.update(schedule_for(place, place.last_inspected_at, now))
    if "contact_phone" in row:  # update() encrypts through the field but skips its pre_save: the index by hand
        row["contact_phone_hash"] = blind_index(row["contact_phone"]) if row["contact_phone"] else ""
    new_version = place.version + 1
    Place.objects.filter(pk=place.pk).update(version=F("version") + 1, updated_at=now, **row)
    revision = PlaceRevision.objects.create(
        place_id=place.pk,
        request_id=request_id,
        fingerprint=fingerprint,
        base_version=base_version,
        version=new_version,
        actor=actor,
        actor_label=actor.label,
        changes={
            k: ["***" if k in PERSONAL else current.get(k), "***" if k in PERSONAL else v] for k, v in diff.items()
        },
        merged=merged,
        created_at=now,
        ip=current_client_ip(),
    )
    return Place.objects.select_related("domain", "region").get(pk=place.pk), revision


def _values(place: Place) -> dict[str, Any]:
    values = {key: getattr(place, key) for key in EDITABLE if key != "domain"}
    values["domain"] = place.domain.code
    return values


def _comparable(key: str, value: Any) -> object:
    if key in ("lon", "lat"):
        return float(value)
    if key == "is_active":
        return bool(value)
    return value if value is not None else ""


def _fields_changed_since(place: Place, base_version: int) -> set[str] | None:
    """Fields changed by the revisions after `base_version`; None when a revision is missing (an edit outside
    `place_update`), in which case every field counts as changed."""
    revisions = list(
        PlaceRevision.objects.filter(place=place, version__gt=base_version).values_list("changes", flat=True)
    )
    if len(revisions) != place.version - base_version:
        return None
    return {key for changes in revisions for key in changes}


def place_mark_inspected(*, place_id: int, completed_at: datetime) -> None:
    """After a visit: last_inspected_at and the next due date from the completion date. Runs inside the caller's
    transaction (`place_visit_record`). A late upload of an older visit never moves the schedule backwards.
    Does not bump `version`: the schedule is the server's, so it never conflicts with a worker's offline edit."""
    place = Place.objects.select_for_update().select_related("domain").get(pk=place_id)
    if place.last_inspected_at is not None and place.last_inspected_at >= completed_at:
        return
    columns = schedule_for(place, completed_at, clock.now())
    Place.objects.filter(pk=place_id).update(last_inspected_at=completed_at, **columns)


def place_contact_reveal(*, actor: User, place: Place, ip: str | None = None) -> dict[str, str]:
    """查看完整联系方式 — full name and phone for an authorised role. Writes one AuditEvent (domain.md §10)."""
    if not can_reveal_contact(actor, place):
        audit_record(actor=actor, action="place.contact_revealed", target=f"place:{place.pk}", outcome="failure", ip=ip)
        raise NotPermitted("您无权查看完整联系方式")
    audit_record(
        actor=actor,
        action="place.contact_revealed",
        target=f"place:{place.pk}",
        ip=ip,
        payload={"fields": ["contact_name", "contact_phone"]},
    )
    return {"contact_name": place.contact_name, "contact_phone": place.contact_phone}


__all__ = ["PlaceEditConflict", "place_contact_reveal", "place_create", "place_mark_inspected", "place_update"]
