"""Messages out for case events: rules → deliveries (once per event, recipient and channel) → the channel.

Flow. After a case event commits, `messages_for_event` (a task) sorts the event into a class (紧急或重大上报, 督办, 超期
…), finds the active 推送规则 of that class, their recipients (the township's 指挥部, the holder unit's lead, or the
people the in-app notifications go to — notifications' own rule, not a copy), and writes one `Delivery` per
(event, recipient, channel) with the unique key `event:<event>:<user>:<channel>`: an event processed twice, or the
task retried, finds the rows and writes nothing more. Immediate rows are sent at once (`delivery_send`); digest rows
wait for the daily digest.

`delivery_send` holds the row locked while it sends, and sends only a row that is still due, so two workers never
send one row twice. Before sending: the user's channel switch (off → 未发送), quiet hours (→ 免打扰延后 until they
end, except urgent rules), the per-recipient rate (over it → 并入汇总). A failure the provider says may pass later is
retried with exponential backoff (GRIDSAFE_MESSAGING_RETRY_SECONDS × 2^(attempt−1)) by the worker's tick, up to
GRIDSAFE_MESSAGING_MAX_ATTEMPTS; then 发送失败."""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridsafe.accounts.models import User
from gridsafe.accounts.routing import command_unit_id
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.permissions import LEADS
from gridsafe.catalog.models import Grade
from gridsafe.core import clock
from gridsafe.core.cache import VersionedCache
from gridsafe.core.ratelimit import parse_rate
from gridsafe.messaging.channels import Message, channel_for
from gridsafe.messaging.models import (
    ChannelKind,
    ChannelRule,
    Delivery,
    DeliveryStatus,
    EventClass,
    MessageTemplate,
    RecipientKind,
    Timing,
    UserPreference,
    WebhookSubscription,
)
from gridsafe.messaging.sms import render
from gridsafe.notifications.services import _event_with_case, _recipients

logger = logging.getLogger("gridsafe.messaging")

DUE = (DeliveryStatus.PENDING, DeliveryStatus.DEFERRED, DeliveryStatus.RETRYING)
DIGEST_TEMPLATE = "daily_digest"

_CLASS_OF_KIND: dict[str, str] = {
    EventKind.CASE_SUPERVISED: EventClass.SUPERVISED,
    EventKind.CASE_URGED: EventClass.URGED,
    EventKind.CASE_OVERDUE: EventClass.OVERDUE,
    EventKind.CASE_RETURNED: EventClass.RETURNED,
    EventKind.CASE_REWORK: EventClass.RETURNED,
    EventKind.CASE_VERIFIED: EventClass.CLOSED,
}


def event_class(event: CaseEvent, case: Case) -> str:
    if event.kind == EventKind.CASE_REPORTED:
        return EventClass.URGENT_REPORT if case.urgent or case.grade == Grade.MAJOR else EventClass.REPORT
    if event.kind == EventKind.CASE_REGRADED and case.grade == Grade.MAJOR:
        return EventClass.URGENT_REPORT  # confirmed 重大 after the report: the 指挥部 hears now
    return _CLASS_OF_KIND.get(event.kind, str(EventClass.OTHER))


def _kinds_of_class(cls: str) -> set[str]:
    if cls in (EventClass.URGENT_REPORT, EventClass.REPORT):
        return {EventKind.CASE_REPORTED, EventKind.CASE_REGRADED}
    if cls == EventClass.OTHER:
        return {k.value for k in EventKind}
    return {kind for kind, c in _CLASS_OF_KIND.items() if c == cls}


def _wanted_kinds() -> frozenset[str]:
    """The case event kinds some active rule or webhook subscription listens to."""
    kinds: set[str] = set()
    for cls in ChannelRule.objects.filter(active=True).values_list("event_class", flat=True).distinct():
        kinds |= _kinds_of_class(cls)
    for wanted in WebhookSubscription.objects.filter(active=True).values_list("event_kinds", flat=True):
        kinds |= set(wanted) if wanted else {k.value for k in EventKind}
    return frozenset(kinds)


# Rules and subscriptions change rarely; a case event asks this (no query) whether to queue the task at all.
# Invalidated by the services below, the only writers of rules and subscriptions (the admin calls them).
wanted_kinds = VersionedCache("messaging_wanted", _wanted_kinds, check_seconds=10)


def channel_rule_save(rule: ChannelRule) -> ChannelRule:
    """推送规则 — create or change a rule. Case events after the commit are matched against it (wanted_kinds is
    invalidated in the same transaction)."""
    with transaction.atomic():
        rule.save()
        wanted_kinds.invalidate()
    return rule


def channel_rule_delete(rule: ChannelRule) -> None:
    with transaction.atomic():
        rule.delete()
        wanted_kinds.invalidate()


def webhook_subscription_save(subscription: WebhookSubscription) -> WebhookSubscription:
    """上报推送订阅 — create or change a subscription; invalidates wanted_kinds in the same transaction."""
    with transaction.atomic():
        subscription.save()
        wanted_kinds.invalidate()
    return subscription


def webhook_subscription_delete(subscription: WebhookSubscription) -> None:
    with transaction.atomic():
        subscription.delete()
        wanted_kinds.invalidate()


def wants_event(kind: str) -> bool:
    return kind in wanted_kinds.get()


def _people(rule: ChannelRule, event: CaseEvent, case: Case) -> list[int]:
    if rule.recipients == RecipientKind.COMMAND:
        unit = command_unit_id(case.region_path)
        return list(User.objects.filter(unit_id=unit, is_active=True).values_list("pk", flat=True)) if unit else []
    if rule.recipients == RecipientKind.HOLDER_LEAD:
        return list(
            User.objects.filter(unit_id=case.holder_unit_id, role__in=LEADS, is_active=True).values_list(
                "pk", flat=True
            )
        )
    found = _event_with_case(event.pk)  # the in-app notification rule decides who hears (notifications.services)
    if found is None:
        return []
    ev, _category, desk = found
    return [uid for uid, _kind in _recipients(ev, desk)]


def case_params(event: CaseEvent, case: Case) -> dict[str, str]:
    due = timezone.localtime(case.due_at).strftime("%m-%d %H:%M") if case.due_at else "无"
    return {
        "case_no": str(case.pk),
        "title": case.category.name,
        "grade": case.get_grade_display().split("(")[-1].rstrip(")") if case.grade else "",
        "place": (case.address or case.region.name)[:35],
        "unit": case.holder_unit.name[:35],
        "deadline": due,
        "event": event.get_kind_display(),
        "url": f"/cases/{case.pk}/",
    }


def _address(channel: str, user: User | None) -> str:
    if channel == ChannelKind.SMS:
        return user.phone if user else ""
    if channel == ChannelKind.WECOM_APP and user is not None:
        pref = UserPreference.objects.filter(user=user).first()
        return (pref.wecom_userid if pref and pref.wecom_userid else "") or user.username
    return ""  # the group robot: the configured key


def messages_for_event(*, event_id: int) -> list[int]:
    """Write the deliveries of one case event and send the immediate ones. Safe to run twice. Returns the ids of the
    deliveries it wrote (none on a second run)."""
    event = CaseEvent.objects.filter(pk=event_id).first()
    if event is None:
        return []
    case = Case.objects.select_related("category", "region", "holder_unit").get(pk=event.case_id)
    cls = event_class(event, case)
    rules = list(ChannelRule.objects.filter(event_class=cls, active=True).select_related("template"))
    written: list[int] = []
    for rule in rules:
        params = case_params(event, case)
        text = render(rule.template.body, params)
        targets: list[int | None] = [None]
        if rule.channel != ChannelKind.WECOM_ROBOT:
            targets = list(_people(rule, event, case))
        users = User.objects.in_bulk([uid for uid in targets if uid])
        for uid in targets:
            user = users.get(uid) if uid else None
            if uid and user is None:
                continue
            who = uid if uid else f"robot{rule.pk}"
            key = f"event:{event.pk}:{who}:{rule.channel}"
            try:
                with transaction.atomic():
                    row = Delivery.objects.create(
                        key=key,
                        channel=rule.channel,
                        purpose=EventClass(cls).label,
                        user=user,
                        address=_address(rule.channel, user),
                        template=rule.template.key,
                        params=params,
                        text=text,
                        event_id=event.pk,
                        case_id=case.pk,
                        urgent=rule.urgent,
                        rule=rule,
                        status=DeliveryStatus.DIGESTED if rule.timing == Timing.DIGEST else DeliveryStatus.PENDING,
                        created_at=clock.now(),
                    )
            except IntegrityError:  # this event already wrote it (the task ran twice, or a second rule)
                continue
            written.append(row.pk)
    for pk in written:
        delivery_send(pk)
    return written


def in_quiet_hours(pref: UserPreference | None, now: datetime) -> datetime | None:
    """When the user's quiet hours end, if `now` falls inside them; None otherwise."""
    if pref is None or pref.quiet_start is None or pref.quiet_end is None or pref.quiet_start == pref.quiet_end:
        return None
    local = timezone.localtime(now)
    t = local.time()
    start, end = pref.quiet_start, pref.quiet_end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def _over_rate(delivery: Delivery, now: datetime) -> bool:
    if delivery.user_id is None:
        return False
    limit, window = parse_rate(settings.GRIDSAFE_MESSAGING_RATE)
    sent = (
        Delivery.objects.filter(
            user_id=delivery.user_id,
            channel=delivery.channel,
            status=DeliveryStatus.SENT,
            sent_at__gte=now - timedelta(seconds=window),
        )
        .exclude(template=DIGEST_TEMPLATE)
        .count()
    )
    return sent >= limit


def _switched_off(delivery: Delivery, pref: UserPreference | None) -> bool:
    if pref is None:
        return False
    if delivery.channel == ChannelKind.SMS:
        return not pref.sms_enabled
    if delivery.channel == ChannelKind.WECOM_APP:
        return not pref.wecom_enabled
    return False


BACKOFF_CAP = timedelta(hours=6)  # a retry is never further away than this, however many attempts failed


def backoff(attempts: int, *, first_seconds: int | None = None) -> timedelta:
    """The wait before the next try of every outbox (messages, webhooks, the 12345 replies of channels):
    `first_seconds` (default GRIDSAFE_MESSAGING_RETRY_SECONDS) doubled after each failed attempt, at most BACKOFF_CAP."""
    first = settings.GRIDSAFE_MESSAGING_RETRY_SECONDS if first_seconds is None else first_seconds
    return min(timedelta(seconds=first * 2 ** max(0, attempts - 1)), BACKOFF_CAP)


def delivery_send(delivery_id: int, *, now: datetime | None = None) -> str:
    """Send one delivery if it is due; returns its status afterwards."""
    now = now or clock.now()
    with transaction.atomic():
        d = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if d is None:
            return ""
        if d.status not in DUE or (d.next_attempt_at and d.next_attempt_at > now):
            return d.status
        pref = UserPreference.objects.filter(user_id=d.user_id).first() if d.user_id else None
        fields = ["status", "attempts", "next_attempt_at", "last_error", "backend", "provider_id", "sent_at"]
        if _switched_off(d, pref) or (d.user_id and not d.address):
            d.status = DeliveryStatus.SKIPPED
            d.last_error = "接收人已关闭该渠道" if _switched_off(d, pref) else "接收人没有登记手机号或账号"
            d.save(update_fields=fields)
            return d.status
        if not d.urgent and d.template != DIGEST_TEMPLATE:
            quiet_until = in_quiet_hours(pref, now)
            if quiet_until is not None:
                d.status, d.next_attempt_at = DeliveryStatus.DEFERRED, quiet_until
                d.save(update_fields=fields)
                return d.status
            if _over_rate(d, now):
                d.status, d.last_error = DeliveryStatus.DIGESTED, "超过每人发送频次，并入每日汇总"
                d.save(update_fields=fields)
                return d.status
        sms_code: str | None = None
        if d.channel == ChannelKind.SMS:
            codes = MessageTemplate.objects.filter(key=d.template).values_list("sms_template_code", flat=True)
            sms_code = codes.first()
        # A WeCom template written as markdown (a heading first) goes as msgtype markdown, others as text.
        markdown = d.channel != ChannelKind.SMS and d.text.lstrip().startswith("#")
        message = Message(text=d.text, template=sms_code or "", params=d.params, markdown=markdown)
        result = channel_for(d.channel).send(d.address, message)
        d.attempts += 1
        d.backend, d.provider_id = result.backend, result.provider_id
        if result.ok:
            d.status, d.sent_at, d.next_attempt_at, d.last_error = DeliveryStatus.SENT, now, None, ""
        elif result.retry and d.attempts < settings.GRIDSAFE_MESSAGING_MAX_ATTEMPTS:
            d.status, d.next_attempt_at, d.last_error = DeliveryStatus.RETRYING, now + backoff(d.attempts), result.error
        else:
            d.status, d.next_attempt_at, d.last_error = DeliveryStatus.FAILED, None, result.error
        d.save(update_fields=fields)
        if not result.ok:
            logger.warning("delivery %s via %s failed: %s", d.pk, d.backend, result.error)
        return d.status


def deliveries_due(now: datetime | None = None, *, limit: int = 200) -> dict[str, int]:
    """The worker's tick: deferred and retrying deliveries whose time has come (and pending ones a crashed task
    left behind). Returns counts by resulting status."""
    now = now or clock.now()
    counts: dict[str, int] = {}
    ids = list(
        Delivery.objects.filter(status__in=DUE, next_attempt_at__lte=now).values_list("pk", flat=True)[:limit]
    ) + list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=2)
        ).values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        status = delivery_send(pk, now=now)
        counts[status] = counts.get(status, 0) + 1
    return counts


def digest_send(now: datetime | None = None) -> int:
    """The daily digest: once a day after GRIDSAFE_MESSAGING_DIGEST_HOUR, each recipient's 并入汇总 messages of a
    channel become one message (key `digest:<date>:<user>:<channel>`, so a second tick writes nothing). Returns
    the digests written."""
    now = now or clock.now()
    local = timezone.localtime(now)
    if local.time() < time(settings.GRIDSAFE_MESSAGING_DIGEST_HOUR):
        return 0
    template = MessageTemplate.objects.filter(key=DIGEST_TEMPLATE).first()
    body = template.body if template else "【网格安全】今日待阅消息{count}条：{items}"
    pending = Delivery.objects.filter(status=DeliveryStatus.DIGESTED, digest__isnull=True, user__isnull=False)
    groups: dict[tuple[int, str], list[Delivery]] = {}
    for d in pending.order_by("created_at")[:5000]:
        groups.setdefault((d.user_id or 0, d.channel), []).append(d)
    written = 0
    for (uid, channel), items in groups.items():
        key = f"digest:{local.date().isoformat()}:{uid}:{channel}"
        params = {
            "count": str(len(items)),
            "items": "；".join(f"#{d.case_id} {d.params.get('title', '')}{d.purpose}" for d in items[:10]),
        }
        with transaction.atomic():
            digest, made = Delivery.objects.get_or_create(
                key=key,
                defaults={
                    "channel": channel,
                    "purpose": "每日汇总",
                    "user_id": uid,
                    "address": items[0].address,
                    "template": DIGEST_TEMPLATE,
                    "params": params,
                    "text": render(body, params),
                    "created_at": now,
                },
            )
            if not made:
                continue  # today's digest has gone: these wait for tomorrow's
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(digest=digest)
        written += 1
        delivery_send(digest.pk, now=now)
    return written
