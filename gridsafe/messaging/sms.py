"""Send one SMS now, through the configured backend, and log it in the delivery log (发送记录).

    from gridsafe.messaging.sms import send_sms
    result = send_sms("13800001111", "verify_code", {"code": "123456"}, purpose="随手拍验证码")
    if not result.ok: ...  # result.error is a Chinese-readable reason

`template` is the key of a 消息模板 (admin; its 短信平台模板编号 is what the provider gets, its 模板内容 the text the
log shows) or, if no template has that key, the provider's template code itself (SMS_…). The call is synchronous
(a verification code is wanted now); it raises nothing for a refused message. `key` (optional) makes a repeated
call with the same key answer the first call's result without sending again."""

import uuid

from django.db import IntegrityError, transaction

from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed
from gridsafe.messaging.channels import DeliveryResult, Message, channel_for
from gridsafe.messaging.models import ChannelKind, Delivery, DeliveryStatus, MessageTemplate

# The placeholders the admin's templates use (Chinese) for the parameters' keys (ASCII: also the variable names of
# the provider's SMS templates, ${case_no} in an 阿里云 template).
PLACEHOLDERS = {
    "案件编号": "case_no",
    "隐患类别": "title",
    "等级": "grade",
    "地点": "place",
    "承办单位": "unit",
    "时限": "deadline",
    "事件": "event",
    "链接": "url",
    "条数": "count",
    "明细": "items",
    "验证码": "code",
}


def render(body: str, params: dict[str, str]) -> str:
    """str.format_map over the parameters by their key or Chinese placeholder; an unknown placeholder stays as it
    was (a template edited in the admin may name one)."""

    class _Keep(dict):
        def __missing__(self, name):
            return "{" + name + "}"

    values = {k: str(v) for k, v in params.items()}
    values.update({zh: values[key] for zh, key in PLACEHOLDERS.items() if key in values})
    try:
        return body.format_map(_Keep(values))
    except (ValueError, IndexError):  # a stray brace in an edited template: show it as written
        return body


def sms_message(template: str, params: dict[str, str]) -> Message:
    row = MessageTemplate.objects.filter(key=template).first()
    if row is None:
        text = template + " " + " ".join(f"{k}={v}" for k, v in params.items())
        return Message(text=text.strip(), template=template, params=params)
    return Message(text=render(row.body, params), template=row.sms_template_code, params=params)


def send_sms(
    phone: str, template: str, params: dict[str, str], *, purpose: str, key: str | None = None
) -> DeliveryResult:
    message = sms_message(template, params)
    key = key or f"sms:{uuid.uuid4().hex}"
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                key=key,
                channel=ChannelKind.SMS,
                purpose=purpose[:50],
                address=phone,
                template=template[:50],
                params={k: ("******" if k == "code" else v) for k, v in params.items()},  # codes never at rest
                text=message.text if "code" not in params else render_masked(template, params),
                urgent=True,
                attempts=1,
            )
    except IntegrityError:
        first = Delivery.objects.get(key=key)
        return DeliveryResult(
            ok=first.status == DeliveryStatus.SENT, backend=first.backend, provider_id=first.provider_id
        )
    result = channel_for("sms").send(phone, message)
    delivery.backend = result.backend
    delivery.provider_id = result.provider_id
    delivery.last_error = result.error
    delivery.status = DeliveryStatus.SENT if result.ok else DeliveryStatus.FAILED
    delivery.sent_at = clock.now() if result.ok else None
    delivery.save(update_fields=["backend", "provider_id", "last_error", "status", "sent_at"])
    return result


def render_masked(template: str, params: dict[str, str]) -> str:
    return sms_message(template, {**params, "code": "******"}).text


def send_for_accounts(phone: str, template: str, params: dict[str, str]) -> None:
    """The SMS channel of accounts' one-time password reset codes (GRIDSAFE_SMS_BACKEND =
    "gridsafe.messaging.sms.send_for_accounts"): the same channel, 消息模板 and 发送记录 as every other SMS, the code
    never at rest. Raises when the provider refuses, so the code is not issued and the administrator reads why."""
    result = send_sms(phone, template, params, purpose="密码重置码")
    if not result.ok:
        raise ValidationFailed(f"短信发送失败：{result.error or '短信平台拒绝'}，请稍后重试或由安全管理员当面交付")
