from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Place(models.Model):
    """A supervised place (监管对象). Contacts are personal data: masked wherever shown."""

    client_id = models.UUIDField(null=True, blank=True, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=PlaceKind.choices)
    domain = models.ForeignKey("catalog.Domain", on_delete=models.PROTECT, related_name="places")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="places")
    region_path = models.CharField(max_length=64, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField()
    lat = models.FloatField()
    contact_name = models.CharField(_("responsible person"), max_length=40, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=20, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.YELLOW)
    inspection_interval_days = models.PositiveSmallIntegerField(default=30)
    last_inspected_at = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("supervised place")
        verbose_name_plural = _("supervised places")
        indexes = [models.Index(fields=["region_path"], name="place_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name
