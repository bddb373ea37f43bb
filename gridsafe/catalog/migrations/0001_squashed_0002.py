"""catalog 0001–0002 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("catalog", "0001_initial"), ("catalog", "0002_routing_and_labels")]

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarYear",
            fields=[
                ("year", models.PositiveSmallIntegerField(primary_key=True, serialize=False, verbose_name="year")),
                ("published", models.BooleanField(default=True, verbose_name="schedule published")),
                ("source", models.CharField(default="chinese_calendar", max_length=40, verbose_name="source")),
            ],
            options={
                "verbose_name": "calendar year",
                "verbose_name_plural": "calendar years",
                "ordering": ["year"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Domain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=30, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=40, verbose_name="name")),
                ("name_en", models.CharField(blank=True, max_length=60, verbose_name="English name")),
                ("pilot", models.BooleanField(default=False, verbose_name="pilot domain")),
                ("sort", models.PositiveSmallIntegerField(default=0, verbose_name="sort order")),
                ("is_active", models.BooleanField(default=True, verbose_name="in use")),
            ],
            options={
                "verbose_name": "domain",
                "verbose_name_plural": "domains",
                "ordering": ["sort", "code"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="WorkCalendarDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(unique=True, verbose_name="date")),
                ("is_workday", models.BooleanField(verbose_name="working day")),
                ("note", models.CharField(blank=True, max_length=40, verbose_name="note")),
                ("source", models.CharField(default="seed", max_length=20, verbose_name="source")),
            ],
            options={
                "verbose_name": "calendar day",
                "verbose_name_plural": "working calendar",
                "ordering": ["date"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Category",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=60, verbose_name="name")),
                ("name_en", models.CharField(blank=True, max_length=100, verbose_name="English name")),
                (
                    "default_grade",
                    models.CharField(
                        choices=[("general", "General hazard (一般)"), ("major", "Major hazard (重大)")],
                        default="general",
                        max_length=10,
                        verbose_name="default grade",
                    ),
                ),
                ("urgent", models.BooleanField(default=False, verbose_name="urgent category")),
                ("keywords", models.CharField(blank=True, max_length=200, verbose_name="search keywords")),
                ("legal_basis", models.CharField(blank=True, max_length=200, verbose_name="legal basis")),
                ("sort", models.PositiveSmallIntegerField(default=0, verbose_name="sort order")),
                ("is_active", models.BooleanField(default=True, verbose_name="in use")),
                (
                    "department",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.unit",
                        verbose_name="responsible county department",
                    ),
                ),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="categories",
                        to="catalog.domain",
                        verbose_name="domain",
                    ),
                ),
            ],
            options={
                "verbose_name": "hazard category",
                "verbose_name_plural": "hazard categories",
                "ordering": ["domain__sort", "sort", "code"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="TimeLimit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "urgency",
                    models.CharField(
                        choices=[("normal", "Normal"), ("urgent", "Urgent or major (紧急/重大)")],
                        default="normal",
                        max_length=10,
                        verbose_name="urgency",
                    ),
                ),
                (
                    "step",
                    models.CharField(
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
                ("amount", models.DecimalField(decimal_places=2, max_digits=8, verbose_name="amount")),
                (
                    "unit",
                    models.CharField(
                        choices=[
                            ("minutes", "minutes (分钟)"),
                            ("work_hours", "working hours (工作时)"),
                            ("work_days", "working days (工作日)"),
                            ("days", "calendar days (自然日)"),
                        ],
                        max_length=12,
                        verbose_name="unit",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="time_limits",
                        to="catalog.category",
                        verbose_name="category (empty: default)",
                    ),
                ),
            ],
            options={
                "verbose_name": "time limit",
                "verbose_name_plural": "time limits",
                "constraints": [
                    models.UniqueConstraint(fields=("category", "urgency", "step"), name="timelimit_unique_key"),
                    models.UniqueConstraint(
                        condition=models.Q(("category__isnull", True)),
                        fields=("urgency", "step"),
                        name="timelimit_unique_default",
                    ),
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="DepartmentRouting",
            fields=[],
            options={
                "verbose_name": "category routing",
                "verbose_name_plural": "category → department routing",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("catalog.category",),
        ),
    ]
