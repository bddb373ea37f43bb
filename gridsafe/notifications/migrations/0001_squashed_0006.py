"""notifications 0001–0006 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ("notifications", "0001_initial"),
        ("notifications", "0002_derived_rows_without_fks"),
        ("notifications", "0003_regraded_kind"),
        ("notifications", "0004_desk_on_read"),
        ("notifications", "0005_desk_cursor_by_id"),
        ("notifications", "0006_download_kind"),
    ]

    initial = True

    dependencies = [
        ("accounts", "0005_apitoken_last_used_at"),
        ("accounts", "__first__"),
        ("cases", "0002_append_only_triggers"),
        ("cases", "0003_caseevent_ip"),
        ("cases", "0011_caseevent_desk_by_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("new_task", "New task"),
                            ("escalated", "Escalated to you"),
                            ("command_notice", "Notice to the rectification command"),
                            ("returned", "Returned"),
                            ("rework", "Verification failed, rework"),
                            ("overdue", "Overdue"),
                            ("due_soon", "Due soon"),
                            ("supervised", "Supervision (督办)"),
                            ("urged", "Urged (催办)"),
                            ("reopened", "Reopened"),
                            ("extension", "Extension"),
                            ("closed", "Closed"),
                            ("system", "System alarm"),
                            ("regraded", "Grade set (定级)"),
                            ("download", "Download ready (我的下载)"),
                        ],
                        max_length=20,
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("body", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cases.case",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.caseevent",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("event__isnull", False)),
                        fields=("user", "event", "kind"),
                        name="notification_once_per_event",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DeskCursor",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("unit_id", models.BigIntegerField(null=True)),
                ("role", models.CharField(blank=True, max_length=20)),
                ("event_id", models.BigIntegerField(default=0)),
                ("seen_id", models.BigIntegerField(default=0)),
                ("seen_at", models.DateTimeField()),
            ],
            options={
                "indexes": [],
                "constraints": [],
            },
        ),
    ]
