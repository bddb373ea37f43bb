"""Messages out (issue 15): channel rules, templates, user preferences, the delivery log, outbound webhooks.

A `Delivery` is both the outbox and the log: one row per (key) — for a case event `event:<id>:<user>:<channel>` —
so a task that runs twice, or an event processed twice, finds the row and sends nothing more (exactly once)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from gridsafe.core.fields import EncryptedCharField
from gridsafe.core.masking import mask_phone


class ChannelKind(models.TextChoices):
    SMS = "sms", "短信"
    WECOM_ROBOT = "wecom_robot", "企业微信群机器人"
    WECOM_APP = "wecom_app", "企业微信应用消息"


class EventClass(models.TextChoices):
    """What a rule listens to: case events sorted into the classes the county speaks of."""

    URGENT_REPORT = "urgent_report", "紧急或重大上报"
    REPORT = "report", "一般上报"
    SUPERVISED = "supervised", "督办"
    URGED = "urged", "催办"
    OVERDUE = "overdue", "超期"
    RETURNED = "returned", "退回或复核不通过"
    CLOSED = "closed", "办结"
    OTHER = "other", "其他事件"


class RecipientKind(models.TextChoices):
    COMMAND = "command", "指挥部（县综治中心负责人）"
    HOLDER_LEAD = "holder_lead", "承办单位负责人"
    NOTIFIED = "notified", "站内通知的接收人"


class Timing(models.TextChoices):
    IMMEDIATE = "immediate", "立即发送"
    DIGEST = "digest", "每日汇总"


class MessageTemplate(models.Model):
    key = models.SlugField("模板标识", max_length=50, unique=True)
    name = models.CharField("模板名称", max_length=100)
    body = models.TextField(
        "模板内容",
        help_text="可用占位符：{案件编号}、{隐患类别}、{等级}、{地点}、{承办单位}、{时限}、{事件}、{链接}；"
        "每日汇总可用{条数}、{明细}；验证码短信用{验证码}",
    )
    sms_template_code = models.CharField(
        "短信平台模板编号", max_length=50, blank=True, help_text="阿里云短信控制台“模板管理”中审核通过的模板编号"
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "消息模板"
        verbose_name_plural = "消息模板"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class ChannelRule(models.Model):
    name = models.CharField("规则名称", max_length=100)
    event_class = models.CharField("事件类别", max_length=20, choices=EventClass.choices)
    recipients = models.CharField("接收人", max_length=20, choices=RecipientKind.choices)
    channel = models.CharField("渠道", max_length=20, choices=ChannelKind.choices)
    timing = models.CharField("发送时机", max_length=20, choices=Timing.choices, default=Timing.IMMEDIATE)
    template = models.ForeignKey(
        MessageTemplate, verbose_name="消息模板", on_delete=models.PROTECT, related_name="rules"
    )
    urgent = models.BooleanField("紧急（不受免打扰时段和频次限制）", default=False)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "推送规则"
        verbose_name_plural = "推送规则"
        ordering = ["event_class", "id"]

    def __str__(self) -> str:
        return self.name


class UserPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="message_preference"
    )
    sms_enabled = models.BooleanField("接收短信", default=True)
    wecom_enabled = models.BooleanField("接收企业微信", default=True)
    wecom_userid = models.CharField("企业微信账号", max_length=64, blank=True)
    quiet_start = models.TimeField("免打扰开始", null=True, blank=True)
    quiet_end = models.TimeField("免打扰结束", null=True, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "个人推送设置"
        verbose_name_plural = "个人推送设置"

    def __str__(self) -> str:
        return str(self.user)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    DEFERRED = "deferred", "免打扰延后"
    SENT = "sent", "已发送"
    RETRYING = "retrying", "失败待重试"
    FAILED = "failed", "发送失败"
    DIGESTED = "digested", "并入汇总"
    SKIPPED = "skipped", "未发送（用户关闭或无号码）"


class Delivery(models.Model):
    key = models.CharField("去重键", max_length=120, unique=True)
    channel = models.CharField("渠道", max_length=20, choices=ChannelKind.choices)
    backend = models.CharField("发送方式", max_length=20, blank=True)
    purpose = models.CharField("用途", max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    address = EncryptedCharField("接收地址", max_length=100, blank=True)
    address_masked = models.CharField("接收地址（脱敏）", max_length=100, blank=True)
    template = models.CharField("模板", max_length=50, blank=True)
    params = models.JSONField("模板参数", default=dict, blank=True)
    text = models.TextField("内容", blank=True)
    event_id = models.BigIntegerField("案件事件", null=True, blank=True)
    case_id = models.BigIntegerField("案件", null=True, blank=True)
    urgent = models.BooleanField("紧急", default=False)
    status = models.CharField(
        "状态", max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    provider_id = models.CharField("平台回执编号", max_length=100, blank=True)
    rule = models.ForeignKey(
        ChannelRule, verbose_name="推送规则", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    digest = models.ForeignKey(
        "self", verbose_name="所属汇总", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now, db_index=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "发送记录"
        verbose_name_plural = "发送记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address_masked}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.address and not self.address_masked:
            self.address_masked = mask_address(self.channel, self.address)
        super().save(*args, **kwargs)


def mask_address(channel: str, address: str) -> str:
    if channel == ChannelKind.SMS:
        return mask_phone(address)
    if channel == ChannelKind.WECOM_ROBOT:
        return "群机器人" + ("（" + address[:4] + "…）" if address else "")
    return address


class WebhookSubscription(models.Model):
    """An upper platform (市/省综治、应急) that wants case events: POSTed as JSON, signed with its secret."""

    name = models.CharField("订阅方名称", max_length=100)
    url = models.URLField("推送地址", max_length=500)
    secret = EncryptedCharField("签名密钥", max_length=128)
    event_kinds = models.JSONField(
        "事件类型", default=list, blank=True, help_text="案件事件类型的列表，如 case.reported；留空为全部事件"
    )
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "上报对接订阅"
        verbose_name_plural = "上报对接订阅"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return self.active and (not self.event_kinds or kind in self.event_kinds)


class WebhookStatus(models.TextChoices):
    PENDING = "pending", "待推送"
    RETRYING = "retrying", "失败待重试"
    DELIVERED = "delivered", "已送达"
    DEAD = "dead", "死信（已停止重试）"


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name="订阅", on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField("案件事件")
    event_kind = models.CharField("事件类型", max_length=40)
    payload = models.JSONField("推送内容")
    status = models.CharField(
        "状态", max_length=20, choices=WebhookStatus.choices, default=WebhookStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次推送时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    response_status = models.PositiveIntegerField("应答状态码", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "上报推送记录"
        verbose_name_plural = "上报推送记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} #{self.event_id}"


class DeadLetter(WebhookDelivery):
    """The webhook deliveries that gave up: their own admin list, with 重新投递."""

    class Meta:
        proxy = True
        verbose_name = "死信"
        verbose_name_plural = "死信队列"
