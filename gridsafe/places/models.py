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
