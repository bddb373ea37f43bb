import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0004_counter_db_defaults"),
        ("regions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DisplaySession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="例如：县网格化服务管理中心大厅大屏", max_length=100, verbose_name="名称"
                    ),
                ),
                ("secret_hash", models.CharField(editable=False, max_length=64, unique=True, verbose_name="密钥摘要")),
                ("created_at", models.DateTimeField(editable=False, verbose_name="签发时间")),
                ("last_seen_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="最近访问")),
                ("expires_at", models.DateTimeField(verbose_name="到期时间")),
                ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="吊销时间")),
                (
                    "issued_by",
                    models.ForeignKey(
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="签发人",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regions.region",
                        verbose_name="显示区划",
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="吊销人",
                    ),
                ),
            ],
            options={
                "verbose_name": "大屏显示会话",
                "verbose_name_plural": "大屏显示会话",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
