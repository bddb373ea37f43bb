"""places 0001–0003 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import gridsafe.core.fields


class Migration(migrations.Migration):
    replaces = [
        ("places", "0001_initial"),
        ("places", "0002_place_offline_edits"),
        ("places", "0003_encrypt_contact_phone"),
    ]

    initial = True

    dependencies = [
        ("accounts", "__first__"),
        ("catalog", "0001_initial"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Place",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client_id", models.UUIDField(blank=True, null=True, unique=True)),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
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
                        max_length=24,
                        verbose_name="kind",
                    ),
                ),
                ("region_path", models.CharField(db_index=True, max_length=64)),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="address")),
                ("lon", models.FloatField()),
                ("lat", models.FloatField()),
                ("contact_name", models.CharField(blank=True, max_length=40, verbose_name="responsible person")),
                ("contact_phone", models.CharField(blank=True, max_length=20, verbose_name="phone")),
                (
                    "risk_level",
                    models.CharField(
                        choices=[
                            ("red", "Red · major (红)"),
                            ("orange", "Orange · large (橙)"),
                            ("yellow", "Yellow · general (黄)"),
                            ("blue", "Blue · low (蓝)"),
                        ],
                        default="yellow",
                        max_length=8,
                        verbose_name="risk level",
                    ),
                ),
                ("inspection_interval_days", models.PositiveSmallIntegerField(default=30)),
                ("last_inspected_at", models.DateTimeField(blank=True, null=True)),
                ("next_due_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("version", models.PositiveIntegerField(default=1)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="places", to="catalog.domain"
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="places", to="regions.region"
                    ),
                ),
                ("client_fingerprint", models.CharField(blank=True, max_length=64)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("licence_no", models.CharField(blank=True, max_length=60, verbose_name="licence number")),
                (
                    "rental_class",
                    models.CharField(
                        blank=True,
                        choices=[("", "Not classified"), ("strict", "Strict (严管类)"), ("watch", "Watch (关注类)")],
                        max_length=8,
                        verbose_name="rental class",
                    ),
                ),
                ("contact_phone_hash", models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
            ],
            options={
                "verbose_name": "supervised place",
                "verbose_name_plural": "supervised places",
                "indexes": [
                    models.Index(fields=["region_path"], name="place_path_prefix", opclasses=["varchar_pattern_ops"])
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="PlaceRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("request_id", models.UUIDField(unique=True)),
                ("fingerprint", models.CharField(max_length=64)),
                ("base_version", models.PositiveIntegerField()),
                ("version", models.PositiveIntegerField()),
                ("actor_label", models.CharField(max_length=100)),
                ("changes", models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                ("merged", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField()),
                (
                    "actor",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="revisions", to="places.place"
                    ),
                ),
            ],
            options={
                "ordering": ["place", "version"],
                "constraints": [
                    models.UniqueConstraint(fields=("place", "version"), name="placerevision_version_once")
                ],
                "indexes": [],
            },
        ),
        # contact_phone as places/0001 made it, then encrypted as places/0003 did: that rebuild puts the column last on
        # SQLite, where the old files leave it.
        migrations.AlterField(
            model_name="place",
            name="contact_phone",
            field=gridsafe.core.fields.EncryptedCharField(
                blank=True, lookup_field="contact_phone_hash", max_length=20, verbose_name="phone"
            ),
        ),
    ]
