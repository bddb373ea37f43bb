"""core 0001–0006 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from gridsafe.core.appendonly import triggers_drop, triggers_install

# The audit log is append-only in the database (core/appendonly.py): the old chain installed its triggers in
# cases/0002 and again in core/0002 and cases/0008.
APPEND_ONLY = ["core_auditevent"]


def install_triggers(apps, schema_editor):
    triggers_install(schema_editor.connection, APPEND_ONLY)


def drop_triggers(apps, schema_editor):
    triggers_drop(schema_editor.connection, APPEND_ONLY)


class Migration(migrations.Migration):
    replaces = [
        ("core", "0001_initial"),
        ("core", "0002_auditevent_chain"),
        ("core", "0003_cache_version"),
        ("core", "0004_audit_chain_no_legacy"),
        ("core", "0005_chinese_labels"),
        ("core", "0006_jobs"),
    ]

    initial = True

    dependencies = [
        ("accounts", "__first__"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("actor_label", models.CharField(blank=True, max_length=100, verbose_name="actor name")),
                ("action", models.CharField(max_length=60, verbose_name="action")),
                ("target", models.CharField(blank=True, max_length=200, verbose_name="target")),
                ("outcome", models.CharField(default="success", max_length=20, verbose_name="outcome")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                (
                    "payload",
                    models.JSONField(
                        default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="details"
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
                ("hash", models.CharField(blank=True, max_length=64, verbose_name="hash")),
                ("key_id", models.CharField(blank=True, max_length=8, verbose_name="signing key")),
                ("prev_hash", models.CharField(blank=True, max_length=64, verbose_name="previous hash")),
                ("seq", models.BigIntegerField(null=True, unique=True, verbose_name="chain position")),
            ],
            options={
                "verbose_name": "审计记录",
                "verbose_name_plural": "审计记录",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="CacheVersion",
            fields=[
                ("name", models.CharField(max_length=60, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
            options={
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Job",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=40, verbose_name="类型")),
                ("label", models.CharField(max_length=200, verbose_name="名称")),
                (
                    "params",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        verbose_name="参数",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "排队中"),
                            ("running", "进行中"),
                            ("done", "已完成"),
                            ("failed", "失败"),
                            ("expired", "已过期"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                ("done", models.PositiveIntegerField(default=0, verbose_name="已处理行数")),
                ("total", models.PositiveIntegerField(default=0, verbose_name="总行数")),
                (
                    "file",
                    models.FileField(blank=True, max_length=300, upload_to="downloads/%Y/%m/", verbose_name="文件"),
                ),
                ("file_name", models.CharField(blank=True, max_length=200, verbose_name="下载文件名")),
                ("size", models.BigIntegerField(default=0, verbose_name="文件大小（字节）")),
                ("error", models.TextField(blank=True, verbose_name="错误")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="运行次数")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="申请时间")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="开始时间")),
                ("beat_at", models.DateTimeField(blank=True, null=True, verbose_name="最近进度时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="过期时间")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="申请人",
                    ),
                ),
            ],
            options={
                "verbose_name": "后台任务与下载",
                "verbose_name_plural": "后台任务与下载",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["user", "-created_at"], name="job_by_user"),
                    models.Index(fields=["status", "expires_at"], name="job_by_status"),
                ],
                "constraints": [],
            },
        ),
        # created_at as core/0001 made it, then altered as core/0002 did: that rebuild puts the column last on SQLite,
        # where the old files leave it (the indexes over it follow).
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="created at"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action", "target", "created_at"], name="audit_action_target"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action", "ip", "created_at"], name="audit_action_ip"),
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
