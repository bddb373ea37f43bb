"""places 0005–0007 squashed: what a new database needs of them, each model as the last of
them leaves it. Written from the migration state, not by `squashmigrations` (whose optimizer stops at every AddIndex
and RunPython); how to check it against the old files: docs/deploy.md, section 2."""

import django.db.models.deletion
from django.db import migrations, models

import gridsafe.core.fields


class Migration(migrations.Migration):
    replaces = [("places", "0005_placerevision_ip"), ("places", "0006_chinese_labels"), ("places", "0007_registers")]

    dependencies = [
        ("catalog", "0002_routing_and_labels"),
        ("places", "0004_encrypt_existing_contact_phones"),
        ("regions", "0003_chinese_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="ElevatorFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("registration_code", models.CharField(max_length=40, unique=True, verbose_name="使用登记证编号")),
                ("user_unit", models.CharField(max_length=100, verbose_name="使用单位")),
                ("maintenance_company", models.CharField(blank=True, max_length=100, verbose_name="维保单位")),
                ("last_inspection_on", models.DateField(blank=True, null=True, verbose_name="上次定期检验")),
                ("next_inspection_on", models.DateField(blank=True, null=True, verbose_name="下次定期检验")),
                ("rescue_code", models.CharField(blank=True, max_length=10, verbose_name="96333应急救援码")),
            ],
            options={
                "verbose_name": "电梯台账信息",
                "verbose_name_plural": "电梯台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="FireFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("key_unit", models.BooleanField(default=False, verbose_name="消防安全重点单位")),
                ("unit_type", models.CharField(blank=True, max_length=40, verbose_name="单位类型")),
                ("building_floors", models.PositiveSmallIntegerField(default=1, verbose_name="建筑层数")),
                ("fire_facilities", models.CharField(blank=True, max_length=300, verbose_name="消防设施")),
                ("last_fire_inspection_on", models.DateField(blank=True, null=True, verbose_name="最近消防检查")),
            ],
            options={
                "verbose_name": "消防台账信息",
                "verbose_name_plural": "消防台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="FireworksFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("wholesale", models.BooleanField(default=False, verbose_name="批发")),
                ("licence_valid_from", models.DateField(blank=True, null=True, verbose_name="许可证有效期起")),
                ("licence_valid_until", models.DateField(blank=True, null=True, verbose_name="许可证有效期至")),
                ("stock_limit_boxes", models.PositiveIntegerField(default=0, verbose_name="限存量（箱）")),
                ("storage_place", models.CharField(blank=True, max_length=200, verbose_name="储存场所")),
                (
                    "season",
                    models.CharField(
                        choices=[("spring", "春节期间"), ("year", "全年")],
                        default="spring",
                        max_length=8,
                        verbose_name="经营时段",
                    ),
                ),
            ],
            options={
                "verbose_name": "烟花爆竹台账信息",
                "verbose_name_plural": "烟花爆竹台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="LpgFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("station", "供应站"),
                            ("restaurant", "餐饮用户"),
                            ("household", "居民用户"),
                            ("other", "其他用户"),
                        ],
                        default="restaurant",
                        max_length=12,
                        verbose_name="液化气主体类型",
                    ),
                ),
                ("filling_station", models.CharField(blank=True, max_length=100, verbose_name="来源充装站")),
                ("licence_valid_until", models.DateField(blank=True, null=True, verbose_name="燃气经营许可证有效期至")),
                (
                    "storage_floor",
                    models.CharField(
                        choices=[("ground", "地上"), ("semi_basement", "半地下室"), ("basement", "地下室")],
                        default="ground",
                        max_length=16,
                        verbose_name="钢瓶存放位置",
                    ),
                ),
                ("leak_alarm", models.BooleanField(default=False, verbose_name="安装燃气泄漏报警器")),
            ],
            options={
                "verbose_name": "液化气台账信息",
                "verbose_name_plural": "液化气台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="RentalFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("building", models.CharField(blank=True, max_length=100, verbose_name="楼栋")),
                ("floors", models.PositiveSmallIntegerField(default=1, verbose_name="层数")),
                ("rooms", models.PositiveSmallIntegerField(default=1, verbose_name="出租间数")),
                ("tenant_count", models.PositiveSmallIntegerField(default=0, verbose_name="承租人数")),
                (
                    "tenant_roster",
                    gridsafe.core.fields.EncryptedCharField(blank=True, max_length=2000, verbose_name="承租人名单"),
                ),
                ("group_rental", models.BooleanField(default=False, editable=False, verbose_name="群租")),
                ("mixed_production", models.BooleanField(default=False, verbose_name="三合一·住宿与生产")),
                ("mixed_storage", models.BooleanField(default=False, verbose_name="三合一·住宿与仓储")),
                ("mixed_trade", models.BooleanField(default=False, verbose_name="三合一·住宿与经营")),
                (
                    "ebike_charging",
                    models.CharField(
                        choices=[
                            ("none", "无电动车"),
                            ("central", "集中充电场所"),
                            ("outdoor", "室外充电桩"),
                            ("indoor", "室内/楼道充电"),
                        ],
                        default="none",
                        max_length=10,
                        verbose_name="电动自行车充电方式",
                    ),
                ),
            ],
            options={
                "verbose_name": "出租房台账信息",
                "verbose_name_plural": "出租房台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="RoadFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "hazard_type",
                    models.CharField(
                        choices=[
                            ("water_cliff", "临水临崖"),
                            ("sharp_bend", "急弯陡坡"),
                            ("long_descent", "长下坡"),
                            ("crossing", "平交路口"),
                            ("other", "其他"),
                        ],
                        max_length=16,
                        verbose_name="隐患点类型",
                    ),
                ),
                ("road_name", models.CharField(blank=True, max_length=60, verbose_name="道路名称")),
                ("stake", models.CharField(blank=True, max_length=30, verbose_name="桩号")),
                ("length_m", models.PositiveIntegerField(default=0, verbose_name="长度（米）")),
                ("protection", models.CharField(blank=True, max_length=200, verbose_name="现有防护设施")),
                ("warning_signs", models.BooleanField(default=False, verbose_name="设置警示标志")),
            ],
            options={
                "verbose_name": "道路隐患点台账信息",
                "verbose_name_plural": "道路隐患点台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="VenueFacts",
            fields=[
                (
                    "place",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("venue_type", models.CharField(blank=True, max_length=40, verbose_name="场所类型")),
                ("licence_valid_until", models.DateField(blank=True, null=True, verbose_name="许可证有效期至")),
                ("capacity", models.PositiveIntegerField(default=0, verbose_name="核定人数")),
                ("exits", models.PositiveSmallIntegerField(default=0, verbose_name="安全出口数")),
                ("escape_routes", models.CharField(blank=True, max_length=300, verbose_name="疏散通道")),
                ("last_fire_inspection_on", models.DateField(blank=True, null=True, verbose_name="最近消防检查")),
            ],
            options={
                "verbose_name": "文化娱乐场所台账信息",
                "verbose_name_plural": "文化娱乐场所台账信息",
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Enterprise",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uscc", models.CharField(max_length=18, unique=True, verbose_name="统一社会信用代码")),
                ("name", models.CharField(max_length=100, verbose_name="企业名称")),
                ("region_path", models.CharField(db_index=True, max_length=64)),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="地址")),
                ("safety_officer_name", models.CharField(blank=True, max_length=40, verbose_name="安全管理员")),
                (
                    "safety_officer_phone",
                    gridsafe.core.fields.EncryptedCharField(
                        blank=True,
                        lookup_field="safety_officer_phone_hash",
                        max_length=20,
                        verbose_name="安全管理员电话",
                    ),
                ),
                (
                    "safety_officer_phone_hash",
                    models.CharField(blank=True, db_index=True, editable=False, max_length=64),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="在用")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "region",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="enterprises",
                        to="regions.region",
                        verbose_name="所在区划",
                    ),
                ),
            ],
            options={
                "verbose_name": "企业",
                "verbose_name_plural": "企业",
                "ordering": ["region_path", "name"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="LpgCylinder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seal_code", models.CharField(max_length=40, unique=True, verbose_name="钢印号/二维码")),
                ("capacity_kg", models.PositiveSmallIntegerField(default=15, verbose_name="充装量（千克）")),
                ("filling_station", models.CharField(blank=True, max_length=100, verbose_name="来源充装站")),
                ("next_inspection_on", models.DateField(blank=True, null=True, verbose_name="下次检验日期")),
                (
                    "location",
                    models.CharField(
                        choices=[("ground", "地上"), ("semi_basement", "半地下室"), ("basement", "地下室")],
                        default="ground",
                        max_length=16,
                        verbose_name="存放位置",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="cylinders",
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
            ],
            options={
                "verbose_name": "液化气钢瓶",
                "verbose_name_plural": "液化气钢瓶",
                "ordering": ["place", "seal_code"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="PlaceDeadline",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("elevator_inspection", "电梯定期检验"),
                            ("fireworks_licence", "烟花爆竹经营许可证"),
                            ("venue_licence", "娱乐经营许可证"),
                            ("lpg_licence", "燃气经营许可证"),
                            ("cylinder_inspection", "钢瓶定期检验"),
                        ],
                        max_length=24,
                        verbose_name="到期事项",
                    ),
                ),
                ("due_on", models.DateField(verbose_name="到期日")),
                ("detail", models.CharField(blank=True, max_length=100, verbose_name="说明")),
                ("reminded_at", models.DateTimeField(blank=True, null=True, verbose_name="走访任务生成时间")),
                ("expired_at", models.DateTimeField(blank=True, null=True, verbose_name="立案时间")),
                ("case_id", models.PositiveIntegerField(blank=True, null=True, verbose_name="案件ID")),
                ("case_number", models.CharField(blank=True, max_length=40, verbose_name="案件编号")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deadlines",
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
            ],
            options={
                "verbose_name": "到期提醒",
                "verbose_name_plural": "到期提醒",
                "ordering": ["due_on", "place"],
                "constraints": [
                    models.UniqueConstraint(fields=("place", "kind", "due_on", "detail"), name="placedeadline_once")
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="RiskPoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(db_index=True, max_length=64)),
                ("name", models.CharField(max_length=100, verbose_name="风险点")),
                (
                    "grade",
                    models.CharField(
                        choices=[
                            ("red", "Red · major (红)"),
                            ("orange", "Orange · large (橙)"),
                            ("yellow", "Yellow · general (黄)"),
                            ("blue", "Blue · low (蓝)"),
                        ],
                        max_length=8,
                        verbose_name="风险等级",
                    ),
                ),
                ("hazard", models.CharField(blank=True, max_length=300, verbose_name="危险因素")),
                ("control_measures", models.TextField(verbose_name="管控措施")),
                (
                    "control_level",
                    models.CharField(
                        choices=[("county", "县级"), ("township", "乡镇级"), ("grid", "网格级"), ("unit", "单位自管")],
                        default="grid",
                        max_length=10,
                        verbose_name="管控层级",
                    ),
                ),
                ("responsible", models.CharField(blank=True, max_length=40, verbose_name="责任人")),
                ("is_active", models.BooleanField(default=True, verbose_name="在用")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="risk_points",
                        to="places.place",
                        verbose_name="监管对象",
                    ),
                ),
            ],
            options={
                "verbose_name": "风险点",
                "verbose_name_plural": "风险点",
                "ordering": ["place", "name"],
                "indexes": [
                    models.Index(
                        fields=["region_path"], name="riskpoint_path_prefix", opclasses=["varchar_pattern_ops"]
                    )
                ],
                "constraints": [],
            },
        ),
        migrations.AlterField(
            model_name="place",
            name="lon",
            field=models.FloatField(verbose_name="longitude"),
        ),
        migrations.AlterField(
            model_name="place",
            name="lat",
            field=models.FloatField(verbose_name="latitude"),
        ),
        migrations.AlterField(
            model_name="place",
            name="inspection_interval_days",
            field=models.PositiveSmallIntegerField(default=30, verbose_name="inspection interval (days)"),
        ),
        migrations.AlterField(
            model_name="place",
            name="last_inspected_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last inspected at"),
        ),
        migrations.AlterField(
            model_name="place",
            name="next_due_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name="next inspection due"),
        ),
        migrations.AlterField(
            model_name="place",
            name="version",
            field=models.PositiveIntegerField(default=1, verbose_name="version"),
        ),
        migrations.AlterField(
            model_name="place",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="place",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="place",
            name="is_active",
            field=models.BooleanField(default=True, verbose_name="in use"),
        ),
        migrations.AlterField(
            model_name="place",
            name="domain",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="places",
                to="catalog.domain",
                verbose_name="domain",
            ),
        ),
        migrations.AlterField(
            model_name="place",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="places",
                to="regions.region",
                verbose_name="region",
            ),
        ),
        migrations.AddField(
            model_name="place",
            name="enterprise",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="places",
                to="places.enterprise",
                verbose_name="企业",
            ),
        ),
        migrations.AddField(
            model_name="placerevision",
            name="ip",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
    ]
