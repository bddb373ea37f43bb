"""Outbound webhooks for upward exchange (市/省综治、应急 platforms): case events POSTed as JSON, signed.

Each request carries `X-GridSafe-Event: <kind>`, `X-GridSafe-Delivery: <delivery id>`,
`X-GridSafe-Timestamp: <unix seconds>` and `X-GridSafe-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "."
+ raw body)>` — the scheme the video alarm API checks inbound (core.signing). A 2xx answer is delivered; anything else (or no answer) is retried with exponential backoff by the
worker, and after GRIDSAFE_MESSAGING_MAX_ATTEMPTS the delivery is a 死信 the admin can replay. One delivery per
(subscription, event): an event processed twice posts once. The payload is in docs/messaging.md."""

import json
import time as time_module
from datetime import datetime

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.core import clock
from gridsafe.core.signing import SIG_HEADER, TS_HEADER, sign
from gridsafe.messaging.channels import http
from gridsafe.messaging.models import WebhookDelivery, WebhookStatus, WebhookSubscription
from gridsafe.messaging.services import backoff

DUE = (WebhookStatus.PENDING, WebhookStatus.RETRYING)


def event_payload(event: CaseEvent, case: Case) -> dict:
    """What an upper platform gets: the event and the case's facts, no personal data (no names, no phones)."""
    return {
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "label": event.get_kind_display(),
            "occurred_at": event.created_at.isoformat(),
        },
        "county_code": settings.GRIDSAFE_COUNTY_CODE,
        "case": {
            "id": case.pk,
            "category": case.category.code,
            "category_name": case.category.name,
            "grade": case.grade,
            "urgent": case.urgent,
            "state": case.state,
            "level": case.level,
            "source": case.source,
            "region_code": case.region.code,
            "region_name": case.region.name,
            "address": case.address,
            "lon": case.lon,
            "lat": case.lat,
            "holder_unit": case.holder_unit.name,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            "description": case.description[:500],
        },
    }


def webhooks_for_event(*, event_id: int) -> list[int]:
    """One delivery per subscription that wants the event's kind, posted at once. Safe to run twice."""
    subs = [s for s in WebhookSubscription.objects.filter(active=True) if s.event_kinds is not None]
    event = CaseEvent.objects.filter(pk=event_id).first()
    if event is None:
        return []
    subs = [s for s in subs if s.wants(event.kind)]
    if not subs:
        return []
    case = Case.objects.select_related("category", "region", "holder_unit").get(pk=event.case_id)
    payload = event_payload(event, case)
    written = []
    for sub in subs:
        try:
            with transaction.atomic():
                row = WebhookDelivery.objects.create(
                    subscription=sub, event_id=event.pk, event_kind=event.kind, payload=payload, created_at=clock.now()
                )
        except IntegrityError:
            continue
        written.append(row.pk)
    for pk in written:
        webhook_send(pk)
    return written


def webhook_send(delivery_id: int, *, now: datetime | None = None) -> str:
    now = now or clock.now()
    with transaction.atomic():
        d = WebhookDelivery.objects.select_for_update().select_related("subscription").filter(pk=delivery_id).first()
        if d is None:
            return ""
        if d.status not in DUE or (d.next_attempt_at and d.next_attempt_at > now):
            return d.status
        body = json.dumps({"delivery_id": d.pk, **d.payload}, ensure_ascii=False, separators=(",", ":")).encode()
        ts = str(int(time_module.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GridSafe-Event": d.event_kind,
            "X-GridSafe-Delivery": str(d.pk),
            TS_HEADER: ts,
            SIG_HEADER: sign(d.subscription.secret, ts, body),
        }
        d.attempts += 1
        try:
            response = http().post(d.subscription.url, content=body, headers=headers)
            d.response_status = response.status_code
            ok = 200 <= response.status_code < 300
            error = "" if ok else f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            ok, error = False, f"网络错误: {exc}"
        if ok:
            d.status, d.delivered_at, d.next_attempt_at, d.last_error = WebhookStatus.DELIVERED, now, None, ""
        elif d.attempts >= settings.GRIDSAFE_MESSAGING_MAX_ATTEMPTS:
            d.status, d.next_attempt_at, d.last_error = WebhookStatus.DEAD, None, error[:500]
        else:
            d.status, d.next_attempt_at, d.last_error = WebhookStatus.RETRYING, now + backoff(d.attempts), error[:500]
        d.save()
        return d.status


def webhooks_due(now: datetime | None = None, *, limit: int = 200) -> int:
    now = now or clock.now()
    ids = list(
        WebhookDelivery.objects.filter(status__in=DUE, next_attempt_at__lte=now).values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        webhook_send(pk, now=now)
    return len(ids)


def dead_letter_replay(ids: list[int], *, actor=None) -> int:
    """重新投递: the chosen dead letters start again (attempts from zero) and are posted now. Returns how many
    were delivered."""
    from gridsafe.core.audit import audit_record

    rows = WebhookDelivery.objects.filter(pk__in=ids, status=WebhookStatus.DEAD)
    replayed = list(rows.values_list("pk", flat=True))
    rows.update(status=WebhookStatus.PENDING, attempts=0, next_attempt_at=None, last_error="")
    for pk in replayed:
        audit_record(actor=actor, action="messaging.webhook_replay", target=f"webhookdelivery:{pk}", payload={})
    return sum(webhook_send(pk) == WebhookStatus.DELIVERED for pk in replayed)


def local_now() -> datetime:
    return timezone.localtime(clock.now())
