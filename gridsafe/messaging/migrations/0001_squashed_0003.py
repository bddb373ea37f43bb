"""messaging 0001–0003 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import gridsafe.core.fields


class Migration(migrations.Migration):
    replaces = [("messaging", "0001_initial"), ("messaging", "0002_webhooks"), ("messaging", "0003_template_help")]

    initial = True

    dependencies = [
        ("accounts", "__first__"),
    ]

    operations = [
        migrations.CreateModel(
            name="MessageTemplate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.SlugField(unique=True, verbose_name="模板标识")),
                ("name", models.CharField(max_length=100, verbose_name="模板名称")),
                (
                    "body",
                    models.TextField(
                        help_text="可用占位符：{案件编号}、{隐患类别}、{等级}、{地点}、{承办单位}、{时限}、{事件}、{链接}；每日汇总可用{条数}、{明细}；验证码短信用{验证码}",
                        verbose_name="模板内容",
                    ),
                ),
                (
                    "sms_template_code",
                    models.CharField(
                        blank=True,
                        help_text="阿里云短信控制台“模板管理”中审核通过的模板编号",
                        max_length=50,
                        verbose_name="短信平台模板编号",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="修改时间")),
            ],
            options={
                "verbose_name": "消息模板",
                "verbose_name_plural": "消息模板",
                "ordering": ["key"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ChannelRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="规则名称")),
                (
                    "event_class",
                    models.CharField(
                        choices=[
                            ("urgent_report", "紧急或重大上报"),
                            ("report", "一般上报"),
                            ("supervised", "督办"),
                            ("urged", "催办"),
                            ("overdue", "超期"),
                            ("returned", "退回或复核不通过"),
                            ("closed", "办结"),
                            ("other", "其他事件"),
                        ],
                        max_length=20,
                        verbose_name="事件类别",
                    ),
                ),
                (
                    "recipients",
                    models.CharField(
                        choices=[
                            ("command", "指挥部（县综治中心负责人）"),
                            ("holder_lead", "承办单位负责人"),
                            ("notified", "站内通知的接收人"),
                        ],
                        max_length=20,
                        verbose_name="接收人",
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("sms", "短信"),
                            ("wecom_robot", "企业微信群机器人"),
                            ("wecom_app", "企业微信应用消息"),
                        ],
                        max_length=20,
                        verbose_name="渠道",
                    ),
                ),
                (
                    "timing",
                    models.CharField(
                        choices=[("immediate", "立即发送"), ("digest", "每日汇总")],
                        default="immediate",
                        max_length=20,
                        verbose_name="发送时机",
                    ),
                ),
                ("urgent", models.BooleanField(default=False, verbose_name="紧急（不受免打扰时段和频次限制）")),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rules",
                        to="messaging.messagetemplate",
                        verbose_name="消息模板",
                    ),
                ),
            ],
            options={
                "verbose_name": "推送规则",
                "verbose_name_plural": "推送规则",
                "ordering": ["event_class", "id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="UserPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sms_enabled", models.BooleanField(default=True, verbose_name="接收短信")),
                ("wecom_enabled", models.BooleanField(default=True, verbose_name="接收企业微信")),
                ("wecom_userid", models.CharField(blank=True, max_length=64, verbose_name="企业微信账号")),
                ("quiet_start", models.TimeField(blank=True, null=True, verbose_name="免打扰开始")),
                ("quiet_end", models.TimeField(blank=True, null=True, verbose_name="免打扰结束")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="修改时间")),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="message_preference",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="用户",
                    ),
                ),
            ],
            options={
                "verbose_name": "个人推送设置",
                "verbose_name_plural": "个人推送设置",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Delivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=120, unique=True, verbose_name="去重键")),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("sms", "短信"),
                            ("wecom_robot", "企业微信群机器人"),
                            ("wecom_app", "企业微信应用消息"),
                        ],
                        max_length=20,
                        verbose_name="渠道",
                    ),
                ),
                ("backend", models.CharField(blank=True, max_length=20, verbose_name="发送方式")),
                ("purpose", models.CharField(max_length=50, verbose_name="用途")),
                (
                    "address",
                    gridsafe.core.fields.EncryptedCharField(blank=True, max_length=100, verbose_name="接收地址"),
                ),
                ("address_masked", models.CharField(blank=True, max_length=100, verbose_name="接收地址（脱敏）")),
                ("template", models.CharField(blank=True, max_length=50, verbose_name="模板")),
                ("params", models.JSONField(blank=True, default=dict, verbose_name="模板参数")),
                ("text", models.TextField(blank=True, verbose_name="内容")),
                ("event_id", models.BigIntegerField(blank=True, null=True, verbose_name="案件事件")),
                ("case_id", models.BigIntegerField(blank=True, null=True, verbose_name="案件")),
                ("urgent", models.BooleanField(default=False, verbose_name="紧急")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "待发送"),
                            ("deferred", "免打扰延后"),
                            ("sent", "已发送"),
                            ("retrying", "失败待重试"),
                            ("failed", "发送失败"),
                            ("digested", "并入汇总"),
                            ("skipped", "未发送（用户关闭或无号码）"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=20,
                        verbose_name="状态",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="尝试次数")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="下次发送时间")),
                ("last_error", models.CharField(blank=True, max_length=500, verbose_name="最近错误")),
                ("provider_id", models.CharField(blank=True, max_length=100, verbose_name="平台回执编号")),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="创建时间"),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="发送时间")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="接收人",
                    ),
                ),
                (
                    "digest",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="items",
                        to="messaging.delivery",
                        verbose_name="所属汇总",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="messaging.channelrule",
                        verbose_name="推送规则",
                    ),
                ),
            ],
            options={
                "verbose_name": "发送记录",
                "verbose_name_plural": "发送记录",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.BigIntegerField(verbose_name="案件事件")),
                ("event_kind", models.CharField(max_length=40, verbose_name="事件类型")),
                ("payload", models.JSONField(verbose_name="推送内容")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "待推送"),
                            ("retrying", "失败待重试"),
                            ("delivered", "已送达"),
                            ("dead", "死信（已停止重试）"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=20,
                        verbose_name="状态",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="尝试次数")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="下次推送时间")),
                ("last_error", models.CharField(blank=True, max_length=500, verbose_name="最近错误")),
                ("response_status", models.PositiveIntegerField(blank=True, null=True, verbose_name="应答状态码")),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="创建时间"),
                ),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="送达时间")),
            ],
            options={
                "verbose_name": "上报推送记录",
                "verbose_name_plural": "上报推送记录",
                "ordering": ["-created_at", "-id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="WebhookSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="订阅方名称")),
                ("url", models.URLField(max_length=500, verbose_name="推送地址")),
                ("secret", gridsafe.core.fields.EncryptedCharField(max_length=128, verbose_name="签名密钥")),
                (
                    "event_kinds",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="案件事件类型的列表，如 case.reported；留空为全部事件",
                        verbose_name="事件类型",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="创建时间")),
            ],
            options={
                "verbose_name": "上报对接订阅",
                "verbose_name_plural": "上报对接订阅",
                "ordering": ["name"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="DeadLetter",
            fields=[],
            options={
                "verbose_name": "死信",
                "verbose_name_plural": "死信队列",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("messaging.webhookdelivery",),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="subscription",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="messaging.webhooksubscription",
                verbose_name="订阅",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(fields=("subscription", "event_id"), name="webhook_once_per_event"),
        ),
    ]
