"""dashboards 0001–0011 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The oversight configuration as 0002 seeded it, with 0008's 巡查覆盖率 term and 0011's grid-worker weights: the
# rows (and their ids, in this order) are those the old chain leaves on a new database.
# profile, kpi, weight %, bands, per grid-month
WEIGHTS = [
    ("region", "public_report_rate", 10, None, False),
    ("region", "filing_count", 20, [[0.5, 100], [3, 90], [5, 75], [7, 60], [9, 40], [None, 0]], True),
    ("region", "closure_rate", 30, None, False),
    ("region", "closure_on_time", 40, None, False),
    ("department", "handling_rate", 10, None, False),
    ("department", "closure_rate", 30, None, False),
    ("department", "handling_on_time", 30, None, False),
    ("department", "rework_rate", 30, None, False),
    ("grid_worker", "valid_report_rate", 32, None, False),
    ("grid_worker", "missed_report_rate", 16, None, False),
    ("grid_worker", "confirm_on_time", 16, None, False),
    ("grid_worker", "check_on_time", 16, None, False),
    ("grid_worker", "patrol_coverage", 20, None, False),
]

CADENCE = [
    (1, "inspection", "month", 1, "县级网格领导带队检查"),
    (1, "meeting", "month", 1, "安全生产网格化管理工作会议"),
    (2, "inspection", "week", 1, "乡镇(街道)网格领导带队检查"),
    (2, "meeting", "week", 1, "网格安全生产协调例会"),
    (3, "inspection", "week", 1, "村(居)网格检查"),
    (3, "meeting", "week", 1, "网格安全监管碰头会"),
]

QUOTAS = [("centre", 2, 2), ("department", 1, 2)]

ROLLUP_TABLES = ("dashboards_statcell", "dashboards_statgauge")


def seed(apps, schema_editor):
    KpiWeight = apps.get_model("dashboards", "KpiWeight")
    CadenceRule = apps.get_model("dashboards", "CadenceRule")
    ReportQuota = apps.get_model("dashboards", "ReportQuota")
    for sort, (profile, kpi, weight, bands, per_grid_month) in enumerate(WEIGHTS):
        KpiWeight.objects.create(
            profile=profile, kpi=kpi, weight=weight, bands=bands, per_grid_month=per_grid_month, sort=sort
        )
    for level, kind, cadence, times, title in CADENCE:
        CadenceRule.objects.create(region_level=level, kind=kind, cadence=cadence, times=times, title=title)
    for unit_kind, level, minimum in QUOTAS:
        ReportQuota.objects.create(unit_kind=unit_kind, region_level=level, minimum=minimum)


def set_fillfactor(apps, schema_editor):
    """PostgreSQL: room in every page of the rollup tables for HOT counter upserts (dashboards/0003)."""
    if schema_editor.connection.vendor == "postgresql":
        for table in ROLLUP_TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 80)")


class Migration(migrations.Migration):
    replaces = [
        ("dashboards", "0001_initial"),
        ("dashboards", "0002_seed_config"),
        ("dashboards", "0003_rollup_fillfactor"),
        ("dashboards", "0004_counter_db_defaults"),
        ("dashboards", "0005_display_session"),
        ("dashboards", "0006_watched_list_indexes"),
        ("dashboards", "0007_oversight_calendar"),
        ("dashboards", "0008_worker_patrol_weight"),
        ("dashboards", "0009_source_walk_in"),
        ("dashboards", "0010_source_citizen_hotline_visits"),
        ("dashboards", "0011_worker_weights_total_100"),
    ]

    initial = True

    dependencies = [
        ("accounts", "0002_initial"),
        ("accounts", "0006_password_reset_code"),
        ("accounts", "__first__"),
        ("cases", "0002_append_only_triggers"),
        ("cases", "0009_page_indexes"),
        ("cases", "0012_open_category_by_states"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CadenceRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_level", models.PositiveSmallIntegerField(verbose_name="region level")),
                (
                    "kind",
                    models.CharField(
                        choices=[("inspection", "Leader-led inspection (领导带队检查)"), ("meeting", "Meeting (例会)")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                (
                    "cadence",
                    models.CharField(
                        choices=[("week", "weekly"), ("month", "monthly")], max_length=5, verbose_name="cadence"
                    ),
                ),
                ("times", models.PositiveSmallIntegerField(default=1, verbose_name="times per period")),
                ("title", models.CharField(max_length=60, verbose_name="name")),
                ("is_active", models.BooleanField(default=True)),
            ],
            options={
                "verbose_name": "cadence rule",
                "verbose_name_plural": "cadence rules",
                "ordering": ["region_level", "kind"],
                "constraints": [
                    models.UniqueConstraint(fields=("region_level", "kind"), name="cadence_once_per_level")
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="KpiWeight",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "profile",
                    models.CharField(
                        choices=[
                            ("region", "Region (乡镇/村居/网格)"),
                            ("department", "Department (职能部门)"),
                            ("grid_worker", "Grid worker (网格员)"),
                        ],
                        max_length=20,
                        verbose_name="profile",
                    ),
                ),
                ("kpi", models.CharField(max_length=40, verbose_name="KPI")),
                ("weight", models.DecimalField(decimal_places=2, max_digits=5, verbose_name="weight (%)")),
                ("bands", models.JSONField(blank=True, null=True, verbose_name="count bands")),
                ("per_grid_month", models.BooleanField(default=False, verbose_name="bands per grid per month")),
                ("sort", models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                "verbose_name": "KPI weight",
                "verbose_name_plural": "KPI weights",
                "ordering": ["profile", "sort", "kpi"],
                "constraints": [models.UniqueConstraint(fields=("profile", "kpi"), name="kpiweight_unique")],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="LeaderActivity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("inspection", "Leader-led inspection (领导带队检查)"), ("meeting", "Meeting (例会)")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("region_path", models.CharField(max_length=64)),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                ("held_at", models.DateTimeField(verbose_name="held at")),
                ("leader_name", models.CharField(max_length=60, verbose_name="leader")),
                ("attendees", models.TextField(blank=True, verbose_name="attendees")),
                ("minutes", models.TextField(blank=True, verbose_name="minutes / findings summary")),
                ("created_at", models.DateTimeField()),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "findings",
                    models.ManyToManyField(blank=True, related_name="+", to="cases.case", verbose_name="hazards found"),
                ),
                (
                    "grids",
                    models.ManyToManyField(
                        blank=True, related_name="+", to="regions.region", verbose_name="grids inspected"
                    ),
                ),
                (
                    "leader",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="regions.region"
                    ),
                ),
            ],
            options={
                "verbose_name": "leader activity",
                "verbose_name_plural": "leader activities",
                "ordering": ["-held_at", "-id"],
                "indexes": [
                    models.Index(fields=["region_path"], name="activity_path", opclasses=["varchar_pattern_ops"]),
                    models.Index(fields=["kind", "held_at"], name="activity_kind_time"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ActivityPhoto",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.FileField(upload_to="inspections/%Y/%m/")),
                ("original_name", models.CharField(blank=True, max_length=200)),
                ("content_type", models.CharField(max_length=80)),
                ("size", models.PositiveBigIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "activity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="photos",
                        to="dashboards.leaderactivity",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ReminderLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("stage", models.PositiveSmallIntegerField()),
                ("sent_at", models.DateTimeField()),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.unit"
                    ),
                ),
            ],
            options={
                "indexes": [],
                "constraints": [models.UniqueConstraint(fields=("unit", "month", "stage"), name="reminder_once")],
            },
        ),
        migrations.CreateModel(
            name="ReportQuota",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit_kind", models.CharField(max_length=12, verbose_name="unit kind")),
                ("region_level", models.PositiveSmallIntegerField(verbose_name="region level of the unit")),
                ("minimum", models.PositiveSmallIntegerField(default=2, verbose_name="minimum per month")),
            ],
            options={
                "verbose_name": "information report quota",
                "verbose_name_plural": "information report quotas",
                "constraints": [
                    models.UniqueConstraint(fields=("unit_kind", "region_level"), name="reportquota_unique")
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="StatCell",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("r", "Region node (区划)"),
                            ("u", "Department (职能部门)"),
                            ("w", "Reporter (网格员)"),
                        ],
                        max_length=1,
                    ),
                ),
                ("grain", models.CharField(choices=[("d", "Day"), ("m", "Month")], max_length=1)),
                ("node", models.BigIntegerField()),
                ("period", models.DateField()),
                ("domain", models.IntegerField()),
                ("reported", models.IntegerField(db_default=0, default=0)),
                ("src_grid_worker", models.IntegerField(db_default=0, default=0)),
                ("src_patrol", models.IntegerField(db_default=0, default=0)),
                ("src_hotline", models.IntegerField(db_default=0, default=0)),
                ("src_video", models.IntegerField(db_default=0, default=0)),
                ("src_department", models.IntegerField(db_default=0, default=0)),
                ("src_leader", models.IntegerField(db_default=0, default=0)),
                ("invalid", models.IntegerField(db_default=0, default=0)),
                ("duplicate", models.IntegerField(db_default=0, default=0)),
                ("transferred", models.IntegerField(db_default=0, default=0)),
                ("resolved", models.IntegerField(db_default=0, default=0)),
                ("handled", models.IntegerField(db_default=0, default=0)),
                ("handled_on_time", models.IntegerField(db_default=0, default=0)),
                ("overdue_unhandled", models.IntegerField(db_default=0, default=0)),
                ("closed_on_time", models.IntegerField(db_default=0, default=0)),
                ("overdue_unclosed", models.IntegerField(db_default=0, default=0)),
                ("suspended", models.IntegerField(db_default=0, default=0)),
                ("reworks", models.IntegerField(db_default=0, default=0)),
                ("reopens", models.IntegerField(db_default=0, default=0)),
                ("misdispatches", models.IntegerField(db_default=0, default=0)),
                ("confirm_due", models.IntegerField(db_default=0, default=0)),
                ("confirm_on_time", models.IntegerField(db_default=0, default=0)),
                ("check_due", models.IntegerField(db_default=0, default=0)),
                ("check_on_time", models.IntegerField(db_default=0, default=0)),
                ("major", models.IntegerField(db_default=0, default=0)),
                ("major_resolved", models.IntegerField(db_default=0, default=0)),
                ("f_handled", models.IntegerField(db_default=0, default=0)),
                ("f_handle_seconds", models.BigIntegerField(db_default=0, default=0)),
                ("f_resolved", models.IntegerField(db_default=0, default=0)),
                ("f_closed_other", models.IntegerField(db_default=0, default=0)),
                ("f_reworks", models.IntegerField(db_default=0, default=0)),
                ("f_escalations", models.IntegerField(db_default=0, default=0)),
                ("f_dispatches", models.IntegerField(db_default=0, default=0)),
                ("f_misdispatches", models.IntegerField(db_default=0, default=0)),
                ("f_extensions", models.IntegerField(db_default=0, default=0)),
                ("f_reopens", models.IntegerField(db_default=0, default=0)),
                ("f_overdue", models.IntegerField(db_default=0, default=0)),
                ("f_supervisions", models.IntegerField(db_default=0, default=0)),
                ("f_red_cards", models.IntegerField(db_default=0, default=0)),
                ("src_walk_in", models.IntegerField(db_default=0, default=0)),
                ("f_satisfied", models.IntegerField(db_default=0, default=0)),
                ("f_visits", models.IntegerField(db_default=0, default=0)),
                ("src_citizen", models.IntegerField(db_default=0, default=0)),
            ],
            options={
                "verbose_name": "statistics cell",
                "verbose_name_plural": "statistics cells",
                "constraints": [
                    models.UniqueConstraint(fields=("scope", "grain", "node", "period", "domain"), name="statcell_key")
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="StatGauge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("r", "Region node (区划)"),
                            ("u", "Department (职能部门)"),
                            ("w", "Reporter (网格员)"),
                        ],
                        max_length=1,
                    ),
                ),
                ("node", models.BigIntegerField()),
                ("domain", models.IntegerField()),
                ("open_pending_review", models.IntegerField(db_default=0, default=0)),
                ("open_dispatched", models.IntegerField(db_default=0, default=0)),
                ("open_handling", models.IntegerField(db_default=0, default=0)),
                ("open_suspended", models.IntegerField(db_default=0, default=0)),
                ("open_pending_verification", models.IntegerField(db_default=0, default=0)),
                ("overdue", models.IntegerField(db_default=0, default=0)),
                ("supervised", models.IntegerField(db_default=0, default=0)),
                ("red_cards", models.IntegerField(db_default=0, default=0)),
                ("major_open", models.IntegerField(db_default=0, default=0)),
            ],
            options={
                "verbose_name": "open-case gauge",
                "verbose_name_plural": "open-case gauges",
                "constraints": [models.UniqueConstraint(fields=("scope", "node", "domain"), name="statgauge_key")],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="WatchedCase",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("region_path", models.CharField(max_length=64)),
                ("domain", models.IntegerField()),
                ("department", models.IntegerField(default=0)),
                ("overdue", models.BooleanField(default=False)),
                ("supervision", models.CharField(blank=True, max_length=8)),
                ("due_at", models.DateTimeField(null=True)),
            ],
            options={
                "verbose_name": "watched case",
                "verbose_name_plural": "watched cases",
                "indexes": [
                    models.Index(fields=["region_path"], name="watched_path", opclasses=["varchar_pattern_ops"]),
                    models.Index(fields=["due_at"], name="watched_due"),
                    models.Index(fields=["supervision", "due_at", "case"], name="watched_level_due"),
                    models.Index(
                        condition=models.Q(("overdue", True)), fields=["due_at", "case"], name="watched_due_case"
                    ),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Bulletin",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("monthly", "Monthly bulletin (月度通报)"),
                            ("quarterly", "Quarterly supervision report (季度督导)"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("period_start", models.DateField()),
                ("period_end", models.DateField()),
                ("title", models.CharField(max_length=120)),
                ("docx", models.FileField(blank=True, upload_to="bulletins/%Y/")),
                ("xlsx", models.FileField(blank=True, upload_to="bulletins/%Y/")),
                ("summary", models.JSONField(blank=True, default=dict)),
                ("generated_at", models.DateTimeField()),
                (
                    "generated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="regions.region"
                    ),
                ),
                ("doc_number", models.PositiveIntegerField(blank=True, null=True, verbose_name="document number")),
                ("doc_year", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="document year")),
            ],
            options={
                "verbose_name": "bulletin",
                "verbose_name_plural": "bulletins",
                "ordering": ["-period_start", "kind"],
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "region", "period_start"), name="bulletin_once_per_period"),
                    models.UniqueConstraint(
                        condition=models.Q(("doc_number__isnull", False)),
                        fields=("region", "doc_year", "doc_number"),
                        name="bulletin_doc_number_once",
                    ),
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="InfoReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                ("summary", models.TextField(blank=True, verbose_name="summary")),
                ("file", models.FileField(blank=True, upload_to="reports/%Y/%m/")),
                ("original_name", models.CharField(blank=True, max_length=200)),
                ("submitted_at", models.DateTimeField()),
                (
                    "submitted_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.unit"
                    ),
                ),
            ],
            options={
                "verbose_name": "information report",
                "verbose_name_plural": "information reports",
                "ordering": ["-submitted_at", "-id"],
                "indexes": [models.Index(fields=["unit", "month"], name="inforeport_unit_month")],
                "constraints": [],
            },
        ),
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
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="OversightVisit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(max_length=64)),
                ("visited_on", models.DateField(verbose_name="date of the visit")),
                ("leader_name", models.CharField(max_length=60, verbose_name="team leader")),
                ("team", models.TextField(blank=True, verbose_name="team members")),
                ("places", models.TextField(blank=True, verbose_name="places visited")),
                ("findings", models.TextField(verbose_name="findings")),
                ("requirements", models.TextField(blank=True, verbose_name="rectification required")),
                ("rectify_by", models.DateField(blank=True, null=True, verbose_name="rectify by")),
                ("created_at", models.DateTimeField()),
                (
                    "cases",
                    models.ManyToManyField(
                        blank=True, related_name="+", to="cases.case", verbose_name="follow-up cases"
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regions.region",
                        verbose_name="region visited",
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="unit visited",
                    ),
                ),
            ],
            options={
                "verbose_name": "supervision visit",
                "verbose_name_plural": "supervision visits",
                "ordering": ["-visited_on", "-id"],
                "indexes": [
                    models.Index(fields=["region_path"], name="oversightvisit_path", opclasses=["varchar_pattern_ops"]),
                    models.Index(fields=["visited_on"], name="oversightvisit_day"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ScheduleRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job", models.CharField(max_length=40, verbose_name="job")),
                ("period", models.CharField(max_length=60, verbose_name="period")),
                (
                    "status",
                    models.CharField(
                        choices=[("running", "Running"), ("done", "Done"), ("failed", "Failed")],
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                ("due_at", models.DateTimeField(verbose_name="due at")),
                ("started_at", models.DateTimeField(verbose_name="started at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                ("attempts", models.PositiveSmallIntegerField(default=1, verbose_name="attempts")),
                ("result", models.JSONField(blank=True, default=dict, verbose_name="result")),
                ("error", models.TextField(blank=True, verbose_name="error")),
            ],
            options={
                "verbose_name": "oversight schedule run",
                "verbose_name_plural": "oversight schedule runs",
                "ordering": ["-due_at", "job"],
                "indexes": [],
                "constraints": [models.UniqueConstraint(fields=("job", "period"), name="schedulerun_once")],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(set_fillfactor, migrations.RunPython.noop),
    ]
