"""hazards 0001–0005 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from gridsafe.core.appendonly import triggers_drop, triggers_install

# The major-hazard timeline and the enterprises' records are append-only in the database (hazards/0005).
APPEND_ONLY = ["hazards_majorhazardevent", "hazards_enterpriserecord"]


def install_triggers(apps, schema_editor):
    triggers_install(schema_editor.connection, APPEND_ONLY)


def drop_triggers(apps, schema_editor):
    triggers_drop(schema_editor.connection, APPEND_ONLY)


class Migration(migrations.Migration):
    replaces = [
        ("hazards", "0001_initial"),
        ("hazards", "0002_selffinding_case"),
        ("hazards", "0003_major_action_listing"),
        ("hazards", "0004_fill_major_action_listing"),
        ("hazards", "0005_append_only_triggers"),
    ]

    initial = True

    dependencies = [
        ("accounts", "0009_user_enterprise_alter_user_role"),
        ("accounts", "__first__"),
        ("cases", "0016_source_citizen"),
        ("field", "0006_checklist_frozen_triggers"),
        ("places", "0007_registers"),
    ]

    operations = [
        migrations.CreateModel(
            name="EnterpriseRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("request_id", models.UUIDField(unique=True, verbose_name="request ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("evidence", "Rectification evidence (整改佐证)"),
                            ("five", "Five implementations (五落实)"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("text", models.TextField(blank=True, verbose_name="text")),
                (
                    "data",
                    models.JSONField(
                        default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="details"
                    ),
                ),
                ("attachment_ids", models.JSONField(default=list, verbose_name="attachments")),
                ("actor_label", models.CharField(max_length=100, verbose_name="actor name")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "actor",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enterprise_records",
                        to="cases.case",
                        verbose_name="hazard case",
                    ),
                ),
                (
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="places.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
            ],
            options={
                "verbose_name": "enterprise record",
                "verbose_name_plural": "enterprise records",
                "ordering": ["created_at", "id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="MajorHazard",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("confirmed", "Confirmed, not yet listed (已定级待挂牌)"),
                            ("listed", "Listed for supervision (挂牌督办)"),
                            ("rectifying", "Under rectification (治理中)"),
                            ("evaluated", "Evaluated, awaiting write-off (已评估待销号)"),
                            ("closed", "Written off (已销号)"),
                            ("withdrawn", "Withdrawn, grade lowered (已撤销)"),
                        ],
                        default="confirmed",
                        max_length=12,
                        verbose_name="state",
                    ),
                ),
                ("version", models.PositiveIntegerField(default=1, verbose_name="version")),
                ("basis", models.CharField(blank=True, max_length=300, verbose_name="basis for the major grade")),
                ("confirmed_at", models.DateTimeField(verbose_name="confirmed at")),
                ("notice_year", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="notice year")),
                (
                    "notice_seq",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="notice number in the year"),
                ),
                ("notice_no", models.CharField(blank=True, max_length=40, verbose_name="notice number (文号)")),
                ("supervising_body", models.CharField(blank=True, max_length=60, verbose_name="supervising body")),
                ("public_title", models.CharField(blank=True, max_length=120, verbose_name="published hazard title")),
                ("rectify_by", models.DateField(blank=True, null=True, verbose_name="rectification deadline")),
                ("listed_at", models.DateTimeField(blank=True, null=True, verbose_name="listed at")),
                (
                    "plan",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        verbose_name="rectification plan",
                    ),
                ),
                ("planned_at", models.DateTimeField(blank=True, null=True, verbose_name="plan recorded at")),
                (
                    "funds_wan",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=10, verbose_name="rectification funds (10k yuan)"
                    ),
                ),
                (
                    "stop_order",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "None (无)"),
                            ("full", "Full stop of production or use (全部停产停用)"),
                            ("partial", "Partial stop (局部停产停用)"),
                        ],
                        max_length=8,
                        verbose_name="stop order",
                    ),
                ),
                ("stop_scope", models.CharField(blank=True, max_length=200, verbose_name="scope of the stop order")),
                (
                    "five",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        verbose_name="five implementations (五落实)",
                    ),
                ),
                ("evaluator", models.CharField(blank=True, max_length=100, verbose_name="evaluating body")),
                ("evaluation", models.TextField(blank=True, verbose_name="evaluation conclusion")),
                ("evaluated_at", models.DateTimeField(blank=True, null=True, verbose_name="evaluated at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="written off at (销号)")),
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="major_hazard",
                        to="cases.case",
                        verbose_name="hazard case",
                    ),
                ),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="written off by",
                    ),
                ),
                (
                    "lead_unit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="lead unit",
                    ),
                ),
            ],
            options={
                "verbose_name": "major hazard (重大隐患)",
                "verbose_name_plural": "major hazards (重大隐患)",
                "ordering": ["-confirmed_at", "-id"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("notice_seq__isnull", False)),
                        fields=("notice_year", "notice_seq"),
                        name="majorhazard_notice_once",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MajorHazardEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("request_id", models.UUIDField(verbose_name="request ID")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("open", "Open (启动重大隐患流程)"),
                            ("listing", "List for supervision (挂牌督办)"),
                            ("plan", "Rectification plan (治理方案)"),
                            ("stop", "Stop order (停产停用)"),
                            ("progress", "Progress report (进展报告)"),
                            ("five", "Five implementations (五落实)"),
                            ("evaluate", "Completion evaluation (评估)"),
                            ("close", "Write-off (销号)"),
                            ("reopen", "Back to rectification (核查不通过)"),
                            ("withdraw", "Withdraw (撤销)"),
                        ],
                        max_length=16,
                        verbose_name="action",
                    ),
                ),
                ("from_state", models.CharField(blank=True, max_length=12, verbose_name="from state")),
                ("to_state", models.CharField(max_length=12, verbose_name="to state")),
                ("actor_label", models.CharField(max_length=100, verbose_name="actor name")),
                ("comment", models.TextField(blank=True, verbose_name="comment")),
                (
                    "payload",
                    models.JSONField(
                        default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="details"
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="created at")),
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
                (
                    "hazard",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="hazards.majorhazard",
                        verbose_name="major hazard",
                    ),
                ),
            ],
            options={
                "verbose_name": "major hazard step",
                "verbose_name_plural": "major hazard steps",
                "ordering": ["created_at", "id"],
                "indexes": [],
                "constraints": [models.UniqueConstraint(fields=("hazard", "request_id"), name="majorhazardevent_once")],
            },
        ),
        migrations.CreateModel(
            name="SelfInspection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True, verbose_name="client ID")),
                ("client_fingerprint", models.CharField(max_length=64)),
                ("template_version", models.PositiveIntegerField(verbose_name="checklist version")),
                ("answers", models.JSONField(default=list, verbose_name="answers")),
                ("score", models.FloatField(blank=True, null=True, verbose_name="score")),
                ("inspected_at", models.DateTimeField(verbose_name="inspected at")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "enterprise",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="self_inspections",
                        to="places.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
                (
                    "inspector",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="inspector",
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="self_inspections",
                        to="places.place",
                        verbose_name="supervised place",
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="field.checklisttemplate",
                        verbose_name="checklist",
                    ),
                ),
            ],
            options={
                "verbose_name": "self-inspection (企业自查)",
                "verbose_name_plural": "self-inspections (企业自查)",
                "ordering": ["-inspected_at", "-id"],
                "indexes": [models.Index(fields=["place", "-inspected_at"], name="selfinspection_place_recent")],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="SelfFinding",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=40, verbose_name="item code")),
                ("question", models.CharField(max_length=300, verbose_name="checklist item")),
                ("severity", models.CharField(max_length=20, verbose_name="severity")),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("reported", models.BooleanField(default=False, verbose_name="reported to the grid")),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open (待整改)"), ("rectified", "Rectified (已整改)")],
                        default="open",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("rectified_at", models.DateTimeField(blank=True, null=True, verbose_name="rectified at")),
                ("rectification", models.TextField(blank=True, verbose_name="rectification")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="version")),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="places.place",
                        verbose_name="place",
                    ),
                ),
                (
                    "inspection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="findings",
                        to="hazards.selfinspection",
                        verbose_name="self-inspection",
                    ),
                ),
                (
                    "case",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="self_finding",
                        to="cases.case",
                        verbose_name="registered hazard case",
                    ),
                ),
            ],
            options={
                "verbose_name": "self-inspection finding",
                "verbose_name_plural": "self-inspection findings",
                "ordering": ["state", "-id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
