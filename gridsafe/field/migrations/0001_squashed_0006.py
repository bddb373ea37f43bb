"""field 0001–0006 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from gridsafe.field.checklists.guard import triggers_drop, triggers_install


def install_triggers(apps, schema_editor):
    """A published checklist version is frozen in the database (field/0006, field/checklists/guard.py)."""
    triggers_install(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    triggers_drop(schema_editor.connection)


class Migration(migrations.Migration):
    replaces = [
        ("field", "0001_initial"),
        ("field", "0002_patrol_rule"),
        ("field", "0003_fill_patrol_counts"),
        ("field", "0004_checklist_versions"),
        ("field", "0005_fill_checklist_published_at"),
        ("field", "0006_checklist_frozen_triggers"),
    ]

    initial = True

    dependencies = [
        ("accounts", "__first__"),
        ("cases", "0002_append_only_triggers"),
        ("catalog", "0001_initial"),
        ("places", "0002_place_offline_edits"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChecklistTemplate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "place_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("lpg_point", "LPG point (液化气点)"),
                            ("rental_housing", "Rental housing (出租房)"),
                            ("fireworks_seller", "Fireworks seller (烟花爆竹经营点)"),
                            ("entertainment_venue", "Entertainment venue (文化娱乐场所)"),
                            ("elevator", "Elevator (电梯)"),
                            ("crowded_place", "Crowded place / 三合一 (人员密集场所)"),
                            ("road_section", "Road section (道路)"),
                            ("other", "Other (其他)"),
                        ],
                        help_text="Blank: any kind",
                        max_length=24,
                        verbose_name="place kind",
                    ),
                ),
                ("version", models.PositiveIntegerField(verbose_name="version")),
                ("title", models.CharField(max_length=100, verbose_name="title")),
                ("active", models.BooleanField(default=False, verbose_name="current version")),
                ("source", models.CharField(blank=True, max_length=200, verbose_name="source")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="checklists",
                        to="catalog.domain",
                        verbose_name="domain",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="change note")),
                ("published_at", models.DateTimeField(blank=True, null=True, verbose_name="published at")),
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="published by",
                    ),
                ),
                ("retired_at", models.DateTimeField(blank=True, null=True, verbose_name="retired at")),
                ("revision", models.PositiveIntegerField(default=1, verbose_name="draft revision")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft (草稿)"),
                            ("published", "Published (已发布)"),
                            ("retired", "Retired (已停用)"),
                        ],
                        default="draft",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
            ],
            options={
                "verbose_name": "checklist",
                "verbose_name_plural": "checklists",
                "ordering": ["domain__sort", "place_kind", "-version"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(fields=("domain", "place_kind", "version"), name="checklist_version_once"),
                    models.UniqueConstraint(
                        condition=models.Q(("active", True)),
                        fields=("domain", "place_kind"),
                        name="checklist_one_active",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("status", "draft")),
                        fields=("domain", "place_kind"),
                        name="checklist_one_draft",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("active", False), ("status", "published"), _connector="OR"),
                        name="checklist_active_is_published",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ChecklistItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=30, verbose_name="item code")),
                ("question", models.CharField(max_length=200, verbose_name="question")),
                ("applies_to", models.JSONField(blank=True, default=list, verbose_name="applies to (place kinds)")),
                (
                    "severity",
                    models.CharField(
                        choices=[("general", "General (一般)"), ("possibly_major", "Possibly major (可能重大)")],
                        default="general",
                        max_length=16,
                        verbose_name="severity",
                    ),
                ),
                (
                    "legal_basis",
                    models.CharField(blank=True, max_length=200, verbose_name="legal basis (standard and clause)"),
                ),
                (
                    "photo_required_on_fail",
                    models.BooleanField(default=True, verbose_name="photo required when it fails"),
                ),
                ("na_allowed", models.BooleanField(default=False, verbose_name="N/A allowed")),
                ("weight", models.PositiveSmallIntegerField(default=1, verbose_name="weight")),
                ("sort", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.category",
                        verbose_name="hazard category",
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="items",
                        to="field.checklisttemplate",
                        verbose_name="checklist",
                    ),
                ),
            ],
            options={
                "ordering": ["template", "sort", "id"],
                "indexes": [],
                "constraints": [models.UniqueConstraint(fields=("template", "code"), name="checklistitem_code_once")],
                "verbose_name": "checklist item",
                "verbose_name_plural": "checklist items",
            },
        ),
        migrations.CreateModel(
            name="FieldPhoto",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("watermarked", models.FileField(upload_to="field/watermarked/%Y/%m/")),
                ("capture_method", models.CharField(default="camera", max_length=10)),
                ("device_time", models.DateTimeField(blank=True, null=True)),
                ("original_sha256", models.CharField(blank=True, max_length=64)),
                ("location_flags", models.JSONField(blank=True, default=list)),
                ("watermark_lines", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField()),
                (
                    "attachment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="field_photo", to="cases.attachment"
                    ),
                ),
                (
                    "grid",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regions.region",
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="places.place",
                    ),
                ),
            ],
            options={
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Patrol",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True)),
                ("client_fingerprint", models.CharField(max_length=64)),
                ("grid_path", models.CharField(max_length=64)),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "On patrol (巡查中)"), ("ended", "Ended (已结束)")],
                        default="active",
                        max_length=8,
                    ),
                ),
                ("started_at", models.DateTimeField()),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("nothing_found", models.BooleanField(default=False)),
                ("note", models.CharField(blank=True, max_length=500)),
                ("end_fingerprint", models.CharField(blank=True, max_length=64)),
                ("point_count", models.PositiveIntegerField(default=0)),
                ("distance_m", models.FloatField(default=0)),
                ("flagged_points", models.PositiveIntegerField(default=0)),
                ("track_purged_at", models.DateTimeField(blank=True, null=True)),
                ("received_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                (
                    "grid",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="patrols", to="regions.region"
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="patrols", to=settings.AUTH_USER_MODEL
                    ),
                ),
                ("counts_for_coverage", models.BooleanField(default=False, verbose_name="counts toward coverage")),
                ("coverage_reason", models.CharField(blank=True, max_length=200, verbose_name="coverage decision")),
                ("in_grid_distance_m", models.FloatField(default=0, verbose_name="metres inside the grid")),
                ("in_grid_minutes", models.FloatField(default=0, verbose_name="minutes inside the grid")),
            ],
            options={
                "verbose_name": "patrol",
                "verbose_name_plural": "patrols",
                "ordering": ["-started_at", "-id"],
                "indexes": [
                    models.Index(fields=["grid_path"], name="patrol_path_prefix", opclasses=["varchar_pattern_ops"]),
                    models.Index(fields=["worker", "-started_at"], name="patrol_worker_recent"),
                    models.Index(fields=["grid", "ended_at"], name="patrol_grid_ended"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "active")),
                        fields=("worker",),
                        name="patrol_one_active_per_worker",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PlaceVisit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True)),
                ("client_fingerprint", models.CharField(max_length=64)),
                ("template_version", models.PositiveIntegerField()),
                ("answers", models.JSONField(default=list)),
                (
                    "result",
                    models.CharField(
                        choices=[("passed", "No hazard found (合格)"), ("hazards", "Hazards found (发现隐患)")],
                        max_length=8,
                    ),
                ),
                ("score", models.FloatField(blank=True, null=True)),
                ("visited_at", models.DateTimeField()),
                ("lon", models.FloatField(blank=True, null=True)),
                ("lat", models.FloatField(blank=True, null=True)),
                ("accuracy_m", models.FloatField(blank=True, null=True)),
                ("location_flags", models.JSONField(blank=True, default=list)),
                ("case_ids", models.JSONField(blank=True, default=dict)),
                ("received_at", models.DateTimeField()),
                (
                    "patrol",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="visits",
                        to="field.patrol",
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="visits", to="places.place"
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="visits", to="field.checklisttemplate"
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "place visit",
                "verbose_name_plural": "place visits",
                "ordering": ["-visited_at", "-id"],
                "indexes": [models.Index(fields=["place", "-visited_at"], name="visit_place_recent")],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="PublicityActivity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True)),
                ("client_fingerprint", models.CharField(max_length=64)),
                ("grid_path", models.CharField(max_length=64)),
                ("kind", models.CharField(default="door_to_door", max_length=20)),
                ("title", models.CharField(max_length=100)),
                ("held_at", models.DateTimeField()),
                ("address", models.CharField(blank=True, max_length=200)),
                ("head_count", models.PositiveIntegerField(default=0)),
                ("materials", models.PositiveIntegerField(default=0)),
                ("note", models.TextField(blank=True)),
                ("received_at", models.DateTimeField()),
                (
                    "grid",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="regions.region"
                    ),
                ),
                (
                    "worker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="publicity",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "publicity activity",
                "verbose_name_plural": "publicity activities",
                "ordering": ["-held_at", "-id"],
                "indexes": [
                    models.Index(fields=["grid_path"], name="publicity_path_prefix", opclasses=["varchar_pattern_ops"])
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="PublicityPhoto",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(unique=True)),
                ("file", models.FileField(upload_to="field/publicity/%Y/%m/")),
                ("watermarked", models.FileField(upload_to="field/watermarked/%Y/%m/")),
                ("content_type", models.CharField(max_length=40)),
                ("size", models.PositiveBigIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("width", models.PositiveIntegerField(null=True)),
                ("height", models.PositiveIntegerField(null=True)),
                ("captured_at", models.DateTimeField(blank=True, null=True)),
                ("lon", models.FloatField(blank=True, null=True)),
                ("lat", models.FloatField(blank=True, null=True)),
                ("accuracy_m", models.FloatField(blank=True, null=True)),
                ("location_flags", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField()),
                (
                    "activity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="photos", to="field.publicityactivity"
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
            name="TrackPoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveIntegerField()),
                ("lon", models.FloatField()),
                ("lat", models.FloatField()),
                ("accuracy_m", models.FloatField(blank=True, null=True)),
                ("recorded_at", models.DateTimeField()),
                ("flags", models.JSONField(blank=True, default=list)),
                (
                    "patrol",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="points", to="field.patrol"
                    ),
                ),
            ],
            options={
                "ordering": ["patrol", "seq"],
                "indexes": [],
                "constraints": [models.UniqueConstraint(fields=("patrol", "seq"), name="trackpoint_seq_once")],
            },
        ),
        migrations.CreateModel(
            name="PatrolRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "min_minutes",
                    models.PositiveIntegerField(
                        default=20,
                        help_text="A patrol with less time inside its grid does not count toward coverage.",
                        verbose_name="minimum minutes inside the grid",
                    ),
                ),
                (
                    "min_distance_m",
                    models.PositiveIntegerField(
                        default=500,
                        help_text="Metres of GPS track inside the grid (fixes better than 50 m).",
                        verbose_name="minimum metres walked inside the grid",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "patrol rule",
                "verbose_name_plural": "patrol rule",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
