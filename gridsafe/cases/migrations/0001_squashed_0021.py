"""cases 0001–0021 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import gridsafe.core.fields
from gridsafe.core.appendonly import triggers_drop, triggers_install

# The case timeline is append-only in the database (cases/0002, 0008; core/appendonly.py).
APPEND_ONLY = ["cases_caseevent"]

# The 临期 window index of cases/0017, PostgreSQL only (see there why).
YELLOW_WINDOW = (
    "CREATE INDEX IF NOT EXISTS case_open_yellow_window ON cases_case "
    "USING gist (tstzrange(LEAST(yellow_at, due_at), due_at, '[]')) "
    "WHERE NOT (state IN ('closed', 'suspended')) AND due_at IS NOT NULL AND yellow_at IS NOT NULL"
)


def install_triggers(apps, schema_editor):
    triggers_install(schema_editor.connection, APPEND_ONLY)


def drop_triggers(apps, schema_editor):
    triggers_drop(schema_editor.connection, APPEND_ONLY)


def create_window(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(YELLOW_WINDOW)


def drop_window(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_open_yellow_window")


class Migration(migrations.Migration):
    replaces = [
        ("cases", "0001_initial"),
        ("cases", "0002_append_only_triggers"),
        ("cases", "0003_caseevent_ip"),
        ("cases", "0004_regrade_action"),
        ("cases", "0005_caseevent_desk_time"),
        ("cases", "0006_event_chain"),
        ("cases", "0007_event_chain_fill"),
        ("cases", "0008_append_only_triggers_again"),
        ("cases", "0009_page_indexes"),
        ("cases", "0010_newest_with_scope"),
        ("cases", "0011_caseevent_desk_by_id"),
        ("cases", "0012_open_category_by_states"),
        ("cases", "0013_desk_parts_and_callers"),
        ("cases", "0014_chinese_labels"),
        ("cases", "0015_source_walk_in"),
        ("cases", "0016_source_citizen"),
        ("cases", "0017_open_case_indexes"),
        ("cases", "0018_open_due_covering"),
        ("cases", "0019_open_path_holder_keys"),
        ("cases", "0020_newest_scope_state"),
        ("cases", "0021_state_level_path"),
    ]

    initial = True

    dependencies = [
        ("accounts", "0002_initial"),
        ("accounts", "0005_apitoken_last_used_at"),
        ("accounts", "0006_password_reset_code"),
        ("accounts", "0008_chinese_labels"),
        ("accounts", "__first__"),
        ("catalog", "0001_initial"),
        ("catalog", "0002_routing_and_labels"),
        ("core", "0001_initial"),
        ("core", "0004_audit_chain_no_legacy"),
        ("places", "0001_initial"),
        ("places", "0005_placerevision_ip"),
        ("places", "0006_chinese_labels"),
        ("regions", "0001_initial"),
        ("regions", "0003_chinese_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="Case",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True, verbose_name="client ID")),
                ("client_fingerprint", models.CharField(max_length=64)),
                (
                    "grade",
                    models.CharField(
                        choices=[("general", "General hazard (一般)"), ("major", "Major hazard (重大)")],
                        default="general",
                        max_length=10,
                        verbose_name="hazard grade",
                    ),
                ),
                ("urgent", models.BooleanField(default=False, verbose_name="urgent")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("grid_worker", "Grid worker (网格员)"),
                            ("patrol", "Patrol checklist (巡查)"),
                            ("hotline", "12345 hotline"),
                            ("video", "Video (视频)"),
                            ("department", "Department check (部门检查)"),
                            ("leader", "Leader instruction (领导交办)"),
                            ("walk_in", "Citizen visit (群众来访)"),
                            ("citizen", "Citizen report (群众上报)"),
                        ],
                        default="grid_worker",
                        max_length=20,
                        verbose_name="source",
                    ),
                ),
                ("description", models.TextField(verbose_name="description")),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="address")),
                ("lon", models.FloatField(verbose_name="longitude")),
                ("lat", models.FloatField(verbose_name="latitude")),
                ("raw_lon", models.FloatField(verbose_name="reported longitude")),
                ("raw_lat", models.FloatField(verbose_name="reported latitude")),
                ("source_crs", models.CharField(default="wgs84", max_length=8, verbose_name="coordinate system")),
                ("gps_accuracy_m", models.FloatField(blank=True, null=True, verbose_name="GPS accuracy (m)")),
                ("location_flags", models.JSONField(blank=True, default=list, verbose_name="location flags")),
                ("region_path", models.CharField(max_length=64, verbose_name="region path")),
                ("grid_version", models.PositiveIntegerField(default=1, verbose_name="grid boundary version")),
                ("checklist_answers", models.JSONField(blank=True, null=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending_review", "Pending review (待研判)"),
                            ("dispatched", "Dispatched (已派遣)"),
                            ("handling", "Handling (处置中)"),
                            ("suspended", "Suspended (挂账)"),
                            ("pending_verification", "Pending verification (待核查)"),
                            ("closed", "Closed (已结案)"),
                        ],
                        default="pending_review",
                        max_length=24,
                        verbose_name="state",
                    ),
                ),
                (
                    "closure",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("resolved", "Resolved (已整改销号)"),
                            ("invalid", "Invalid (作废)"),
                            ("duplicate", "Duplicate (重复并单)"),
                            ("transferred", "Transferred (移交)"),
                        ],
                        max_length=12,
                        verbose_name="closure",
                    ),
                ),
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (1, "Village station (村居)"),
                            (2, "Township centre (乡镇)"),
                            (3, "County centre (县)"),
                        ],
                        default=1,
                        verbose_name="handling level",
                    ),
                ),
                ("external_body", models.CharField(blank=True, max_length=100, verbose_name="external body")),
                ("external_ref", models.CharField(blank=True, max_length=60, verbose_name="external reference")),
                ("cc_paths", models.JSONField(blank=True, default=list, verbose_name="copied levels")),
                (
                    "step",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("review_village", "Village review (村研判)"),
                            ("review_township", "Township review and notice (乡镇研判+通报)"),
                            ("review_county", "County review and transfer (县审核转送)"),
                            ("sign", "Sign for dispatch (签收)"),
                            ("handle", "Handling (处置)"),
                            ("verify", "Verification (核查)"),
                            ("supervision_reply", "Supervision reply (督办回复)"),
                        ],
                        max_length=20,
                        verbose_name="step",
                    ),
                ),
                ("step_started_at", models.DateTimeField(blank=True, null=True, verbose_name="step started at")),
                (
                    "limit_amount",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=8, null=True, verbose_name="time limit"
                    ),
                ),
                (
                    "limit_unit",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("minutes", "minutes (分钟)"),
                            ("work_hours", "working hours (工作时)"),
                            ("work_days", "working days (工作日)"),
                            ("days", "calendar days (自然日)"),
                        ],
                        max_length=12,
                        verbose_name="time limit unit",
                    ),
                ),
                ("yellow_at", models.DateTimeField(blank=True, null=True, verbose_name="yellow light at")),
                ("due_at", models.DateTimeField(blank=True, null=True, verbose_name="due at")),
                ("original_due_at", models.DateTimeField(blank=True, null=True, verbose_name="original due at")),
                ("next_sweep_at", models.DateTimeField(blank=True, null=True, verbose_name="next check at")),
                ("alert_stage", models.PositiveSmallIntegerField(default=0, verbose_name="alert stage")),
                (
                    "remaining_on_suspend",
                    models.FloatField(blank=True, null=True, verbose_name="time left when suspended"),
                ),
                ("suspend_review_date", models.DateField(blank=True, null=True, verbose_name="suspension review date")),
                ("overdue_steps", models.JSONField(blank=True, default=list, verbose_name="overdue steps")),
                ("extension_pending", models.BooleanField(default=False, verbose_name="extension pending")),
                (
                    "extension_requested_due",
                    models.DateTimeField(blank=True, null=True, verbose_name="extension requested until"),
                ),
                ("extension_count", models.PositiveSmallIntegerField(default=0, verbose_name="extensions")),
                (
                    "supervision",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "None"),
                            ("normal", "Normal (普通督办)"),
                            ("yellow", "Yellow card (黄牌)"),
                            ("red", "Red card (红牌)"),
                        ],
                        max_length=8,
                        verbose_name="supervision",
                    ),
                ),
                (
                    "supervision_reply_due",
                    models.DateTimeField(blank=True, null=True, verbose_name="supervision reply due"),
                ),
                ("rework_count", models.PositiveSmallIntegerField(default=0, verbose_name="reworks")),
                ("reopen_count", models.PositiveSmallIntegerField(default=0, verbose_name="reopenings")),
                ("misdispatch_count", models.PositiveSmallIntegerField(default=0, verbose_name="misdispatches")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="version")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                ("updated_at", models.DateTimeField(verbose_name="updated at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="catalog.category",
                        verbose_name="hazard category",
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dispatched_cases",
                        to="accounts.unit",
                        verbose_name="responsible department",
                    ),
                ),
                (
                    "dispatcher_unit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="dispatching unit",
                    ),
                ),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="catalog.domain",
                        verbose_name="domain",
                    ),
                ),
                (
                    "handler",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="handler",
                    ),
                ),
                (
                    "holder_unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="held_cases",
                        to="accounts.unit",
                        verbose_name="holding unit",
                    ),
                ),
                (
                    "last_handler",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="last handler",
                    ),
                ),
                (
                    "master",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duplicates",
                        to="cases.case",
                        verbose_name="merged into",
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="places.place",
                        verbose_name="supervised place",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="regions.region",
                        verbose_name="grid",
                    ),
                ),
                (
                    "reporter",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reporter",
                    ),
                ),
                ("event_seq", models.PositiveIntegerField(default=0, verbose_name="event count")),
                ("event_head", models.CharField(blank=True, max_length=64, verbose_name="latest event hash")),
            ],
            options={
                "verbose_name": "hazard case",
                "verbose_name_plural": "hazard cases",
                "indexes": [
                    models.Index(fields=["region_path"], name="case_path_prefix", opclasses=["varchar_pattern_ops"]),
                    models.Index(fields=["holder_unit", "state"], name="case_holder_state"),
                    models.Index(fields=["department", "state"], name="case_department_state"),
                    models.Index(
                        condition=models.Q(("next_sweep_at__isnull", False)),
                        fields=["next_sweep_at"],
                        name="case_sweep_due",
                    ),
                    models.Index(
                        condition=models.Q(
                            (
                                "state__in",
                                ["pending_review", "dispatched", "handling", "suspended", "pending_verification"],
                            ),
                            ("category__isnull", False),
                        ),
                        fields=["category", "lat"],
                        name="case_open_category_lat_in",
                    ),
                    models.Index(
                        condition=models.Q(models.Q(("state", "closed"), _negated=True), ("reporter__isnull", False)),
                        fields=["reporter"],
                        name="case_open_reporter",
                    ),
                    models.Index(
                        condition=models.Q(
                            models.Q(("state", "closed"), _negated=True),
                            ("department__isnull", False),
                            ("dispatcher_unit__isnull", False),
                        ),
                        fields=["dispatcher_unit", "state"],
                        name="case_open_dispatcher",
                    ),
                    models.Index(
                        condition=models.Q(
                            models.Q(("state__in", ["closed", "suspended"]), _negated=True), ("due_at__isnull", False)
                        ),
                        fields=["due_at", "id"],
                        include=("state", "region_path", "holder_unit", "handler", "department", "dispatcher_unit"),
                        name="case_open_due",
                    ),
                    models.Index(
                        condition=models.Q(
                            models.Q(("state", "closed"), _negated=True), ("region_path__isnull", False)
                        ),
                        fields=["region_path", "state"],
                        name="case_open_path",
                        opclasses=["varchar_pattern_ops", "varchar_ops"],
                    ),
                    models.Index(
                        condition=models.Q(
                            models.Q(("state", "closed"), _negated=True), ("holder_unit__isnull", False)
                        ),
                        fields=["holder_unit", "state", "due_at"],
                        name="case_open_holder",
                    ),
                    models.Index(
                        fields=["-created_at", "-id"],
                        include=("region_path", "department", "reporter", "state"),
                        name="case_newest_scope",
                    ),
                    models.Index(fields=["state", "level", "region_path"], name="case_state_level"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="CaseEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("request_id", models.UUIDField(verbose_name="request ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("case.reported", "上报隐患"),
                            ("case.assigned", "受理/交办"),
                            ("case.escalated", "上报上级"),
                            ("case.dispatched", "派遣"),
                            ("case.started", "签收"),
                            ("case.returned", "回退"),
                            ("case.submitted", "提交整改"),
                            ("case.verified", "核查通过"),
                            ("case.rework", "核查不通过(返工)"),
                            ("case.extension_requested", "延期申请"),
                            ("case.extension_approved", "同意延期"),
                            ("case.extension_rejected", "驳回延期"),
                            ("case.suspended", "挂账"),
                            ("case.resumed", "挂账恢复"),
                            ("case.voided", "作废"),
                            ("case.merged", "并单"),
                            ("case.transferred", "移交"),
                            ("case.reopened", "重新打开"),
                            ("case.supervised", "督办"),
                            ("case.supervision_replied", "督办回复"),
                            ("case.urged", "催办"),
                            ("case.commented", "备注"),
                            ("case.regraded", "定级"),
                            ("case.attachment_added", "添加附件"),
                            ("case.info_requested", "退回核实/补充"),
                            ("case.info_supplied", "核实补充"),
                            ("case.part_started", "协办签收"),
                            ("case.part_reported", "协办反馈"),
                            ("case.corrected", "更正"),
                            ("case.due_soon", "临期预警"),
                            ("case.overdue", "超期"),
                        ],
                        max_length=40,
                        verbose_name="kind",
                    ),
                ),
                ("action", models.CharField(blank=True, max_length=24, verbose_name="action")),
                ("actor_label", models.CharField(max_length=100, verbose_name="actor name")),
                ("from_state", models.CharField(blank=True, max_length=24)),
                ("to_state", models.CharField(blank=True, max_length=24)),
                ("from_level", models.PositiveSmallIntegerField(null=True, verbose_name="from level")),
                ("to_level", models.PositiveSmallIntegerField(null=True, verbose_name="to level")),
                ("comment", models.TextField(blank=True, verbose_name="comment")),
                (
                    "payload",
                    models.JSONField(
                        default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="details"
                    ),
                ),
                ("due_at", models.DateTimeField(null=True, verbose_name="due at")),
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
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="cases.case",
                        verbose_name="hazard case",
                    ),
                ),
                (
                    "holder_unit",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="holding unit",
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("seq", models.PositiveIntegerField(default=0, verbose_name="chain position")),
                ("prev_hash", models.CharField(blank=True, max_length=64, verbose_name="previous hash")),
                ("hash", models.CharField(blank=True, max_length=64, verbose_name="hash")),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [
                    models.Index(fields=["kind", "created_at"], name="caseevent_kind_time"),
                    models.Index(fields=["holder_unit", "id"], name="caseevent_desk"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("case", "request_id"), name="caseevent_request_once"),
                    models.UniqueConstraint(fields=("case", "seq"), name="caseevent_chain_seq"),
                ],
                "verbose_name": "case event",
                "verbose_name_plural": "case events",
            },
        ),
        migrations.CreateModel(
            name="Attachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True, verbose_name="client ID")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("report", "Report photo (上报)"),
                            ("before", "Before (整改前)"),
                            ("after", "After (整改后)"),
                            ("verification", "Verification (核查)"),
                            ("document", "Document (文书)"),
                        ],
                        default="report",
                        max_length=12,
                        verbose_name="purpose",
                    ),
                ),
                ("file", models.FileField(upload_to="cases/%Y/%m/", verbose_name="file")),
                ("thumbnail", models.FileField(blank=True, upload_to="thumbs/%Y/%m/", verbose_name="thumbnail")),
                ("original_name", models.CharField(blank=True, max_length=200, verbose_name="original file name")),
                ("content_type", models.CharField(max_length=80, verbose_name="file type")),
                ("size", models.PositiveBigIntegerField(verbose_name="size (bytes)")),
                ("sha256", models.CharField(db_index=True, max_length=64, verbose_name="SHA-256")),
                ("width", models.PositiveIntegerField(blank=True, null=True, verbose_name="width")),
                ("height", models.PositiveIntegerField(blank=True, null=True, verbose_name="height")),
                ("captured_at", models.DateTimeField(blank=True, null=True, verbose_name="taken at")),
                ("capture_lon", models.FloatField(blank=True, null=True)),
                ("capture_lat", models.FloatField(blank=True, null=True)),
                ("capture_accuracy_m", models.FloatField(blank=True, null=True)),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="uploaded by",
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attachments",
                        to="cases.case",
                        verbose_name="hazard case",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.caseevent",
                        verbose_name="case event",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [],
                "constraints": [],
                "verbose_name": "attachment",
                "verbose_name_plural": "attachments",
            },
        ),
        migrations.CreateModel(
            name="Supervision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "level",
                    models.CharField(
                        choices=[
                            ("", "None"),
                            ("normal", "Normal (普通督办)"),
                            ("yellow", "Yellow card (黄牌)"),
                            ("red", "Red card (红牌)"),
                        ],
                        max_length=8,
                        verbose_name="supervision level",
                    ),
                ),
                ("automatic", models.BooleanField(default=False, verbose_name="automatic")),
                ("instruction", models.TextField(blank=True, verbose_name="instruction")),
                ("issued_at", models.DateTimeField(verbose_name="issued at")),
                ("reply_due", models.DateTimeField(verbose_name="reply due")),
                ("reply", models.TextField(blank=True, verbose_name="reply")),
                ("replied_at", models.DateTimeField(blank=True, null=True, verbose_name="replied at")),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="supervisions",
                        to="cases.case",
                        verbose_name="hazard case",
                    ),
                ),
                (
                    "issued_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="issued by",
                    ),
                ),
                (
                    "issued_unit",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="issuing unit",
                    ),
                ),
                (
                    "replied_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="replied by",
                    ),
                ),
                (
                    "target_unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="target unit",
                    ),
                ),
            ],
            options={
                "ordering": ["issued_at", "id"],
                "indexes": [],
                "constraints": [],
                "verbose_name": "supervision",
                "verbose_name_plural": "supervisions",
            },
        ),
        migrations.CreateModel(
            name="CasePart",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("dispatched", "Awaiting signature (待签收)"),
                            ("handling", "Handling (处置中)"),
                            ("reported", "Part reported (已反馈)"),
                            ("withdrawn", "Withdrawn (已撤回)"),
                        ],
                        default="dispatched",
                        max_length=12,
                    ),
                ),
                ("report", models.TextField(blank=True, verbose_name="part report")),
                ("dispatched_at", models.DateTimeField()),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("reported_at", models.DateTimeField(blank=True, null=True)),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="parts", to="cases.case"
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="case_parts", to="accounts.unit"
                    ),
                ),
                (
                    "handler",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "co-handling part (协办)",
                "verbose_name_plural": "co-handling parts (协办)",
                "ordering": ["id"],
                "indexes": [models.Index(fields=["department", "state"], name="casepart_department_state")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state", "withdrawn"), _negated=True),
                        fields=("case", "department"),
                        name="casepart_one_active_per_department",
                    )
                ],
            },
        ),
        # The columns cases/0013 and later added, added the same way: the rebuild for the NOT NULL caller columns puts
        # the self-referential master last on SQLite (Django clones it), where the old files leave it.
        migrations.AddField(
            model_name="case",
            name="caller_name",
            field=gridsafe.core.fields.EncryptedCharField(blank=True, max_length=50, verbose_name="caller's name"),
        ),
        migrations.AddField(
            model_name="case",
            name="caller_phone",
            field=gridsafe.core.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="caller's phone"),
        ),
        migrations.AddField(
            model_name="case",
            name="handle_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="handling deadline set at dispatch"),
        ),
        migrations.AddField(
            model_name="case",
            name="with_worker",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="returned to worker",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="with_worker_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="returned to worker at"),
        ),
        migrations.RunPython(install_triggers, drop_triggers),
        migrations.RunPython(create_window, drop_window),
    ]
