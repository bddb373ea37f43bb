"""channels 0001–0002 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import gridsafe.core.fields


class Migration(migrations.Migration):
    replaces = [("channels", "0001_initial"), ("channels", "0002_chinese_labels")]

    initial = True

    dependencies = [
        ("accounts", "__first__"),
        ("cases", "0016_source_citizen"),
        ("catalog", "0002_routing_and_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="Open311Key",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=80, unique=True, verbose_name="客户端名称")),
                ("key_hash", models.CharField(editable=False, max_length=64, unique=True, verbose_name="密钥摘要")),
                ("prefix", models.CharField(editable=False, max_length=8, verbose_name="密钥前缀")),
                ("is_active", models.BooleanField(default=True, verbose_name="启用")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="最近使用")),
            ],
            options={
                "verbose_name": "群众上报接口密钥",
                "verbose_name_plural": "群众上报接口密钥",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="SmsCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("phone_hash", models.CharField(db_index=True, max_length=64, verbose_name="电话索引")),
                ("code_hash", models.CharField(max_length=64, verbose_name="验证码摘要")),
                ("purpose", models.CharField(default="snap", max_length=10, verbose_name="用途")),
                ("created_at", models.DateTimeField(verbose_name="发送时间")),
                ("expires_at", models.DateTimeField(verbose_name="过期时间")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数")),
                ("used_at", models.DateTimeField(blank=True, null=True, verbose_name="使用时间")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址")),
            ],
            options={
                "verbose_name": "短信验证码",
                "verbose_name_plural": "短信验证码",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="HotlineOrder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("order_no", models.CharField(max_length=64, unique=True, verbose_name="工单编号")),
                ("platform", models.CharField(default="json-http", max_length=40, verbose_name="平台")),
                ("content", models.TextField(verbose_name="诉求内容")),
                (
                    "caller_name",
                    gridsafe.core.fields.EncryptedCharField(blank=True, max_length=50, verbose_name="来电人"),
                ),
                (
                    "caller_phone",
                    gridsafe.core.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="来电号码"),
                ),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="事发地点")),
                ("located_by", models.CharField(blank=True, max_length=120, verbose_name="定位依据")),
                ("due_at", models.DateTimeField(blank=True, null=True, verbose_name="办理时限")),
                ("received_at", models.DateTimeField(verbose_name="接收时间")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("received", "已接收"),
                            ("signed", "已签收"),
                            ("returned", "已退单"),
                            ("replied", "已办结回复"),
                        ],
                        default="received",
                        max_length=12,
                        verbose_name="工单状态",
                    ),
                ),
                (
                    "satisfaction",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("satisfied", "满意"),
                            ("basic", "基本满意"),
                            ("dissatisfied", "不满意"),
                            ("unreached", "未联系上"),
                        ],
                        max_length=12,
                        verbose_name="满意度",
                    ),
                ),
                ("visit_comment", models.CharField(blank=True, max_length=500, verbose_name="回访意见")),
                ("visited_at", models.DateTimeField(blank=True, null=True, verbose_name="回访时间")),
                ("raw", models.JSONField(blank=True, default=dict, verbose_name="原始报文")),
                (
                    "case",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="hotline_order",
                        to="cases.case",
                        verbose_name="隐患",
                    ),
                ),
            ],
            options={
                "verbose_name": "12345工单",
                "verbose_name_plural": "12345工单",
                "ordering": ["-received_at"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="HotlineOutbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("sign", "签收"), ("return", "退单"), ("extend", "延期申请"), ("reply", "办结回复")],
                        max_length=10,
                        verbose_name="推送类型",
                    ),
                ),
                ("key", models.CharField(max_length=80, verbose_name="去重键")),
                ("payload", models.JSONField(default=dict, verbose_name="推送内容")),
                (
                    "state",
                    models.CharField(
                        choices=[("pending", "待发送"), ("sent", "已送达"), ("dead", "多次失败")],
                        default="pending",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数")),
                ("next_attempt_at", models.DateTimeField(verbose_name="下次尝试")),
                ("last_error", models.CharField(blank=True, max_length=300, verbose_name="最近错误")),
                ("created_at", models.DateTimeField(verbose_name="创建时间")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="送达时间")),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pushes",
                        to="channels.hotlineorder",
                        verbose_name="工单",
                    ),
                ),
            ],
            options={
                "verbose_name": "12345回复队列",
                "verbose_name_plural": "12345回复队列",
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["state", "next_attempt_at"], name="channels_push_due")],
                "constraints": [models.UniqueConstraint(fields=("order", "kind", "key"), name="channels_push_once")],
            },
        ),
        migrations.CreateModel(
            name="CitizenRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=20, unique=True, verbose_name="受理编号")),
                ("token", models.CharField(max_length=32, unique=True, verbose_name="查询令牌")),
                (
                    "channel",
                    models.CharField(
                        choices=[("open311", "开放接口"), ("snap", "随手拍")], max_length=10, verbose_name="渠道"
                    ),
                ),
                ("description", models.TextField(verbose_name="描述")),
                ("lon", models.FloatField(blank=True, null=True, verbose_name="经度")),
                ("lat", models.FloatField(blank=True, null=True, verbose_name="纬度")),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="地址")),
                ("region_path", models.CharField(db_index=True, max_length=100, verbose_name="所在区划路径")),
                ("media_url", models.URLField(blank=True, max_length=500, verbose_name="媒体链接")),
                ("photo", models.FileField(blank=True, upload_to="citizen/%Y/%m/", verbose_name="照片")),
                ("name", gridsafe.core.fields.EncryptedCharField(blank=True, max_length=50, verbose_name="姓名")),
                (
                    "phone",
                    gridsafe.core.fields.EncryptedCharField(
                        blank=True, lookup_field="phone_hash", max_length=20, verbose_name="电话"
                    ),
                ),
                ("phone_hash", models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
                ("email", gridsafe.core.fields.EncryptedCharField(blank=True, max_length=120, verbose_name="电子邮箱")),
                (
                    "state",
                    models.CharField(
                        choices=[("pending", "待审核"), ("accepted", "已受理"), ("rejected", "不予受理")],
                        default="pending",
                        max_length=10,
                        verbose_name="审核状态",
                    ),
                ),
                ("reject_reason", models.CharField(blank=True, max_length=300, verbose_name="不予受理原因")),
                ("reviewed_at", models.DateTimeField(blank=True, null=True, verbose_name="审核时间")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址")),
                ("created_at", models.DateTimeField(db_index=True, verbose_name="提交时间")),
                ("updated_at", models.DateTimeField(verbose_name="更新时间")),
                (
                    "case",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="citizen_request",
                        to="cases.case",
                        verbose_name="隐患",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.category",
                        verbose_name="类别",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="审核人",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requests",
                        to="channels.open311key",
                        verbose_name="客户端",
                    ),
                ),
            ],
            options={
                "verbose_name": "群众上报",
                "verbose_name_plural": "群众上报",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["state", "region_path"], name="channels_citizen_queue")],
                "constraints": [],
            },
        ),
    ]
