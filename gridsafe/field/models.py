"""Field work of grid workers (网格员): patrols with GPS tracks, place visits against versioned checklists,
watermarked field photos and publicity activities (domain.md §8). Every record a phone creates carries the
client's UUID, so an offline resend lands once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridsafe.places.models import PlaceKind


class PatrolStatus(models.TextChoices):
    ACTIVE = "active", _("On patrol (巡查中)")
    ENDED = "ended", _("Ended (已结束)")


class PatrolQuerySet(models.QuerySet["Patrol"]):
    def in_subtree(self, path: str):
        return self.filter(models.Q(grid_path=path) | models.Q(grid_path__startswith=path + "."))

    def ended_between(self, start, end):
        return self.filter(status=PatrolStatus.ENDED, ended_at__gte=start, ended_at__lt=end)

    def counted(self):
        """Patrols that count toward coverage (已巡查): ended and meeting the county's PatrolRule when they ended."""
        return self.filter(status=PatrolStatus.ENDED, counts_for_coverage=True)


class PatrolRule(models.Model):
    """巡查有效规则 — what the county asks of a patrol before it counts as 已巡查 (coverage): minutes and metres
    walked inside the grid. One row, edited in the admin; without one the defaults below apply. The rule is applied
    when a patrol ends and its result is stored on the patrol (`Patrol.counts_for_coverage`), so a later change of
    the rule does not rewrite past weeks."""

    DEFAULT_MIN_MINUTES = 20
    DEFAULT_MIN_DISTANCE_M = 500

    min_minutes = models.PositiveIntegerField(
        _("minimum minutes inside the grid"),
        default=DEFAULT_MIN_MINUTES,
        help_text=_("A patrol with less time inside its grid does not count toward coverage."),
    )
    min_distance_m = models.PositiveIntegerField(
        _("minimum metres walked inside the grid"),
        default=DEFAULT_MIN_DISTANCE_M,
        help_text=_("Metres of GPS track inside the grid (fixes better than 50 m)."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("patrol rule")
        verbose_name_plural = _("patrol rule")

    def __str__(self) -> str:
        return f"网格内 ≥{self.min_minutes} 分钟且 ≥{self.min_distance_m} 米"

    @classmethod
    def current(cls) -> "PatrolRule":
        """The county's rule (one query); the defaults when the admin has not saved one."""
        return cls.objects.order_by("pk").first() or cls()

    def judge(self, *, minutes: float, metres: float) -> tuple[bool, str]:
        """Whether a patrol with `minutes` and `metres` inside its grid counts, and why (stored, shown to users)."""
        short = []
        if minutes < self.min_minutes:
            short.append(f"网格内巡查 {minutes:.0f} 分钟，不足 {self.min_minutes} 分钟")
        if metres < self.min_distance_m:
            short.append(f"网格内里程 {metres:.0f} 米，不足 {self.min_distance_m} 米")
        if short:
            return False, "不计入覆盖：" + "；".join(short)
        return True, f"计入覆盖：网格内 {minutes:.0f} 分钟、{metres:.0f} 米"


class Patrol(models.Model):
    """One walk of one grid by one worker (巡查). The track is sensitive personal data (行踪轨迹): visible to the
    worker and their supervisors only, and purged after `GRIDSAFE_TRACK_RETENTION_DAYS` (the summary stays)."""

    client_id = models.UUIDField(unique=True)
    client_fingerprint = models.CharField(max_length=64)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols")
    grid = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="patrols")
    grid_path = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=PatrolStatus.choices, default=PatrolStatus.ACTIVE)
    started_at = models.DateTimeField()  # device time at start (offline starts upload later)
    ended_at = models.DateTimeField(null=True, blank=True)
    nothing_found = models.BooleanField(default=False)  # 已巡查无隐患: still counts toward weekly coverage
    note = models.CharField(max_length=500, blank=True)
    end_fingerprint = models.CharField(max_length=64, blank=True)  # identical resend of the end is a repeat
    point_count = models.PositiveIntegerField(default=0)
    distance_m = models.FloatField(default=0)
    flagged_points = models.PositiveIntegerField(default=0)  # outside the grid (> 50 m) or poor accuracy
    # The county's PatrolRule applied when the patrol ended (and again if late track points arrive): coverage and
    # every page that shows it count only these. The reason says which figure fell short, in the user's words.
    counts_for_coverage = models.BooleanField(_("counts toward coverage"), default=False)
    coverage_reason = models.CharField(_("coverage decision"), max_length=200, blank=True)
    in_grid_minutes = models.FloatField(_("minutes inside the grid"), default=0)
    in_grid_distance_m = models.FloatField(_("metres inside the grid"), default=0)
    track_purged_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["grid_path"], name="patrol_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["worker", "-started_at"], name="patrol_worker_recent"),
            models.Index(fields=["grid", "ended_at"], name="patrol_grid_ended"),
        ]
        constraints = [
            # One walk at a time per worker: a second start while one is open is a client bug or a lost end.
            models.UniqueConstraint(
                fields=["worker"], condition=models.Q(status="active"), name="patrol_one_active_per_worker"
            ),
        ]

    def __str__(self) -> str:
        return f"巡查 {self.grid_id} {self.started_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.status == PatrolStatus.ACTIVE


class TrackPoint(models.Model):
    """A GPS fix sampled during a patrol, and only then. (patrol, seq) is the idempotency key of a resend."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    seq = models.PositiveIntegerField()
    lon = models.FloatField()  # WGS-84
    lat = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    flags = models.JSONField(default=list, blank=True)  # outside_own_grid, poor_accuracy

    class Meta:
        ordering = ["patrol", "seq"]
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="trackpoint_seq_once")]


class Severity(models.TextChoices):
    """A checklist item's severity. A grid worker never grades 重大; 可能重大 routes the draft to the township."""

    GENERAL = "general", _("General (一般)")
    POSSIBLY_MAJOR = "possibly_major", _("Possibly major (可能重大)")


class ChecklistStatus(models.TextChoices):
    """A checklist version's life: written as a draft, published (then frozen: the database refuses any change of
    its content or items), and retired when the county withdraws it. Visits only ever answer published versions."""

    DRAFT = "draft", _("Draft (草稿)")
    PUBLISHED = "published", _("Published (已发布)")
    RETIRED = "retired", _("Retired (已停用)")


class ChecklistTemplateQuerySet(models.QuerySet["ChecklistTemplate"]):
    def active(self):
        """The newest published version per domain and place kind: what the field app hands out."""
        return self.filter(active=True)

    def answerable(self):
        """Versions a visit may be recorded against: published (current or superseded: a phone that was offline
        answers the version it cached) or retired after the visit was made offline. Never a draft."""
        return self.exclude(status=ChecklistStatus.DRAFT)


class ChecklistTemplate(models.Model):
    """检查表: one per domain and place kind (blank kind: any kind in the domain), versioned. Answers are bound to
    the version they were given against; a changed list is a new version, never an edit of an answered one.

    Written only by the services in `field.checklists.services` (draft → publish → retire). A published version
    is immutable: besides the services' checks, database triggers (`field.checklists.guard`) refuse an UPDATE of
    its content and any INSERT, UPDATE or DELETE of its items. `active` marks the newest published version."""

    domain = models.ForeignKey(
        "catalog.Domain", on_delete=models.PROTECT, related_name="checklists", verbose_name=_("domain")
    )
    place_kind = models.CharField(
        _("place kind"), max_length=24, blank=True, choices=PlaceKind.choices, help_text=_("Blank: any kind")
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=ChecklistStatus.choices, default=ChecklistStatus.DRAFT
    )
    active = models.BooleanField(_("current version"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)  # e.g. 县安监局《隐患排查表》(2017)
    note = models.CharField(_("change note"), max_length=300, blank=True)
    revision = models.PositiveIntegerField(_("draft revision"), default=1)  # conditional UPDATE: stale edit → 409
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = ChecklistTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["domain__sort", "place_kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "place_kind", "version"], name="checklist_version_once"),
            models.UniqueConstraint(
                fields=["domain", "place_kind"], condition=models.Q(active=True), name="checklist_one_active"
            ),
            # One draft at a time per checklist: a second "edit" opens the same draft instead of a rival one.
            models.UniqueConstraint(
                fields=["domain", "place_kind"], condition=models.Q(status="draft"), name="checklist_one_draft"
            ),
            models.CheckConstraint(
                condition=models.Q(active=False) | models.Q(status="published"), name="checklist_active_is_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == ChecklistStatus.DRAFT

    def items_for(self, place_kind: str) -> list["ChecklistItem"]:
        """Items that apply to a place of this kind (an empty applicability list means every kind)."""
        return [item for item in self.items.all() if not item.applies_to or place_kind in item.applies_to]


class ChecklistItem(models.Model):
    """One question of a checklist version. Frozen with its version once published (database triggers)."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="items", verbose_name=_("checklist")
    )
    code = models.CharField(_("item code"), max_length=30)
    question = models.CharField(_("question"), max_length=200)
    applies_to = models.JSONField(_("applies to (place kinds)"), default=list, blank=True)  # empty: all
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.GENERAL)
    legal_basis = models.CharField(_("legal basis (standard and clause)"), max_length=200, blank=True)
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("hazard category")
    )  # for a failure
    photo_required_on_fail = models.BooleanField(_("photo required when it fails"), default=True)
    na_allowed = models.BooleanField(_("N/A allowed"), default=False)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["template", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="checklistitem_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.question}"

    @property
    def applies_to_labels(self) -> list[str]:
        """The place kinds it applies to, by their names (empty: every kind)."""
        labels = dict(PlaceKind.choices)
        return [str(labels.get(kind, kind)) for kind in self.applies_to or []]


class VisitResult(models.TextChoices):
    PASSED = "passed", _("No hazard found (合格)")
    HAZARDS = "hazards", _("Hazards found (发现隐患)")


class PlaceVisit(models.Model):
    """A check-in at a supervised place with the checklist answers. Each failed item became a hazard case whose
    client id is uuid5(visit client id, item code), so a resend after a crash completes the set, never doubles it."""

    client_id = models.UUIDField(unique=True)
    client_fingerprint = models.CharField(max_length=64)
    patrol = models.ForeignKey(Patrol, null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="visits")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="visits")
    template_version = models.PositiveIntegerField()
    answers = models.JSONField(default=list)  # [{code, question, answer: pass|fail|na, note, severity, weight}]
    result = models.CharField(max_length=8, choices=VisitResult.choices)
    score = models.FloatField(null=True, blank=True)  # weighted pass share, N/A excluded
    visited_at = models.DateTimeField()
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    location_flags = models.JSONField(default=list, blank=True)
    case_ids = models.JSONField(default=dict, blank=True)  # {item code: case id}
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("place visit")
        verbose_name_plural = _("place visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["place", "-visited_at"], name="visit_place_recent")]


class FieldPhoto(models.Model):
    """What the field app adds to a case attachment: how and where it was captured, the location checks, and the
    display copy with the burned-in watermark. The original (and its SHA-256) stays on the Attachment."""

    attachment = models.OneToOneField("cases.Attachment", on_delete=models.PROTECT, related_name="field_photo")
    watermarked = models.FileField(upload_to="field/watermarked/%Y/%m/")
    capture_method = models.CharField(max_length=10, default="camera")  # camera / gallery
    device_time = models.DateTimeField(null=True, blank=True)
    original_sha256 = models.CharField(max_length=64, blank=True)  # the phone's hash before downscaling
    grid = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location_flags = models.JSONField(default=list, blank=True)
    watermark_lines = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()


class PublicityKind(models.TextChoices):
    """The forms of publicity the field app offers (field/js/forms.js lists the same values)."""

    DOOR_TO_DOOR = "door_to_door", _("Door to door (入户宣传)")
    CAMPAIGN_WEEK = "campaign_week", _("Safety week (安全生产宣传周)")
    TRAINING = "training", _("Training (培训)")
    MEETING = "meeting", _("Meeting (会议)")
    OTHER = "other", _("Other (其他)")


class PublicityActivity(models.Model):
    """宣传: a publicity activity of a grid worker (安全生产宣传周, 入户宣传, 培训)."""

    client_id = models.UUIDField(unique=True)
    client_fingerprint = models.CharField(max_length=64)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="publicity")
    grid = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    grid_path = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, default="door_to_door")
    title = models.CharField(max_length=100)
    held_at = models.DateTimeField()
    address = models.CharField(max_length=200, blank=True)
    head_count = models.PositiveIntegerField(default=0)
    materials = models.PositiveIntegerField(default=0)  # leaflets handed out
    note = models.TextField(blank=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("publicity activity")
        verbose_name_plural = _("publicity activities")
        ordering = ["-held_at", "-id"]
        indexes = [models.Index(fields=["grid_path"], name="publicity_path_prefix", opclasses=["varchar_pattern_ops"])]


class PublicityPhoto(models.Model):
    activity = models.ForeignKey(PublicityActivity, on_delete=models.PROTECT, related_name="photos")
    client_id = models.UUIDField(unique=True)
    file = models.FileField(upload_to="field/publicity/%Y/%m/")
    watermarked = models.FileField(upload_to="field/watermarked/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    location_flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
