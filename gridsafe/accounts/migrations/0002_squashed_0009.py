"""accounts 0002–0009 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import gridsafe.core.fields


class Migration(migrations.Migration):
    replaces = [
        ("accounts", "0002_initial"),
        ("accounts", "0003_security"),
        ("accounts", "0004_encrypt_user_phone"),
        ("accounts", "0005_apitoken_last_used_at"),
        ("accounts", "0006_password_reset_code"),
        ("accounts", "0007_team_coverage_grid_duty"),
        ("accounts", "0008_chinese_labels"),
        ("accounts", "0009_user_enterprise_alter_user_role"),
    ]

    dependencies = [
        ("accounts", "0001_initial"),
        ("catalog", "0001_initial"),
        ("places", "0007_registers"),
        ("regions", "0001_initial"),
        ("regions", "0002_geometry_versions"),
        ("regions", "0003_chinese_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="PasswordHistory",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("password", models.CharField(max_length=128)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="password_history",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="TotpDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("secret", gridsafe.core.fields.EncryptedCharField(max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                ("last_step", models.BigIntegerField(default=0)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="totp", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "two-factor device",
                "verbose_name_plural": "two-factor devices",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="PasswordResetCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_hash", models.CharField(max_length=64)),
                (
                    "delivery",
                    models.CharField(
                        choices=[
                            ("handover", "Handed over in person (当面交付)"),
                            ("phone", "Sent to the user's phone (发送到本人手机)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("voided_at", models.DateTimeField(blank=True, null=True)),
                ("failed_attempts", models.PositiveSmallIntegerField(default=0)),
                (
                    "issued_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reset_codes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "password reset code",
                "verbose_name_plural": "password reset codes",
                "indexes": [models.Index(fields=["user", "expires_at"], name="resetcode_user_live")],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="GridDuty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "post",
                    models.CharField(
                        choices=[("main", "Main grid worker (主网格员)"), ("deputy", "Deputy grid worker (副网格员)")],
                        max_length=8,
                        verbose_name="post",
                    ),
                ),
                (
                    "grid",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="duties",
                        to="regions.region",
                        verbose_name="grid",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="grid_duties",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "grid post",
                "verbose_name_plural": "grid posts",
                "constraints": [models.UniqueConstraint(fields=("grid", "post"), name="gridduty_one_per_post")],
                "indexes": [],
            },
        ),
        migrations.AlterField(
            model_name="unit",
            name="is_active",
            field=models.BooleanField(default=True, verbose_name="in use"),
        ),
        migrations.AddField(
            model_name="unit",
            name="domains",
            field=models.ManyToManyField(blank=True, related_name="units", to="catalog.domain", verbose_name="domains"),
        ),
        migrations.AddField(
            model_name="unit",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="units",
                to="regions.region",
                verbose_name="region",
            ),
        ),
        migrations.AddField(
            model_name="unit",
            name="coverage",
            field=models.ManyToManyField(
                blank=True, related_name="covering_units", to="regions.region", verbose_name="grids covered"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("grid_worker", "Grid worker (网格员)"),
                    ("station_officer", "Station officer (村网格站)"),
                    ("centre_operator", "Centre operator (受理/派遣)"),
                    ("centre_lead", "Centre lead (值班长)"),
                    ("dept_handler", "Department handler (部门办理人)"),
                    ("dept_lead", "Department lead (部门负责人)"),
                    ("leader", "Leader (领导)"),
                    ("admin", "Administrator (管理员)"),
                    ("system_admin", "System administrator (系统管理员)"),
                    ("security_admin", "Security administrator (安全管理员)"),
                    ("audit_admin", "Audit administrator (审计管理员)"),
                    ("patrol_member", "Patrol team member (巡逻队员)"),
                    ("enterprise", "Enterprise safety officer (企业安全员)"),
                ],
                default="grid_worker",
                max_length=20,
                verbose_name="role",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="accounts.unit",
                verbose_name="unit",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="otp_enabled",
            field=models.BooleanField(default=False, editable=False, verbose_name="two-factor enabled"),
        ),
        migrations.AddField(
            model_name="user",
            name="password_changed_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="password changed at"),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        # After the columns accounts/0003 added and before the later ones: this rebuild puts phone last on SQLite, where
        # accounts/0003 left it.
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=gridsafe.core.fields.EncryptedCharField(
                blank=True, lookup_field="phone_hash", max_length=20, verbose_name="phone"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="enterprise",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="accounts",
                to="places.enterprise",
                verbose_name="enterprise (enterprise accounts)",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
