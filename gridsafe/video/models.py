"""摄像机台账、视频网关与视频智能告警 (issue 15).

A camera is one GB/T 28181 channel (通道编码) of a device (设备编码: an IPC itself, or the NVR/DVR it hangs on), bound
to the grid its WGS-84 point lies in. A video gateway is a registered sender of AI alarms; its HMAC secret is sealed
at rest (core.fields). An alarm is kept once per (gateway, alarm_id); it either opened a case, joined the open case
of the same camera and type, or waits in the review queue at the desk."""

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime

from gridsafe.core.fields import EncryptedCharField


class Owner(models.TextChoices):
    POLICE = "police", "公安"
    TOWNSHIP = "township", "乡镇"
    ENTERPRISE = "enterprise", "企业"


class Camera(models.Model):
    device_id = models.CharField(
        "设备编码", max_length=20, help_text="国标 20 位设备编码（类型码 111、118、131、132 等）"
    )
    channel_id = models.CharField(
        "通道编码", max_length=20, unique=True, help_text="国标 20 位通道编码（类型码 131 或 132）"
    )
    name = models.CharField("名称", max_length=100)
    owner = models.CharField("所属", max_length=12, choices=Owner.choices, default=Owner.POLICE)
    address = models.CharField("安装地址", max_length=200, blank=True)
    lon = models.FloatField("经度（WGS-84）")
    lat = models.FloatField("纬度（WGS-84）")
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="cameras", verbose_name="所在网格"
    )
    region_path = models.CharField("网格路径", max_length=100, db_index=True, editable=False)
    is_online = models.BooleanField("在线", default=True)
    online_checked_at = models.DateTimeField("在线状态更新时间", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "摄像机"
        verbose_name_plural = "摄像机台账"
        ordering = ["region_path", "channel_id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.channel_id}）"


class VideoGateway(models.Model):
    """A sender of video-AI alarms (a WVP node with its algorithm box, a vendor's analysis platform)."""

    key = models.CharField("网关编号", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    secret = EncryptedCharField("签名密钥", max_length=100, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="立案账号",
        help_text="以此账号的名义登记视频告警生成的隐患（须覆盖摄像机所在辖区）",
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "视频网关"
        verbose_name_plural = "视频网关"

    def __str__(self) -> str:
        return self.name


class AlarmTypeRule(models.Model):
    """Which alarm type opens which hazard category, and from what confidence on. An alarm of a type without an
    active rule, or below its threshold, waits in the review queue."""

    type = models.CharField("告警类型", max_length=40, unique=True, help_text="网关上报的算法类型，如 消防通道占用")
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.PROTECT, related_name="+", verbose_name="隐患类别"
    )
    threshold = models.DecimalField("置信度阈值", max_digits=4, decimal_places=3, default=0.8)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "告警类型映射"
        verbose_name_plural = "告警类型映射"
        ordering = ["type"]

    def __str__(self) -> str:
        return self.type


class Outcome(models.TextChoices):
    CASE_OPENED = "case_opened", "已立案"
    JOINED = "joined", "并入已有隐患"
    REVIEW = "review", "待人工研判"
    FALSE_ALARM = "false_alarm", "误报"
    CASE_FROM_REVIEW = "reviewed_case", "研判后立案"


class VideoAlarm(models.Model):
    gateway = models.ForeignKey(VideoGateway, on_delete=models.PROTECT, related_name="alarms", verbose_name="网关")
    alarm_id = models.CharField("告警编号", max_length=64)
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="alarms", verbose_name="摄像机")
    region_path = models.CharField("网格路径", max_length=100, db_index=True, editable=False)
    type = models.CharField("告警类型", max_length=40)
    occurred_at = models.DateTimeField("发生时间")
    received_at = models.DateTimeField("接收时间")
    confidence = models.DecimalField("置信度", max_digits=4, decimal_places=3)
    snapshot = models.FileField("抓拍图", upload_to="video/alarms/%Y/%m/", blank=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    outcome = models.CharField("处理结果", max_length=16, choices=Outcome.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="隐患"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="研判人",
    )
    reviewed_at = models.DateTimeField("研判时间", null=True, blank=True)
    review_note = models.CharField("研判说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "视频告警"
        verbose_name_plural = "视频告警"
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "alarm_id"], name="videoalarm_once_per_gateway"),
        ]
        indexes = [
            models.Index(fields=["camera", "type", "occurred_at"], name="videoalarm_camera_type"),
            models.Index(fields=["outcome", "occurred_at"], name="videoalarm_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.type} · {localtime(self.occurred_at):%Y-%m-%d %H:%M}"
