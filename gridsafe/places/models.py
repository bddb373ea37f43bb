from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridsafe.core.fields import BlindIndexedModel, EncryptedCharField
from gridsafe.core.masking import mask_name, mask_phone


class PlaceKind(models.TextChoices):
    LPG_POINT = "lpg_point", _("LPG point (液化气点)")
    RENTAL_HOUSING = "rental_housing", _("Rental housing (出租房)")
    FIREWORKS_SELLER = "fireworks_seller", _("Fireworks seller (烟花爆竹经营点)")
    ENTERTAINMENT_VENUE = "entertainment_venue", _("Entertainment venue (文化娱乐场所)")
    ELEVATOR = "elevator", _("Elevator (电梯)")
    CROWDED_PLACE = "crowded_place", _("Crowded place / 三合一 (人员密集场所)")
    ROAD_SECTION = "road_section", _("Road section (道路)")
    OTHER = "other", _("Other (其他)")


class RiskLevel(models.TextChoices):
    RED = "red", _("Red · major (红)")
    ORANGE = "orange", _("Orange · large (橙)")
    YELLOW = "yellow", _("Yellow · general (黄)")
    BLUE = "blue", _("Blue · low (蓝)")


class RentalClass(models.TextChoices):
    """出租房 management class (domain.md §8): 严管类 weekly, 关注类 monthly."""

    NONE = "", _("Not classified")
    STRICT = "strict", _("Strict (严管类)")
    WATCH = "watch", _("Watch (关注类)")


class PlaceQuerySet(models.QuerySet["Place"]):
    def active(self):
        return self.filter(is_active=True)

    def in_subtree(self, path: str):
        return self.filter(models.Q(region_path=path) | models.Q(region_path__startswith=path + "."))

    def due_by(self, moment):
        """Due by `moment`, or never inspected: the worker's to-do list."""
        return self.filter(
            models.Q(next_due_at__lte=moment)
            | models.Q(next_due_at__isnull=True)
            | models.Q(last_inspected_at__isnull=True)
        )


class Place(BlindIndexedModel):
    """A supervised place (监管对象). Contacts are personal data: masked wherever shown."""

    client_id = models.UUIDField(null=True, blank=True, unique=True)
    # core.idempotency.request_fingerprint of the create payload (an HMAC keyed from SECRET_KEY, not the field key):
    # an identical resend is a repeat. Older rows hold older fingerprints; fingerprint_matches still accepts them.
    client_fingerprint = models.CharField(max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=PlaceKind.choices)
    domain = models.ForeignKey(
        "catalog.Domain", on_delete=models.PROTECT, related_name="places", verbose_name=_("domain")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="places", verbose_name=_("region")
    )
    region_path = models.CharField(max_length=64, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    contact_name = models.CharField(_("responsible person"), max_length=40, blank=True)
    # Personal data: encrypted at rest (core.fields), masked on display, in full only through the audited reveal.
    # The blind index stays declared after the phone: the phone's pre_save fills it before its column is read.
    # Find a place by phone with contact_phone_hash=blind_index(phone); QuerySet.update() must set both columns.
    contact_phone = EncryptedCharField(_("phone"), max_length=20, blank=True, lookup_field="contact_phone_hash")
    contact_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    licence_no = models.CharField(_("licence number"), max_length=60, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.YELLOW)
    rental_class = models.CharField(_("rental class"), max_length=8, choices=RentalClass.choices, blank=True)
    inspection_interval_days = models.PositiveSmallIntegerField(_("inspection interval (days)"), default=30)
    last_inspected_at = models.DateTimeField(_("last inspected at"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next inspection due"), null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    is_active = models.BooleanField(_("in use"), default=True)
    # The enterprise (生产经营单位) running this object, if any: `enterprise.places` are its objects.
    enterprise = models.ForeignKey(
        "Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="places", verbose_name="企业"
    )

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervised place")
        verbose_name_plural = _("supervised places")
        indexes = [models.Index(fields=["region_path"], name="place_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def is_overdue(self, now) -> bool:
        return self.next_due_at is not None and self.next_due_at < now

    @property
    def contact_name_masked(self) -> str:
        return mask_name(self.contact_name)

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)


class PlaceRevision(models.Model):
    """One accepted edit of a place: who, when, from which version, old → new per field. Written only by
    `place_update`; `request_id` makes an offline resend of the same edit land once."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="revisions")
    request_id = models.UUIDField(unique=True)
    fingerprint = models.CharField(max_length=64)
    base_version = models.PositiveIntegerField()
    version = models.PositiveIntegerField()  # the place's version after this edit
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_label = models.CharField(max_length=100)
    changes = models.JSONField(default=dict, encoder=DjangoJSONEncoder)  # {field: [old, new]}
    merged = models.BooleanField(default=False)  # based on an older version, merged with no overlapping field
    created_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)  # where the edit came from; None outside a request

    class Meta:
        ordering = ["place", "version"]
        constraints = [models.UniqueConstraint(fields=["place", "version"], name="placerevision_version_once")]


# ---------------------------------------------------------------------------------------------------------------
# Registers of supervised objects (台账): an enterprise, each domain's own facts, LPG cylinders, risk points and the
# deadlines that drive work. Validation with Chinese messages lives in places.registers (services); the numbers the
# county decides (thresholds, reminder lead time) in places.rules.


class Enterprise(BlindIndexedModel):
    """企业（生产经营单位）— a business that is a supervised object, keyed by its 统一社会信用代码 (GB 32100-2015).

    Its objects are `enterprise.places` (Place.enterprise, nullable: a household LPG user or a road section has
    none). Apps above places (hazards: enterprise accounts, 重大隐患, self-inspections) link to it with
    `models.ForeignKey("places.Enterprise", …)` and scope by `enterprise.places` / `region_path`. The safety
    officer's phone is personal data: encrypted, masked on display. Written by `places.registers.enterprise_save`."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=100)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="enterprises", verbose_name="所在区划"
    )
    region_path = models.CharField(max_length=64, db_index=True)
    address = models.CharField("地址", max_length=200, blank=True)
    safety_officer_name = models.CharField("安全管理员", max_length=40, blank=True)
    safety_officer_phone = EncryptedCharField(
        "安全管理员电话", max_length=20, blank=True, lookup_field="safety_officer_phone_hash"
    )
    safety_officer_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_active = models.BooleanField("在用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["region_path", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def safety_officer_masked(self) -> str:
        return " ".join(p for p in (mask_name(self.safety_officer_name), mask_phone(self.safety_officer_phone)) if p)


class PlaceFacts(models.Model):
    """The domain-specific part of a place: one row per place, in the table of its domain."""

    place = models.OneToOneField(Place, on_delete=models.CASCADE, primary_key=True, verbose_name="监管对象")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.place)


class LpgRole(models.TextChoices):
    STATION = "station", "供应站"
    RESTAURANT = "restaurant", "餐饮用户"
    HOUSEHOLD = "household", "居民用户"
    OTHER = "other", "其他用户"


class StorageFloor(models.TextChoices):
    GROUND = "ground", "地上"
    SEMI_BASEMENT = "semi_basement", "半地下室"
    BASEMENT = "basement", "地下室"


class LpgFacts(PlaceFacts):
    """液化气: a supply station or a user. Cylinders are `place.cylinders`."""

    role = models.CharField("液化气主体类型", max_length=12, choices=LpgRole.choices, default=LpgRole.RESTAURANT)
    filling_station = models.CharField("来源充装站", max_length=100, blank=True)
    licence_valid_until = models.DateField("燃气经营许可证有效期至", null=True, blank=True)
    storage_floor = models.CharField(
        "钢瓶存放位置", max_length=16, choices=StorageFloor.choices, default=StorageFloor.GROUND
    )
    leak_alarm = models.BooleanField("安装燃气泄漏报警器", default=False)

    class Meta:
        verbose_name = "液化气台账信息"
        verbose_name_plural = "液化气台账信息"


class LpgCylinder(models.Model):
    """One LPG cylinder at a place: its steel seal / QR code, where it was filled, when it is next inspected."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="cylinders", verbose_name="监管对象")
    seal_code = models.CharField("钢印号/二维码", max_length=40, unique=True)
    capacity_kg = models.PositiveSmallIntegerField("充装量（千克）", default=15)
    filling_station = models.CharField("来源充装站", max_length=100, blank=True)
    next_inspection_on = models.DateField("下次检验日期", null=True, blank=True)
    location = models.CharField("存放位置", max_length=16, choices=StorageFloor.choices, default=StorageFloor.GROUND)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "液化气钢瓶"
        verbose_name_plural = "液化气钢瓶"
        ordering = ["place", "seal_code"]

    def __str__(self) -> str:
        return self.seal_code


class EbikeCharging(models.TextChoices):
    NONE = "none", "无电动车"
    CENTRAL = "central", "集中充电场所"
    OUTDOOR = "outdoor", "室外充电桩"
    INDOOR = "indoor", "室内/楼道充电"


class RentalFacts(PlaceFacts):
    """出租房: the building, its rooms and tenants. The tenant roster is personal data (encrypted, masked); the count
    against the 群租 threshold (places.rules) sets `group_rental`."""

    building = models.CharField("楼栋", max_length=100, blank=True)
    floors = models.PositiveSmallIntegerField("层数", default=1)
    rooms = models.PositiveSmallIntegerField("出租间数", default=1)
    tenant_count = models.PositiveSmallIntegerField("承租人数", default=0)
    tenant_roster = EncryptedCharField("承租人名单", max_length=2000, blank=True)
    group_rental = models.BooleanField("群租", default=False, editable=False)
    mixed_production = models.BooleanField("三合一·住宿与生产", default=False)
    mixed_storage = models.BooleanField("三合一·住宿与仓储", default=False)
    mixed_trade = models.BooleanField("三合一·住宿与经营", default=False)
    ebike_charging = models.CharField(
        "电动自行车充电方式", max_length=10, choices=EbikeCharging.choices, default=EbikeCharging.NONE
    )

    class Meta:
        verbose_name = "出租房台账信息"
        verbose_name_plural = "出租房台账信息"

    @property
    def three_in_one(self) -> bool:
        return self.mixed_production or self.mixed_storage or self.mixed_trade


class FireworksSeason(models.TextChoices):
    SPRING = "spring", "春节期间"
    YEAR = "year", "全年"


class FireworksFacts(PlaceFacts):
    """烟花爆竹: a licensed seller (the licence number is Place.licence_no)."""

    wholesale = models.BooleanField("批发", default=False)
    licence_valid_from = models.DateField("许可证有效期起", null=True, blank=True)
    licence_valid_until = models.DateField("许可证有效期至", null=True, blank=True)
    stock_limit_boxes = models.PositiveIntegerField("限存量（箱）", default=0)
    storage_place = models.CharField("储存场所", max_length=200, blank=True)
    season = models.CharField("经营时段", max_length=8, choices=FireworksSeason.choices, default="spring")

    class Meta:
        verbose_name = "烟花爆竹台账信息"
        verbose_name_plural = "烟花爆竹台账信息"


class VenueFacts(PlaceFacts):
    """文化娱乐场所: licence (number in Place.licence_no), capacity, exits and escape routes, last fire inspection."""

    venue_type = models.CharField("场所类型", max_length=40, blank=True)
    licence_valid_until = models.DateField("许可证有效期至", null=True, blank=True)
    capacity = models.PositiveIntegerField("核定人数", default=0)
    exits = models.PositiveSmallIntegerField("安全出口数", default=0)
    escape_routes = models.CharField("疏散通道", max_length=300, blank=True)
    last_fire_inspection_on = models.DateField("最近消防检查", null=True, blank=True)

    class Meta:
        verbose_name = "文化娱乐场所台账信息"
        verbose_name_plural = "文化娱乐场所台账信息"


class ElevatorFacts(PlaceFacts):
    """特种设备/电梯: registration, user unit, maintenance company, statutory inspections, 96333 rescue code."""

    registration_code = models.CharField("使用登记证编号", max_length=40, unique=True)
    user_unit = models.CharField("使用单位", max_length=100)
    maintenance_company = models.CharField("维保单位", max_length=100, blank=True)
    last_inspection_on = models.DateField("上次定期检验", null=True, blank=True)
    next_inspection_on = models.DateField("下次定期检验", null=True, blank=True)
    rescue_code = models.CharField("96333应急救援码", max_length=10, blank=True)

    class Meta:
        verbose_name = "电梯台账信息"
        verbose_name_plural = "电梯台账信息"


class FireFacts(PlaceFacts):
    """消防: a key unit (消防安全重点单位) or crowded place, with its building and fire facts."""

    key_unit = models.BooleanField("消防安全重点单位", default=False)
    unit_type = models.CharField("单位类型", max_length=40, blank=True)
    building_floors = models.PositiveSmallIntegerField("建筑层数", default=1)
    fire_facilities = models.CharField("消防设施", max_length=300, blank=True)
    last_fire_inspection_on = models.DateField("最近消防检查", null=True, blank=True)

    class Meta:
        verbose_name = "消防台账信息"
        verbose_name_plural = "消防台账信息"


class RoadHazard(models.TextChoices):
    WATER_CLIFF = "water_cliff", "临水临崖"
    SHARP_BEND = "sharp_bend", "急弯陡坡"
    LONG_DESCENT = "long_descent", "长下坡"
    CROSSING = "crossing", "平交路口"
    OTHER = "other", "其他"


class RoadFacts(PlaceFacts):
    """道路: a hazard point on a road, with its stake number, length and protection."""

    hazard_type = models.CharField("隐患点类型", max_length=16, choices=RoadHazard.choices)
    road_name = models.CharField("道路名称", max_length=60, blank=True)
    stake = models.CharField("桩号", max_length=30, blank=True)
    length_m = models.PositiveIntegerField("长度（米）", default=0)
    protection = models.CharField("现有防护设施", max_length=200, blank=True)
    warning_signs = models.BooleanField("设置警示标志", default=False)

    class Meta:
        verbose_name = "道路隐患点台账信息"
        verbose_name_plural = "道路隐患点台账信息"


# Which facts model a domain's places carry (domain code → model); the reverse accessor is the model name
# (place.elevatorfacts …).
FACTS_MODELS: dict[str, type[PlaceFacts]] = {
    "lpg": LpgFacts,
    "rental": RentalFacts,
    "fireworks": FireworksFacts,
    "venue": VenueFacts,
    "elevator": ElevatorFacts,
    "fire": FireFacts,
    "road": RoadFacts,
}


class ControlLevel(models.TextChoices):
    COUNTY = "county", "县级"
    TOWNSHIP = "township", "乡镇级"
    GRID = "grid", "网格级"
    UNIT = "unit", "单位自管"


class RiskPoint(models.Model):
    """风险点 — a graded risk (安全风险四色: 红 重大 / 橙 较大 / 黄 一般 / 蓝 低) at a place, with its control measures.
    The worst active grade becomes the place's `risk_level`, which sets its inspection interval (places.schedule)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="risk_points", verbose_name="监管对象")
    region_path = models.CharField(max_length=64, db_index=True)
    name = models.CharField("风险点", max_length=100)
    grade = models.CharField("风险等级", max_length=8, choices=RiskLevel.choices)
    hazard = models.CharField("危险因素", max_length=300, blank=True)
    control_measures = models.TextField("管控措施")
    control_level = models.CharField("管控层级", max_length=10, choices=ControlLevel.choices, default=ControlLevel.GRID)
    responsible = models.CharField("责任人", max_length=40, blank=True)
    is_active = models.BooleanField("在用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "风险点"
        verbose_name_plural = "风险点"
        ordering = ["place", "name"]
        indexes = [
            models.Index(fields=["region_path"], name="riskpoint_path_prefix", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.name


class DeadlineKind(models.TextChoices):
    ELEVATOR_INSPECTION = "elevator_inspection", "电梯定期检验"
    FIREWORKS_LICENCE = "fireworks_licence", "烟花爆竹经营许可证"
    VENUE_LICENCE = "venue_licence", "娱乐经营许可证"
    LPG_LICENCE = "lpg_licence", "燃气经营许可证"
    CYLINDER_INSPECTION = "cylinder_inspection", "钢瓶定期检验"


class PlaceDeadline(models.Model):
    """到期提醒 — one licence or statutory inspection of a place falling due on `due_on`. Made by the daily registers
    job: `reminded_at` when the visit task was put on the grid worker's list, `case_number` when it expired and a
    case was opened. (place, kind, due_on) is unique: one task and one case per object per expiry."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="deadlines", verbose_name="监管对象")
    kind = models.CharField("到期事项", max_length=24, choices=DeadlineKind.choices)
    due_on = models.DateField("到期日")
    detail = models.CharField("说明", max_length=100, blank=True)
    reminded_at = models.DateTimeField("走访任务生成时间", null=True, blank=True)
    expired_at = models.DateTimeField("立案时间", null=True, blank=True)
    case_id = models.PositiveIntegerField("案件ID", null=True, blank=True)  # cases sit above places: no FK
    case_number = models.CharField("案件编号", max_length=40, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "到期提醒"
        verbose_name_plural = "到期提醒"
        ordering = ["due_on", "place"]
        constraints = [models.UniqueConstraint(fields=["place", "kind", "due_on", "detail"], name="placedeadline_once")]

    def __str__(self) -> str:
        return f"{self.place} {self.get_kind_display()} {self.due_on}"
