"""12345 工单: intake (a work order becomes a case at the county desk, 签收 owed back), what the case's events owe
the platform (退单, 延期申请, 办结回复: an outbox row in the event's own transaction), delivery of the outbox with
backoff, and the platform's 回访 (satisfaction) recorded on the case, where the rollups count it (12345满意率)."""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.accounts.routing import tier_unit_id
from gridsafe.cases.models import Attachment, AttachmentRole, Case, CaseEvent, Level, Source
from gridsafe.cases.services import _move, case_report
from gridsafe.cases.transitions import Action
from gridsafe.catalog.categories import active_category
from gridsafe.catalog.models import Category
from gridsafe.channels import tasks
from gridsafe.channels.hotline import HotlinePlatform, PushFailed, WorkOrder, platform
from gridsafe.channels.locating import locate_text
from gridsafe.channels.models import (
    HotlineOrder,
    HotlineOutbox,
    OrderState,
    PushKind,
    PushState,
    Satisfaction,
)
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import ValidationFailed
from gridsafe.messaging.services import backoff

log = logging.getLogger("gridsafe.channels")

HOTLINE_NS = uuid.UUID("5f1d2c1e-3a8b-4d3e-9f57-12345a0b0c0d")  # case client ids: uuid5(HOTLINE_NS, 工单编号)
SERVICE_USERNAME = "channel-12345"
MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4 … min, capped at 6 h: about two days before a push is marked 多次失败
RETRY_FIRST_SECONDS = 30  # the first wait of messaging.services.backoff, doubled each failed push
PHOTO_LIMIT = 9
PHOTO_MAX_BYTES = 5 * 1024 * 1024


def hotline_user() -> User:
    """The account 12345 orders are registered under: an operator of the county centre that no person logs in as
    (no usable password). Made on first use, so a county's go-live needs no extra step."""
    user = User.objects.filter(username=SERVICE_USERNAME).select_related("unit__region").first()
    if user is not None:
        return user
    unit_id = tier_unit_id(settings.GRIDSAFE_COUNTY_CODE, Level.COUNTY)
    if unit_id is None:
        raise ValidationFailed("本县网格化中心尚未建立，无法接收 12345 工单")
    user = User(username=SERVICE_USERNAME, display_name="12345热线接口", role=Role.CENTRE_OPERATOR, unit_id=unit_id)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another request made it first
        pass
    return User.objects.select_related("unit__region").get(username=SERVICE_USERNAME)


def _category_for(order: WorkOrder) -> Category:
    """The order's own category code when it names an active one; else the category whose name or a keyword
    appears in the 诉求; else GRIDSAFE_HOTLINE_CATEGORY; else the first active category (the desk corrects it)."""
    if order.category:
        named = active_category(order.category)
        if named is not None:
            return named
    text = order.content + order.address
    best: tuple[int, Category] | None = None
    for category in Category.objects.filter(is_active=True).only("code", "name", "keywords").order_by("sort", "pk"):
        words = [category.name, *category.keywords.replace("，", " ").replace(",", " ").split()]
        hits = [w for w in words if len(w) >= 2 and w in text]
        score = max((len(w) for w in hits), default=0)
        if score and (best is None or score > best[0]):
            best = (score, category)
    if best is not None:
        return active_category(best[1].code) or best[1]
    fallback = active_category(settings.GRIDSAFE_HOTLINE_CATEGORY) if settings.GRIDSAFE_HOTLINE_CATEGORY else None
    fallback = fallback or Category.objects.filter(is_active=True).order_by("sort", "pk").first()
    if fallback is None:
        raise ValidationFailed("隐患类别目录为空，无法登记工单")
    return fallback


def _due_text(order: WorkOrder) -> str:
    """The platform's 办理时限, shown to the desk in the case's description (the case's own deadlines follow the
    county's rules; the order keeps the platform's in `HotlineOrder.due_at`)."""
    return f"，办理时限 {timezone.localtime(order.due_at):%Y-%m-%d %H:%M}" if order.due_at else ""


def hotline_order_receive(*, order: WorkOrder, source: HotlinePlatform | None = None) -> tuple[HotlineOrder, bool]:
    """接收工单 — a 12345 work order becomes a case (source 12345) at the county desk, registered as the desk
    registers a call (case_report, channel desk), at the place its text names; the 签收 is queued back to the
    platform in the same transaction. Idempotent by 工单编号: a resend is answered with the order it made.
    Returns (order, created)."""
    existing = HotlineOrder.objects.filter(order_no=order.order_no).select_related("case").first()
    if existing is not None:
        return existing, False
    actor = hotline_user()
    if order.lon is not None and order.lat is not None:
        lon, lat, located_by = order.lon, order.lat, "平台坐标"
    else:
        found = locate_text(f"{order.address} {order.content}")
        lon, lat, located_by = found.lon, found.lat, found.label
    category = _category_for(order)
    now = clock.now()
    try:
        with transaction.atomic():
            row = HotlineOrder.objects.create(
                order_no=order.order_no,
                platform=source.name if source is not None else "json-http",
                content=order.content,
                caller_name=order.caller_name,
                caller_phone=order.caller_phone,
                address=order.address,
                located_by=located_by,
                due_at=order.due_at,
                received_at=now,
                raw=order.raw,
            )
            case, _created = case_report(
                actor=actor,
                client_id=uuid.uuid5(HOTLINE_NS, order.order_no),
                category_code=category.code,
                description=f"【12345工单 {order.order_no}{_due_text(order)}】{order.content}",
                lon=lon,
                lat=lat,
                address=(order.address or located_by)[:200],
                source=Source.HOTLINE,
                channel="desk",
                start_level=settings.GRIDSAFE_HOTLINE_START_LEVEL,
                caller_name=order.caller_name,
                caller_phone=order.caller_phone,
            )
            row.case = case
            row.state = OrderState.SIGNED
            row.save(update_fields=["case", "state"])
            _queue(
                row,
                PushKind.SIGN,
                "intake",
                {
                    "case_no": case.pk,
                    "unit": case.holder_unit.name if case.holder_unit else "",
                    "signed_at": now.isoformat(),
                    "note": "已签收，转网格化中心研判办理",
                },
            )
    except IntegrityError:
        # The same order number arriving twice at once: the loser's insert fails; answer with the winner's row.
        existing = HotlineOrder.objects.filter(order_no=order.order_no).select_related("case").first()
        if existing is None:
            raise
        return existing, False
    return row, True


def _queue(order: HotlineOrder, kind: str, key: str, payload: dict[str, Any]) -> None:
    """One outbox row, in the caller's transaction; delivery is scheduled once it commits. A second row for the
    same (order, kind, key) is not made (a repeated event owes nothing new)."""
    now = clock.now()
    with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction usable
        try:
            push = HotlineOutbox.objects.create(
                order=order,
                kind=kind,
                key=key,
                payload={"order_no": order.order_no, **payload},
                next_attempt_at=now,
                created_at=now,
            )
        except IntegrityError:
            return
    if platform().configured:  # else it waits, untried, for the platform's address (the flush sends it then)
        transaction.on_commit(lambda: tasks.hotline_push_send.enqueue(push_id=push.pk))


# ---------------------------------------------------------------- what case events owe the platform

_OWED = {
    "case.verified": PushKind.REPLY,
    "case.merged": PushKind.REPLY,
    "case.voided": PushKind.RETURN,
    "case.transferred": PushKind.RETURN,
    "case.extension_requested": PushKind.EXTEND,
}


def hotline_case_event(*, event: CaseEvent, case_before=None, case_after=None, changes=None, writes=None) -> None:
    """Registered with cases.hooks.on_case_event: runs inside the case service's transaction, so the reply the
    platform is owed commits (or rolls back) with the event that owes it. Costs nothing for other sources; one
    query for a 12345 case's order."""
    kind = _OWED.get(event.kind)
    if kind is None or writes is not None or case_before is None or case_before.source != Source.HOTLINE:
        return
    order = HotlineOrder.objects.filter(case_id=event.case_id).first()
    if order is None:  # a 12345 case the desk registered by hand: no platform order to answer
        return
    payload: dict[str, Any]
    if kind == PushKind.REPLY:
        payload = _reply_payload(event)
        order.state = OrderState.REPLIED
    elif kind == PushKind.RETURN:
        label = (event.payload or {}).get("reason_label") or (event.payload or {}).get("external_body") or ""
        reason = "；".join(p for p in (label, event.comment) if p) or "不属于本平台办理范围"
        payload = {"reason": reason, "returned_at": event.created_at.isoformat()}
        order.state = OrderState.RETURNED
    else:
        payload = {
            "reason": event.comment,
            "requested_due": (event.payload or {}).get("requested_due"),
            "requested_at": event.created_at.isoformat(),
        }
    order.save(update_fields=["state"])
    _queue(order, kind, f"event:{event.pk}", payload)


def _reply_payload(event: CaseEvent) -> dict[str, Any]:
    """办结回复: the result (the last 提交整改's measures and method, or the merge) and the after-photos (ids here;
    their bytes are read when the push is sent, so the outbox row stays small)."""
    if event.kind == "case.merged":
        return {
            "result": f"重复件，已并入同一隐患一并办理。{event.comment}".strip(),
            "method": "merged",
            "closed_at": event.created_at.isoformat(),
            "photo_ids": [],
        }
    submitted = (
        CaseEvent.objects.filter(case_id=event.case_id, kind="case.submitted")
        .order_by("-created_at", "-id")
        .values("id", "comment", "payload")
        .first()
    ) or {"id": None, "comment": "", "payload": {}}
    photos = Attachment.objects.filter(
        Q(event_id=submitted["id"]) | Q(role=AttachmentRole.AFTER), case_id=event.case_id
    ).filter(content_type__startswith="image/")
    return {
        "result": submitted["comment"] or event.comment or "已整改，核查通过",
        "method": (submitted["payload"] or {}).get("method_label", ""),
        "verified_note": event.comment,
        "closed_at": event.created_at.isoformat(),
        "handled_by": event.actor_label,
        "photo_ids": list(photos.order_by("pk").values_list("pk", flat=True)[:PHOTO_LIMIT]),
    }


def _with_photos(payload: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in payload.items() if k != "photo_ids"}
    if "photo_ids" not in payload:
        return out
    photos = []
    for attachment in Attachment.objects.filter(pk__in=payload["photo_ids"]).order_by("pk"):
        if attachment.size > PHOTO_MAX_BYTES:
            continue
        with attachment.file.open("rb") as fh:
            data = fh.read()
        photos.append(
            {
                "name": f"{attachment.pk}.{attachment.content_type.split('/')[-1]}",
                "content_type": attachment.content_type,
                "sha256": attachment.sha256,
                "data": base64.b64encode(data).decode(),
            }
        )
    out["photos"] = photos
    return out


# ---------------------------------------------------------------- delivery


def hotline_push_deliver(*, push_id: int, adapter: HotlinePlatform | None = None) -> str:
    """Send one outbox row if it is due: claimed by a conditional UPDATE (a lease of a minute), so two workers never
    send it at once; on failure the next try is put off by `backoff`, and after MAX_ATTEMPTS it is 多次失败 (the
    admin can send it again). The platform deduplicates by `push_id`. Returns the row's state."""
    now = clock.now()
    claimed = HotlineOutbox.objects.filter(pk=push_id, state=PushState.PENDING, next_attempt_at__lte=now).update(
        next_attempt_at=now + timedelta(seconds=60)
    )
    if not claimed:
        return "skipped"
    push = HotlineOutbox.objects.select_related("order").get(pk=push_id)
    attempts = push.attempts + 1
    try:
        (adapter or platform()).push(push.kind, push.order.order_no, {"push_id": push.pk, **_with_photos(push.payload)})
    except PushFailed as exc:
        state = PushState.DEAD if attempts >= MAX_ATTEMPTS else PushState.PENDING
        HotlineOutbox.objects.filter(pk=push.pk).update(
            attempts=attempts,
            last_error=str(exc)[:300],
            next_attempt_at=now + backoff(attempts, first_seconds=RETRY_FIRST_SECONDS),
            state=state,
        )
        log.warning("12345 push %s (%s %s) failed, attempt %s: %s", push.pk, push.kind, push.order_id, attempts, exc)
        return state
    HotlineOutbox.objects.filter(pk=push.pk).update(
        attempts=attempts, state=PushState.SENT, sent_at=clock.now(), last_error=""
    )
    return PushState.SENT


def hotline_outbox_flush(*, limit: int = 200) -> int:
    """Send every due row (the worker calls this each sweep: rows whose task was lost, and retries after backoff).
    Returns how many were sent."""
    if not platform().configured:
        return 0
    due = HotlineOutbox.objects.filter(state=PushState.PENDING, next_attempt_at__lte=clock.now())
    sent = 0
    for push_id in due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]:
        sent += hotline_push_deliver(push_id=push_id) == PushState.SENT
    return sent


def hotline_push_retry(*, push_ids: list[int], actor: User | None) -> int:
    """The admin's 重新发送 of 多次失败 rows: back to pending, due now. Audited."""
    count = HotlineOutbox.objects.filter(pk__in=push_ids, state=PushState.DEAD).update(
        state=PushState.PENDING, attempts=0, next_attempt_at=clock.now()
    )
    audit_record(actor=actor, action="hotline.push_retry", target=f"hotline_outbox:{push_ids}", payload={"n": count})
    return count


# ---------------------------------------------------------------- 回访


@transaction.atomic(durable=True)
def hotline_visit_record(*, order_no: str, satisfaction: str, comment: str = "") -> HotlineOrder:
    """回访 — the platform's callback to the caller, recorded on the case as a timeline note whose payload the
    rollups count (f_visits, f_satisfied → 12345满意率). Idempotent: the first 回访 of an order is the one kept."""
    if satisfaction not in Satisfaction.values:
        raise ValidationFailed(f"满意度无效，可选：{', '.join(Satisfaction.values)}")
    order = HotlineOrder.objects.select_for_update().filter(order_no=order_no).first()
    if order is None or order.case_id is None:
        raise ValidationFailed("工单不存在")
    if order.visited_at is not None:
        return order
    case = Case.objects.get(pk=order.case_id)
    comment = (comment or "").strip()[:500]
    label = Satisfaction(satisfaction).label
    _move(
        case=case,
        actor=hotline_user(),
        action=Action.COMMENT,
        expected_version=case.version,
        request_id=uuid.uuid5(HOTLINE_NS, f"{order_no}:visit"),
        comment=f"12345回访：{label}" + (f"。{comment}" if comment else ""),
        payload={"hotline_visit": satisfaction if satisfaction != Satisfaction.UNREACHED else ""},
    )
    order.satisfaction = satisfaction
    order.visit_comment = comment
    order.visited_at = clock.now()
    order.save(update_fields=["satisfaction", "visit_comment", "visited_at"])
    return order
