"""Every write of the video app: gateways, the camera register's point → grid binding, an alarm's intake, and the
desk's review of the alarms that wait (立案 or 误报).

An alarm lands once per (gateway, alarm_id): a resend with the same body is answered with the first answer, another
body under the same id is 409. Its case's client id is derived from the same pair, so a retry after a crash between
the case and the alarm row finds the case it made (case_report is idempotent on it) instead of opening another."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.timezone import is_naive, localtime, make_aware

from gridsafe.accounts.jurisdiction import jurisdiction_of
from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.models import Case, Source
from gridsafe.cases.services.attachments import attachment_add
from gridsafe.cases.services.report import case_report
from gridsafe.cases.transitions import OPEN_STATES
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError, IdempotencyConflict, InvalidTransition, NotFound, ValidationFailed
from gridsafe.core.idempotency import fingerprint_matches, request_fingerprint
from gridsafe.regions.coords import to_wgs84
from gridsafe.regions.locate import locate_grid
from gridsafe.video.models import AlarmTypeRule, Camera, Outcome, VideoAlarm, VideoGateway
from gridsafe.video.selectors import in_reach
from gridsafe.video.signing import gateways

# Case client ids of video alarms: uuid5(ALARM_NS, "<gateway key>:<alarm id>").
ALARM_NS = uuid.UUID("1b0e6d1e-1f8e-4b7e-9a7e-2815a1a2c0de")
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024
JPEG_MAGIC = b"\xff\xd8\xff"


def join_window() -> timedelta:
    return timedelta(minutes=settings.GRIDSAFE_VIDEO_JOIN_MINUTES)


# ---------------------------------------------------------------- gateways


def _gateway_actor(*, key: str, name: str, unit: Unit) -> User:
    """The account in whose name the gateway's alarms are registered: a 受理员 of the given centre, without a
    password (nobody signs in as it), so its cases show 视频智能分析 as who registered them."""
    user = User(
        username=f"video-{key}"[:150],
        display_name=f"视频智能分析·{name}"[:40],
        role=Role.CENTRE_OPERATOR,
        unit=unit,
        is_active=True,
    )
    user.set_unusable_password()
    user.save()
    return user


def gateway_create(*, name: str, unit_code: str | None = None, actor: User | None = None) -> tuple[VideoGateway, str]:
    """A new gateway and its secret (shown once: only its sealed copy is kept). Its alarms are registered in the
    name of an account at the given centre (by default the county's grid centre)."""
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationFailed("网关名称不能为空，且不超过 60 个字")
    units = Unit.objects.filter(kind=UnitKind.CENTRE, is_active=True).select_related("region")
    unit = (
        units.filter(code=unit_code).first()
        if unit_code
        else units.filter(region__code=settings.GRIDSAFE_COUNTY_CODE).first()
    )
    if unit is None:
        raise ValidationFailed(f"网格化中心「{unit_code or settings.GRIDSAFE_COUNTY_CODE}」不存在")
    key = secrets.token_hex(16)  # 32 hex digits: an identifier, read as it is
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        gateway = VideoGateway.objects.create(
            key=key, name=name, secret=secret, actor=_gateway_actor(key=key, name=name, unit=unit)
        )
        gateways.invalidate()
        audit_record(actor=actor, action="video.gateway_created", target=f"video_gateway:{key}", payload={"name": name})
    return gateway, secret


def gateway_save(gateway: VideoGateway) -> VideoGateway:
    """Rename or stop (is_active) a gateway: its next alarm is checked against the change (the gateway cache is
    invalidated in the same transaction)."""
    with transaction.atomic():
        gateway.save()
        gateways.invalidate()
    return gateway


def gateway_delete(gateway: VideoGateway) -> None:
    with transaction.atomic():
        gateway.delete()
        gateways.invalidate()


# ---------------------------------------------------------------- cameras


def camera_place(*, lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float, object]:
    """A camera's point in WGS-84 (GCJ-02 / BD-09 / CGCS2000 accepted) and the grid it lies in."""
    try:
        wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    except ValueError:
        raise ValidationFailed(f"不支持的坐标系：{crs}（可用 wgs84、cgcs2000、gcj02、bd09）") from None
    return round(wgs_lon, 6), round(wgs_lat, 6), locate_grid(wgs_lon, wgs_lat)


# ---------------------------------------------------------------- alarms


@dataclass(frozen=True)
class AlarmIn:
    alarm_id: str
    camera_id: str
    type: str
    occurred_at: datetime
    confidence: float
    snapshot: str  # base64 JPEG


def _snapshot_bytes(data: str) -> bytes:
    if not data:
        return b""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("snapshot 不是有效的 base64 编码") from None
    if len(raw) > MAX_SNAPSHOT_BYTES:
        raise ValidationFailed("抓拍图不能超过 4 MB")
    if not raw.startswith(JPEG_MAGIC):
        raise ValidationFailed("抓拍图应为 JPEG 图片")
    return raw


def _description(alarm: AlarmIn, camera: Camera) -> str:
    return (
        f"视频智能告警：{alarm.type}。摄像机 {camera.name}（{camera.channel_id}），"
        f"置信度 {alarm.confidence:.2f}，发生于 {localtime(alarm.occurred_at):%Y-%m-%d %H:%M:%S}。"
    )


def _open_case(
    *, actor: User, client_id: uuid.UUID, category_code: str, camera: Camera, description: str, snapshot: bytes
) -> Case:
    case, _created = case_report(
        actor=actor,
        client_id=client_id,
        category_code=category_code,
        description=description,
        lon=camera.lon,
        lat=camera.lat,
        address=camera.address,
        source=Source.VIDEO,
        channel="desk",
    )
    if snapshot:
        upload = io.BytesIO(snapshot)
        upload.name = "snapshot.jpg"
        attachment_add(
            case=case, actor=actor, client_id=uuid.uuid5(client_id, "snapshot"), upload=upload, role="report"
        )
    return case


def _joinable_case(camera: Camera, alarm_type: str, occurred_at: datetime) -> int | None:
    """The open case a recent alarm of this camera and type opened or joined, within the window before this one."""
    return (
        VideoAlarm.objects.filter(
            camera=camera,
            type=alarm_type,
            case__isnull=False,
            case__state__in=OPEN_STATES,
            occurred_at__gte=occurred_at - join_window(),
            occurred_at__lte=occurred_at + join_window(),
        )
        .order_by("-occurred_at")
        .values_list("case_id", flat=True)
        .first()
    )


def _repeat(gateway_id: int, alarm_id: str, fingerprint_payload: dict[str, object]) -> VideoAlarm | None:
    found = VideoAlarm.objects.filter(gateway_id=gateway_id, alarm_id=alarm_id).first()
    if found is None:
        return None
    if not fingerprint_matches(found.fingerprint, fingerprint_payload):
        raise IdempotencyConflict("该 alarm_id 已用于另一条内容不同的告警")
    return found


def alarm_receive(*, gateway_id: int, alarm: AlarmIn) -> tuple[VideoAlarm, bool]:
    """One alarm from a gateway whose signature was checked. Returns (row, created). A mapped type at or above its
    threshold opens a case at the camera's grid (source 视频, the snapshot its first photo) or joins the open case
    of the same camera and type within the window; any other waits in the review queue."""
    alarm_id = alarm.alarm_id.strip()
    if not alarm_id or len(alarm_id) > 64:
        raise ValidationFailed("alarm_id 不能为空，且不超过 64 个字符")
    alarm_type = alarm.type.strip()
    if not alarm_type or len(alarm_type) > 40:
        raise ValidationFailed("type 不能为空，且不超过 40 个字")
    if not 0 <= alarm.confidence <= 1:
        raise ValidationFailed("confidence 应在 0 到 1 之间")
    snapshot = _snapshot_bytes(alarm.snapshot)
    if is_naive(alarm.occurred_at):  # a gateway that sends local time without an offset: Beijing time
        alarm = replace(alarm, occurred_at=make_aware(alarm.occurred_at))
    payload = {
        "alarm_id": alarm_id,
        "camera_id": alarm.camera_id,
        "type": alarm_type,
        "occurred_at": alarm.occurred_at,
        "confidence": round(alarm.confidence, 3),
        "snapshot_sha256": hashlib.sha256(snapshot).hexdigest(),
    }
    found = _repeat(gateway_id, alarm_id, payload)
    if found is not None:
        return found, False
    now = clock.now()
    if alarm.occurred_at > now + timedelta(minutes=5):
        raise ValidationFailed("occurred_at 晚于服务器当前时间")
    camera = Camera.objects.filter(channel_id=alarm.camera_id, is_active=True).first()
    if camera is None:
        raise ValidationFailed(f"摄像机「{alarm.camera_id}」未在台账中登记或已停用")
    gateway = VideoGateway.objects.select_related("actor__unit__region").get(pk=gateway_id)
    rule = AlarmTypeRule.objects.filter(type=alarm_type, is_active=True).select_related("category").first()
    confidence = Decimal(str(round(alarm.confidence, 3)))
    row = VideoAlarm(
        gateway=gateway,
        alarm_id=alarm_id,
        camera=camera,
        region_path=camera.region_path,
        type=alarm_type,
        occurred_at=alarm.occurred_at,
        received_at=now,
        confidence=confidence,
        fingerprint=request_fingerprint(payload),
        outcome=Outcome.REVIEW,
    )
    if snapshot:
        row.snapshot.save(f"{gateway.key}-{uuid.uuid4().hex}.jpg", ContentFile(snapshot), save=False)
    try:
        with transaction.atomic():
            # One decision at a time per camera: two alarms of one camera and type arriving together join one case.
            Camera.objects.select_for_update().filter(pk=camera.pk).values_list("pk").first()
            if rule is not None and confidence >= rule.threshold:
                joined = _joinable_case(camera, alarm_type, alarm.occurred_at)
                if joined is not None:
                    row.outcome, row.case_id = Outcome.JOINED, joined
                else:
                    try:
                        with transaction.atomic():
                            row.case = _open_case(
                                actor=gateway.actor,
                                client_id=uuid.uuid5(ALARM_NS, f"{gateway.key}:{alarm_id}"),
                                category_code=rule.category.code,
                                camera=camera,
                                description=_description(alarm, camera),
                                snapshot=snapshot,
                            )
                        row.outcome = Outcome.CASE_OPENED
                    except DomainError as error:
                        # A category switched off, a camera outside the gateway account's 辖区: the alarm is not
                        # lost, it waits for a person, saying why it did not open a case.
                        row.case = None
                        row.review_note = f"未能自动立案：{error.detail}"[:200]
            row.save(force_insert=True)
    except IntegrityError:
        if row.snapshot:
            row.snapshot.delete(save=False)
        found = _repeat(gateway_id, alarm_id, payload)  # an identical resend that won the race
        if found is None:
            raise
        return found, False
    except Exception:
        if row.snapshot:
            row.snapshot.delete(save=False)
        raise
    return row, True


# ---------------------------------------------------------------- the desk's review


REVIEW_ROLES = frozenset({Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.ADMIN})


def may_review(user: User) -> bool:
    """Who works the review queue: the desks (stations and centres) and the administrator."""
    return user.is_authenticated and user.role in REVIEW_ROLES and bool(jurisdiction_of(user).paths)


def _alarm_for_review(*, actor: User, alarm_id: int) -> VideoAlarm:
    if not may_review(actor):
        raise NotFound("告警不存在")
    alarm = (
        VideoAlarm.objects.select_for_update()
        .filter(in_reach(actor), pk=alarm_id)
        .select_related("camera", "gateway")
        .first()
    )
    if alarm is None:
        raise NotFound("告警不存在")
    if alarm.outcome != Outcome.REVIEW:
        raise InvalidTransition(f"该告警已处理（{alarm.get_outcome_display()}）")
    return alarm


def alarm_mark_false(*, actor: User, alarm_id: int, note: str = "") -> VideoAlarm:
    """误报 — the reviewer found nothing; it counts against the camera's and the algorithm's precision."""
    with transaction.atomic():
        alarm = _alarm_for_review(actor=actor, alarm_id=alarm_id)
        alarm.outcome = Outcome.FALSE_ALARM
        alarm.reviewed_by = actor
        alarm.reviewed_at = clock.now()
        alarm.review_note = note.strip()[:200]
        alarm.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            action="video.alarm_false",
            target=f"video_alarm:{alarm.pk}",
            payload={"note": alarm.review_note},
        )
    return alarm


def alarm_open_case(*, actor: User, alarm_id: int, category_code: str, note: str = "") -> VideoAlarm:
    """立案 — the reviewer confirms the alarm: a case (source 视频) at the camera's grid in the reviewer's name,
    the snapshot its first photo."""
    with transaction.atomic():
        alarm = _alarm_for_review(actor=actor, alarm_id=alarm_id)
        snapshot = b""
        if alarm.snapshot:
            with alarm.snapshot.open("rb") as handle:
                snapshot = handle.read()
        description = (
            f"视频智能告警（人工研判）：{alarm.type}。摄像机 {alarm.camera.name}（{alarm.camera.channel_id}），"
            f"置信度 {alarm.confidence:.2f}，发生于 {localtime(alarm.occurred_at):%Y-%m-%d %H:%M:%S}。"
        )
        if note.strip():
            description += f"研判说明：{note.strip()[:200]}"
        alarm.case = _open_case(
            actor=actor,
            client_id=uuid.uuid5(ALARM_NS, f"{alarm.gateway.key}:{alarm.alarm_id}:review"),
            category_code=category_code,
            camera=alarm.camera,
            description=description,
            snapshot=snapshot,
        )
        alarm.outcome = Outcome.CASE_FROM_REVIEW
        alarm.reviewed_by = actor
        alarm.reviewed_at = clock.now()
        alarm.review_note = note.strip()[:200]
        alarm.save(update_fields=["outcome", "case", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            action="video.alarm_case",
            target=f"video_alarm:{alarm.pk}",
            payload={"case_id": alarm.case_id, "category": category_code},
        )
    return alarm
