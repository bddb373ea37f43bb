"""Messages out in the 仙游县 demo: the county's templates and channel rules (on the log backend — the demo sends
nothing anywhere), an upward subscription waiting for 联调, and a year of delivery history drawn from the demo's
own case events: urgent and 重大 reports to the township 指挥部 by SMS, 督办 and 超期 to the holder unit's lead, a
few retries, refusals, quiet-hour deferrals and digests, and webhook posts with two dead letters.

Deterministic (one seed) and idempotent: a second run adds nothing. Call it after the cases exist."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import CaseEvent
from gridsafe.catalog.models import Grade
from gridsafe.core.masking import mask_phone
from gridsafe.messaging.models import (
    ChannelRule,
    Delivery,
    DeliveryStatus,
    MessageTemplate,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)
from gridsafe.messaging.services import channel_rule_save, webhook_subscription_save
from gridsafe.messaging.sms import render

TEMPLATES = [
    (
        "urgent_report",
        "紧急/重大隐患上报",
        "【仙游网格安全】{地点}上报{等级}隐患“{隐患类别}”（案件{案件编号}），请立即组织研判处置。",
        "SMS_465300001",
    ),
    (
        "robot_urgent",
        "紧急上报群通报",
        "### 紧急上报\n> 案件{案件编号}：{隐患类别}\n> 地点：{地点}\n> 承办：{承办单位}",
        "",
    ),
    (
        "supervised",
        "督办通知",
        "【仙游网格安全】案件{案件编号}“{隐患类别}”已被督办，请{承办单位}在{时限}前办结并回复。",
        "SMS_465300002",
    ),
    ("overdue", "超期提醒", "案件{案件编号}“{隐患类别}”已超过办理时限（{时限}），请尽快处置。", "SMS_465300003"),
    ("urged", "催办通知", "案件{案件编号}“{隐患类别}”被催办，请加快办理。", ""),
    ("report_digest", "一般上报", "新上报：{隐患类别}（案件{案件编号}，{地点}）", ""),
    ("daily_digest", "每日汇总", "【仙游网格安全】今日待阅消息{条数}条：{明细}", "SMS_465300004"),
    ("verify_code", "群众随手拍验证码", "您的验证码为{验证码}，5分钟内有效，请勿泄露。", "SMS_465300009"),
    (
        "password_reset",
        "密码重置码",
        "【仙游网格安全】您的密码重置码：{验证码}，{时限}内有效，仅可用于设置新密码。如非本人申请，请联系安全管理员。",
        "SMS_465300010",
    ),
]

RULES = [
    ("紧急和重大上报短信通知指挥部", "urgent_report", "command", "sms", "immediate", "urgent_report", True),
    ("紧急和重大上报企业微信群通报", "urgent_report", "command", "wecom_robot", "immediate", "robot_urgent", True),
    ("督办短信通知承办单位负责人", "supervised", "holder_lead", "sms", "immediate", "supervised", False),
    ("超期企业微信提醒承办单位负责人", "overdue", "holder_lead", "wecom_app", "immediate", "overdue", False),
    ("催办企业微信通知承办单位负责人", "urged", "holder_lead", "wecom_app", "immediate", "urged", False),
    ("一般上报每日汇总", "report", "notified", "wecom_app", "digest", "report_digest", False),
]


def _quiet(at: datetime) -> datetime | None:
    """07:00 after `at` if `at` falls in the demo's usual quiet hours (22:00–07:00 Asia/Shanghai)."""
    local = timezone.localtime(at)
    if 7 <= local.hour < 22:
        return None
    end = local.replace(hour=7, minute=0, second=3, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def _phone(rng: random.Random) -> str:
    return rng.choice(["139", "138", "137", "159", "189", "133"]) + f"{rng.randrange(10**8):08d}"


def seed_messaging_demo(*, seed: int = 350322) -> dict[str, int]:
    if ChannelRule.objects.exists():
        return {"rules": 0, "deliveries": 0, "webhooks": 0}
    rng = random.Random(seed)
    with transaction.atomic():
        templates = {}
        for key, name, body, code in TEMPLATES:
            templates[key], _ = MessageTemplate.objects.get_or_create(
                key=key, defaults={"name": name, "body": body, "sms_template_code": code}
            )
        rules = {}
        for name, cls, who, channel, timing, template, urgent in RULES:
            rules[(cls, channel)] = channel_rule_save(
                ChannelRule(
                    name=name,
                    event_class=cls,
                    recipients=who,
                    channel=channel,
                    timing=timing,
                    template=templates[template],
                    urgent=urgent,
                )
            )
        sub = webhook_subscription_save(
            WebhookSubscription(
                name="莆田市综治中心（待联调）",
                url="https://zz.ptzz.example.gov.cn/api/gridsafe/events",
                secret=f"demo-{rng.getrandbits(128):032x}",
                event_kinds=[EventKind.CASE_REPORTED, EventKind.CASE_SUPERVISED, EventKind.CASE_VERIFIED],
                active=False,
            )
        )
        deliveries, webhooks = _history(rng, rules, sub)
    return {"rules": len(rules), "deliveries": deliveries, "webhooks": webhooks}


def _history(rng: random.Random, rules: dict, sub: WebhookSubscription) -> tuple[int, int]:
    command = {u.region.path: u for u in Unit.objects.filter(kind=UnitKind.COMMAND).select_related("region")}
    members: dict[int, list[User]] = {}
    for user in User.objects.filter(unit__kind=UnitKind.COMMAND, is_active=True) | User.objects.filter(
        role__in=[Role.CENTRE_LEAD, Role.DEPT_LEAD], is_active=True
    ):
        members.setdefault(user.unit_id, []).append(user)
    leads = {uid: [u for u in us if u.role in (Role.CENTRE_LEAD, Role.DEPT_LEAD)] for uid, us in members.items()}
    phones: dict[int, str] = {}
    events = (
        CaseEvent.objects.filter(
            kind__in=[EventKind.CASE_REPORTED, EventKind.CASE_SUPERVISED, EventKind.CASE_OVERDUE, EventKind.CASE_URGED]
        )
        .select_related("case", "case__category", "case__region", "case__holder_unit")
        .order_by("id")
    )
    rows: list[Delivery] = []
    hooks: list[WebhookDelivery] = []
    for event in events.iterator(chunk_size=500):
        case = event.case
        if event.kind == EventKind.CASE_REPORTED:
            if not (case.urgent or case.grade == Grade.MAJOR):
                continue
            township = ".".join(case.region_path.split(".")[:2])
            unit = command.get(township)
            people = members.get(unit.pk, []) if unit else []
            rule = rules[("urgent_report", "sms")]
        elif event.kind == EventKind.CASE_SUPERVISED:
            people, rule = leads.get(event.holder_unit_id or case.holder_unit_id, []), rules[("supervised", "sms")]
        elif event.kind == EventKind.CASE_OVERDUE:
            if rng.random() > 0.5:
                continue
            people, rule = leads.get(event.holder_unit_id or case.holder_unit_id, []), rules[("overdue", "wecom_app")]
        else:
            people, rule = leads.get(event.holder_unit_id or case.holder_unit_id, []), rules[("urged", "wecom_app")]
        params = {
            "case_no": str(case.pk),
            "title": case.category.name,
            "grade": "重大" if case.grade == Grade.MAJOR else "一般",
            "place": (case.address or case.region.name)[:35],
            "unit": case.holder_unit.name[:35],
            "deadline": case.due_at.strftime("%m-%d %H:%M") if case.due_at else "无",
            "event": event.get_kind_display(),
            "url": f"/cases/{case.pk}/",
        }
        text = render(rule.template.body, params)
        for person in people[:2]:
            if rule.channel == "sms":
                if person.pk not in phones and not person.phone:
                    person.phone = _phone(rng)  # the people file has no numbers: the demo's SMS need one
                    person.save(update_fields=["phone"])
                address = phones.setdefault(person.pk, person.phone)
                masked = mask_phone(address)
            else:
                address = masked = person.username
            roll = rng.random()
            status, attempts, error, sent = DeliveryStatus.SENT, 1, "", event.created_at + timedelta(seconds=2)
            if roll < 0.04:
                status, attempts, error, sent = (
                    DeliveryStatus.SENT,
                    2,
                    "",
                    event.created_at + timedelta(seconds=32),
                )  # 流控 once, the retry passed
            elif roll < 0.06:
                status, attempts, error, sent = DeliveryStatus.FAILED, 1, "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号", None
            elif not rule.urgent and _quiet(event.created_at) is not None and rng.random() < 0.5:
                sent = _quiet(event.created_at)  # a 免打扰 night: sent when it ended, at 07:00
            rows.append(
                Delivery(
                    key=f"event:{event.pk}:{person.pk}:{rule.channel}",
                    channel=rule.channel,
                    backend="log",
                    purpose=rule.get_event_class_display(),
                    user=person,
                    address=address,
                    address_masked=masked,
                    template=rule.template.key,
                    params=params,
                    text=text,
                    event_id=event.pk,
                    case_id=case.pk,
                    urgent=rule.urgent,
                    status=status,
                    attempts=attempts,
                    last_error=error,
                    provider_id=f"LOG{event.pk:08d}{person.pk:05d}" if sent else "",
                    rule=rule,
                    created_at=event.created_at,
                    sent_at=sent,
                )
            )
        if event.kind in (EventKind.CASE_REPORTED, EventKind.CASE_SUPERVISED) and rng.random() < 0.5:
            dead = len(hooks) in (5, 11) or rng.random() < 0.02  # a few 死信 for the admin to replay
            hooks.append(
                WebhookDelivery(
                    subscription=sub,
                    event_id=event.pk,
                    event_kind=event.kind,
                    payload={"event": {"id": event.pk, "kind": event.kind}, "case": {"id": case.pk}},
                    status=WebhookStatus.DEAD if dead else WebhookStatus.DELIVERED,
                    attempts=5 if dead else 1,
                    last_error="HTTP 503: 对方平台维护中" if dead else "",
                    response_status=503 if dead else 200,
                    created_at=event.created_at,
                    delivered_at=None if dead else event.created_at + timedelta(seconds=1),
                )
            )
    Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    WebhookDelivery.objects.bulk_create(hooks, batch_size=500, ignore_conflicts=True)
    return len(rows), len(hooks)
