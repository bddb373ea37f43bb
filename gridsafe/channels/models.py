"""Channels in: 12345 work orders (工单) and their outbox of replies to the platform, Open311 API keys, and the
citizens' requests (Open311 POSTs and the 随手拍 page) waiting for the desk's review, with the SMS codes that
verify a 随手拍 phone.

Personal data (a caller's or citizen's name, phone, e-mail) is sealed with `EncryptedCharField` and shown masked
(core.masking); a phone that must be looked up (the 随手拍 ticket, per-phone limits) has a blind index beside it."""

from django.conf import settings
from django.db import models

from gridsafe.core.fields import BlindIndexedModel, EncryptedCharField


class OrderState(models.TextChoices):
    RECEIVED = "received", "已接收"
    SIGNED = "signed", "已签收"
    RETURNED = "returned", "已退单"
    REPLIED = "replied", "已办结回复"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    UNREACHED = "unreached", "未联系上"


class HotlineOrder(BlindIndexedModel):
    """One 12345 工单 as the platform sent it, and the case it became. Unique by 工单编号: the platform's resends
    are answered with the same case."""

    order_no = models.CharField("工单编号", max_length=64, unique=True)
    platform = models.CharField("平台", max_length=40, default="json-http")
    content = models.TextField("诉求内容")
    caller_name = EncryptedCharField("来电人", max_length=50, blank=True)
    caller_phone = EncryptedCharField("来电号码", max_length=20, blank=True)
    address = models.CharField("事发地点", max_length=200, blank=True)
    located_by = models.CharField("定位依据", max_length=120, blank=True)
    due_at = models.DateTimeField("办理时限", null=True, blank=True)
    received_at = models.DateTimeField("接收时间")
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="hotline_order", verbose_name="隐患"
    )
    state = models.CharField("工单状态", max_length=12, choices=OrderState.choices, default=OrderState.RECEIVED)
    satisfaction = models.CharField("满意度", max_length=12, choices=Satisfaction.choices, blank=True)
    visit_comment = models.CharField("回访意见", max_length=500, blank=True)
    visited_at = models.DateTimeField("回访时间", null=True, blank=True)
    raw = models.JSONField("原始报文", default=dict, blank=True)

    class Meta:
        verbose_name = "12345工单"
        verbose_name_plural = "12345工单"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.order_no


class PushKind(models.TextChoices):
    SIGN = "sign", "签收"
    RETURN = "return", "退单"
    EXTEND = "extend", "延期申请"
    REPLY = "reply", "办结回复"


class PushState(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已送达"
    DEAD = "dead", "多次失败"


class HotlineOutbox(models.Model):
    """What we owe the platform, written in the same transaction as the change that owes it, so nothing is lost
    when the platform or the worker is down. Delivered by `tasks.hotline_push_deliver` with backoff; one row per
    (order, kind, key), so a repeated case event never pushes twice."""

    order = models.ForeignKey(HotlineOrder, on_delete=models.CASCADE, related_name="pushes", verbose_name="工单")
    kind = models.CharField("推送类型", max_length=10, choices=PushKind.choices)
    key = models.CharField("去重键", max_length=80)
    payload = models.JSONField("推送内容", default=dict)
    state = models.CharField("状态", max_length=10, choices=PushState.choices, default=PushState.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "12345回复队列"
        verbose_name_plural = "12345回复队列"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind", "key"], name="channels_push_once")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="channels_push_due")]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.kind}"


class Open311Key(models.Model):
    """An Open311 client allowed to POST requests. Only the SHA-256 of the key is stored; the key is printed once by
    `gridsafe open311_key create NAME`."""

    name = models.CharField("客户端名称", max_length=80, unique=True)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True, editable=False)
    prefix = models.CharField("密钥前缀", max_length=8, editable=False)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "群众上报接口密钥"
        verbose_name_plural = "群众上报接口密钥"

    def __str__(self) -> str:
        return self.name


class RequestChannel(models.TextChoices):
    OPEN311 = "open311", "开放接口"
    SNAP = "snap", "随手拍"


class RequestState(models.TextChoices):
    PENDING = "pending", "待审核"
    ACCEPTED = "accepted", "已受理"
    REJECTED = "rejected", "不予受理"


class CitizenRequest(BlindIndexedModel):
    """A citizen's report (群众上报) waiting for the desk: not yet a case a department must handle. Accepted, it
    becomes a case (source 群众上报) through the desk's 登记; its Open311 status then follows the case."""

    number = models.CharField("受理编号", max_length=20, unique=True)
    token = models.CharField("查询令牌", max_length=32, unique=True)
    channel = models.CharField("渠道", max_length=10, choices=RequestChannel.choices)
    client = models.ForeignKey(
        Open311Key, null=True, blank=True, on_delete=models.PROTECT, related_name="requests", verbose_name="客户端"
    )
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="类别"
    )
    description = models.TextField("描述")
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    region_path = models.CharField("所在区划路径", max_length=100, db_index=True)
    media_url = models.URLField("媒体链接", max_length=500, blank=True)
    photo = models.FileField("照片", upload_to="citizen/%Y/%m/", blank=True)
    name = EncryptedCharField("姓名", max_length=50, blank=True)
    phone = EncryptedCharField("电话", max_length=20, blank=True, lookup_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    email = EncryptedCharField("电子邮箱", max_length=120, blank=True)
    state = models.CharField("审核状态", max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    reject_reason = models.CharField("不予受理原因", max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审核人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    case = models.OneToOneField(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="citizen_request",
        verbose_name="隐患",
    )
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    created_at = models.DateTimeField("提交时间", db_index=True)
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "群众上报"
        verbose_name_plural = "群众上报"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "region_path"], name="channels_citizen_queue")]

    def __str__(self) -> str:
        return self.number


class SmsCode(models.Model):
    """A 随手拍 verification code sent to a phone: only its HMAC is kept, with how often it was tried."""

    phone_hash = models.CharField("电话索引", max_length=64, db_index=True)
    code_hash = models.CharField("验证码摘要", max_length=64)
    purpose = models.CharField("用途", max_length=10, default="snap")
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("过期时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"

    def __str__(self) -> str:
        return f"{self.purpose}:{self.created_at:%Y-%m-%d %H:%M}"
