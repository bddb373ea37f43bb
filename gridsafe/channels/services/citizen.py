"""群众上报 — citizens' requests (Open311 POSTs and the 随手拍 page) held for the desk's review, the review itself
(受理: the request becomes a case through the desk's 登记; 不予受理 with a reason), the Open311 API keys and the
随手拍 SMS codes. A request is not a case until a centre accepts it: no department owes it anything before."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case, Source
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.services import attachment_add, case_report
from gridsafe.cases.uploads import accept_upload
from gridsafe.catalog.categories import active_category
from gridsafe.catalog.models import Category
from gridsafe.channels.locating import locate_text
from gridsafe.channels.models import CitizenRequest, Open311Key, RequestChannel, RequestState, SmsCode
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.fields import blind_index
from gridsafe.regions.locate import locate_grid

CITIZEN_NS = uuid.UUID("0b9c7e1a-6f3d-4c55-8a21-311311311311")  # case client ids: uuid5(CITIZEN_NS, 受理编号)
REVIEWERS = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.ADMIN})  # county and township centres
PHONE_RE = r"1[3-9][0-9]{9}"
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5


# ---------------------------------------------------------------- Open311 API keys


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open311_key_create(*, name: str, actor: User | None = None) -> tuple[Open311Key, str]:
    """A new client key: returned once, stored as its SHA-256 (a 32-byte random key needs no slow hash)."""
    name = (name or "").strip()[:80]
    if not name:
        raise ValidationFailed("请填写客户端名称")
    key = "o311_" + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            row = Open311Key.objects.create(name=name, key_hash=_key_hash(key), prefix=key[:8])
    except IntegrityError:
        raise ValidationFailed(f"客户端名称已存在：{name}") from None
    audit_record(actor=actor, action="open311.key_created", target=f"open311_key:{row.pk}", payload={"name": name})
    return row, key


def open311_key_check(key: str | None) -> Open311Key | None:
    if not key:
        return None
    row = Open311Key.objects.filter(key_hash=_key_hash(key.strip()), is_active=True).first()
    if row is not None:
        Open311Key.objects.filter(pk=row.pk).update(last_used_at=clock.now())
    return row


# ---------------------------------------------------------------- what citizens may report


def citizen_categories() -> QuerySet[Category]:
    """The active categories citizens may report (GRIDSAFE_CITIZEN_CATEGORIES, codes; empty: all active)."""
    rows = Category.objects.filter(is_active=True, domain__is_active=True).select_related("domain")
    codes = [c for c in settings.GRIDSAFE_CITIZEN_CATEGORIES if c]
    return (rows.filter(code__in=codes) if codes else rows).order_by("domain__sort", "sort", "pk")


# ---------------------------------------------------------------- submission


@dataclass(frozen=True)
class Submission:
    channel: str
    service_code: str
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    media_url: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    ip: str | None = None


def _new_number() -> str:
    return "QZ" + clock.now().strftime("%y%m%d") + f"{secrets.randbelow(10**6):06d}"


def citizen_request_submit(
    *, submission: Submission, client: Open311Key | None = None, photo: BinaryIO | None = None
) -> CitizenRequest:
    """受理前登记 — a citizen's request waits for the desk. Checks the category, the text and the place (inside the
    county: a point through the grid index, an address through the names the desk search knows); a photo is checked
    and stripped of its metadata like every case photo. One row; nothing is a case yet."""
    category = citizen_categories().filter(code=submission.service_code).first()
    if category is None:
        raise NotFound(f"service_code 不存在：{submission.service_code}")
    description = (submission.description or "").strip()
    if len(description) < 5:
        raise ValidationFailed("请描述隐患情况（至少 5 个字）")
    if len(description) > 4000:
        raise ValidationFailed("描述不能超过 4000 字")
    address = (submission.address or "").strip()[:200]
    if submission.lat is not None and submission.lon is not None:
        lon, lat = submission.lon, submission.lat
    elif address:
        found = locate_text(address)
        lon, lat = found.lon, found.lat
        address = address if found.exact else f"{address}（{found.label}）"[:200]
    else:
        raise ValidationFailed("请提供位置：经纬度 lat/long 或地址 address_string")
    grid = locate_grid(lon, lat)  # OutsideCounty (422) when the point is not in the county
    stored_photo = None
    if photo is not None:
        _info, cleaned = accept_upload(photo, max_bytes=settings.GRIDSAFE_UPLOAD_MAX_BYTES)
        if not _info.content_type.startswith("image/"):
            raise ValidationFailed("只能上传照片")
        cleaned.seek(0)
        stored_photo = ContentFile(cleaned.read(), name=f"snap.{_info.content_type.split('/')[-1]}")
    now = clock.now()
    for _ in range(5):
        try:
            with transaction.atomic():
                request = CitizenRequest(
                    number=_new_number(),
                    token=secrets.token_hex(8),
                    channel=submission.channel,
                    client=client,
                    category=category,
                    description=description,
                    lon=lon,
                    lat=lat,
                    address=address,
                    region_path=grid.path,
                    media_url=(submission.media_url or "")[:500],
                    name=(submission.name or "").strip()[:50],
                    phone=(submission.phone or "").strip()[:20],
                    email=(submission.email or "").strip()[:120],
                    ip=submission.ip,
                    created_at=now,
                    updated_at=now,
                )
                if stored_photo is not None:
                    request.photo.save(stored_photo.name, stored_photo, save=False)
                request.save(force_insert=True)
                return request
        except IntegrityError:  # a number drawn twice: draw again
            continue
    raise ValidationFailed("系统繁忙，请稍后再试")


# ---------------------------------------------------------------- review at the desk


def citizen_requests_visible_to(user: User) -> QuerySet[CitizenRequest]:
    """Requests in the reviewer's 辖区 (county and township centres; others see none)."""
    if user.role not in REVIEWERS and not user.is_superuser:
        return CitizenRequest.objects.none()
    paths = jurisdiction_of(user).paths
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(region_path=path) | Q(region_path__startswith=path + ".")
    return CitizenRequest.objects.filter(scope)


def _claim(request_id: int, actor: User) -> CitizenRequest:
    row = citizen_requests_visible_to(actor).select_for_update().filter(pk=request_id).first()
    if row is None:
        raise NotFound("该群众上报不存在")
    if row.state != RequestState.PENDING:
        raise ValidationFailed(f"该上报已{row.get_state_display()}，请刷新")
    return row


def citizen_request_accept(
    *, request_id: int, actor: User, category_code: str | None = None, description: str | None = None
) -> CitizenRequest:
    """受理 — the request becomes a case (source 群众上报) through the desk's 登记 (case_report, channel desk), with
    the reporter's contact sealed as the caller and the photo as its first picture. Idempotent by 受理编号: the case's
    client id is derived from it. Audited."""
    with transaction.atomic():
        row = _claim(request_id, actor)
        category = active_category(category_code or (row.category.code if row.category else ""))
        if row.lon is None or row.lat is None:  # submit always stores a point; a row from elsewhere may not
            raise ValidationFailed("该上报没有位置，无法受理")
        if category is None:
            raise ValidationFailed("请选择隐患类别")
        case, _created = case_report(
            actor=actor,
            client_id=uuid.uuid5(CITIZEN_NS, row.number),
            category_code=category.code,
            description=(description or row.description).strip() + f"\n【群众上报 {row.number}】",
            lon=row.lon,
            lat=row.lat,
            address=row.address,
            source=Source.CITIZEN,
            channel="desk",
            caller_name=row.name,
            caller_phone=row.phone,
        )
        if row.photo:
            with row.photo.open("rb") as fh:
                attachment_add(
                    case=case, actor=actor, client_id=uuid.uuid5(CITIZEN_NS, f"{row.number}:photo"), upload=fh
                )
        now = clock.now()
        row.state, row.case, row.reviewed_by, row.reviewed_at, row.updated_at = (
            RequestState.ACCEPTED,
            case,
            actor,
            now,
            now,
        )
        row.save(update_fields=["state", "case", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(actor=actor, action="citizen.accepted", target=f"citizen_request:{row.pk}", payload={"case": case.pk})
    return row


def citizen_request_reject(*, request_id: int, actor: User, reason: str) -> CitizenRequest:
    """不予受理 — with a reason the citizen sees (Open311 status_notes, the 随手拍 ticket). Audited."""
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ValidationFailed("请填写不予受理的原因")
    with transaction.atomic():
        row = _claim(request_id, actor)
        now = clock.now()
        row.state, row.reject_reason, row.reviewed_by, row.reviewed_at, row.updated_at = (
            RequestState.REJECTED,
            reason,
            actor,
            now,
            now,
        )
        row.save(update_fields=["state", "reject_reason", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(actor=actor, action="citizen.rejected", target=f"citizen_request:{row.pk}", payload={"reason": reason})
    return row


# ---------------------------------------------------------------- what the citizen sees


@dataclass(frozen=True)
class Progress:
    status: str  # Open311: open / closed
    notes: str
    agency: str
    updated_at: object
    expected_at: object


def citizen_request_progress(row: CitizenRequest, case: Case | None = None) -> Progress:
    """The request's status as the citizen sees it: the review, then the case it became (state, outcome)."""
    if row.state == RequestState.PENDING:
        return Progress("open", "已收到，等待网格化中心审核", "", row.updated_at, None)
    if row.state == RequestState.REJECTED:
        return Progress("closed", f"不予受理：{row.reject_reason}", "", row.updated_at, None)
    case = case or row.case
    if case is None:
        return Progress("open", "已受理", "", row.updated_at, None)
    unit = case.department if case.department_id else case.holder_unit
    agency = unit.name if unit is not None else ""
    updated = max(row.updated_at, case.updated_at)
    if case.closed_at is not None or case.state == "closed":
        return Progress("closed", f"已结案：{case.get_closure_display()}", agency, updated, None)
    return Progress("open", f"已受理，{case.get_state_display()}", agency, updated, case.due_at)


# ---------------------------------------------------------------- 随手拍 SMS codes


def _code_hash(phone_hash: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone_hash}:{code}".encode(), hashlib.sha256).hexdigest()


def snap_code_issue(*, phone: str, ip: str | None, send) -> None:
    """A 6-digit code for the phone, valid 10 minutes; only its HMAC is kept. `send(phone, code)` delivers it (the
    messaging app's SMS). The caller rate-limits per address and per phone before calling."""
    now = clock.now()
    code = f"{secrets.randbelow(10**6):06d}"
    phone_hash = blind_index(phone)
    SmsCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True).update(used_at=now)  # one live code a phone
    SmsCode.objects.create(
        phone_hash=phone_hash,
        code_hash=_code_hash(phone_hash, code),
        created_at=now,
        expires_at=now + CODE_TTL,
        ip=ip,
    )
    send(phone, code)


def snap_code_check(*, phone: str, code: str) -> bool:
    """True once for a right code within its time and attempts; every try counts (CODE_ATTEMPTS a code)."""
    phone_hash = blind_index(phone)
    now = clock.now()
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.attempts >= CODE_ATTEMPTS:
            return False
        ok = hmac.compare_digest(row.code_hash, _code_hash(phone_hash, (code or "").strip()))
        row.attempts += 1
        row.used_at = now if ok else None
        row.save(update_fields=["attempts", "used_at"])
    return ok


def snap_requests_today(phone: str) -> int:
    start = clock.now() - timedelta(days=1)
    return CitizenRequest.objects.filter(
        phone_hash=blind_index(phone), channel=RequestChannel.SNAP, created_at__gte=start
    ).count()
