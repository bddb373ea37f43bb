"""regions 0001–0003 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("regions", "0001_initial"), ("regions", "0002_geometry_versions"), ("regions", "0003_chinese_labels")]

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Region",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=15, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=60, verbose_name="name")),
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (0, "City"),
                            (1, "County"),
                            (2, "Township / street"),
                            (3, "Village / community"),
                            (4, "Unit grid"),
                        ],
                        verbose_name="level",
                    ),
                ),
                ("path", models.CharField(max_length=64, unique=True, verbose_name="materialised path")),
                ("urban_class", models.CharField(blank=True, max_length=3, verbose_name="urban-rural class")),
                ("geometry", models.JSONField(blank=True, null=True, verbose_name="boundary (GeoJSON, WGS-84)")),
                ("center_lon", models.FloatField(blank=True, null=True, verbose_name="centre longitude")),
                ("center_lat", models.FloatField(blank=True, null=True, verbose_name="centre latitude")),
                (
                    "grid_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("standard", "Standard grid (标准网格)"),
                            ("market", "Market grid (专属网格·市场)"),
                            ("park", "Park grid (专属网格·园区)"),
                            ("enterprise", "Enterprise grid (专属网格·企业)"),
                        ],
                        max_length=20,
                        verbose_name="grid kind",
                    ),
                ),
                ("geometry_version", models.PositiveIntegerField(default=1, verbose_name="boundary version")),
                ("official", models.BooleanField(default=True, verbose_name="official code")),
                ("is_active", models.BooleanField(default=True, verbose_name="in use")),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="regions.region",
                        verbose_name="parent region",
                    ),
                ),
            ],
            options={
                "verbose_name": "region",
                "verbose_name_plural": "regions",
                "ordering": ["path"],
                "indexes": [
                    models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]),
                    models.Index(fields=["level", "path"], name="region_level_path"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="RegionGeometryVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.PositiveIntegerField(verbose_name="version")),
                ("geometry", models.JSONField(verbose_name="boundary (GeoJSON, WGS-84)")),
                ("valid_from", models.DateTimeField(verbose_name="valid from")),
                ("valid_to", models.DateTimeField(blank=True, null=True, verbose_name="valid to")),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="geometry_versions",
                        to="regions.region",
                    ),
                ),
            ],
            options={
                "verbose_name": "region boundary version",
                "verbose_name_plural": "region boundary versions",
                "constraints": [
                    models.UniqueConstraint(fields=("region", "version"), name="region_geometry_version_unique")
                ],
                "indexes": [],
            },
        ),
    ]
