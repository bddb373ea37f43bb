from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridsafe.cases.events import EventKind
from gridsafe.cases.transitions import OPEN_STATES, Closure, State
from gridsafe.catalog.models import Grade, LimitUnit, Step
from gridsafe.core.fields import EncryptedCharField
from gridsafe.core.models import AppendOnlyModel
from gridsafe.regions.cities import subtree_q


class Level(models.IntegerChoices):
    """The tier that owns the case's review. A case held by a department keeps the level that dispatched it."""

    VILLAGE = 1, _("Village station (村居)")
    TOWNSHIP = 2, _("Township centre (乡镇)")
    COUNTY = 3, _("County centre (县)")


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker (网格员)")
    PATROL = "patrol", _("Patrol checklist (巡查)")
    HOTLINE = "hotline", _("12345 hotline")
    VIDEO = "video", _("Video (视频)")
    DEPARTMENT = "department", _("Department check (部门检查)")
    LEADER = "leader", _("Leader instruction (领导交办)")
    WALK_IN = "walk_in", _("Citizen visit (群众来访)")
    CITIZEN = "citizen", _("Citizen report (群众上报)")


class SupervisionLevel(models.TextChoices):
    NONE = "", _("None")
    NORMAL = "normal", _("Normal (普通督办)")
    YELLOW = "yellow", _("Yellow card (黄牌)")
    RED = "red", _("Red card (红牌)")


SUPERVISION_RANK = {"": 0, "normal": 1, "yellow": 2, "red": 3}


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    NONE = "none", _("No clock")


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self):
        return self.exclude(state=State.CLOSED)

    def in_subtree(self, path: str):
        return self.filter(subtree_q("region_path", path))  # a city's subtree is its counties' (regions.cities)

    def light(self, light: str, now: datetime):
        """Traffic light from the stored deadlines: derived, never stored, so it cannot go stale."""
        clocked = self.exclude(state__in=[State.CLOSED, State.SUSPENDED]).filter(due_at__isnull=False)
        if light == Light.RED:
            return clocked.filter(due_at__lt=now)
        if light == Light.YELLOW:
            return clocked.filter(yellow_at__lte=now, due_at__gte=now)
        if light == Light.GREEN:
            return clocked.filter(yellow_at__gt=now)
        return self.filter(models.Q(state__in=[State.CLOSED, State.SUSPENDED]) | models.Q(due_at__isnull=True))

    def due_for_sweep(self, now: datetime):
        return self.filter(next_sweep_at__lte=now).order_by("next_sweep_at")


class Case(models.Model):
    """One hazard (隐患) from report to closure. Its id never changes across escalations."""

    client_id = models.UUIDField(_("client ID"), unique=True)
    # core.idempotency.request_fingerprint of the create payload (HMAC keyed from SECRET_KEY): identical resend check.
    # Rows from before it hold a plain SHA-256; fingerprint_matches still accepts those.
    client_fingerprint = models.CharField(max_length=64)
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.PROTECT, related_name="cases", verbose_name=_("hazard category")
    )
    domain = models.ForeignKey(
        "catalog.Domain", on_delete=models.PROTECT, related_name="cases", verbose_name=_("domain")
    )
    grade = models.CharField(_("hazard grade"), max_length=10, choices=Grade.choices, default=Grade.GENERAL)
    urgent = models.BooleanField(_("urgent"), default=False)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.GRID_WORKER)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))  # WGS-84 / CGCS2000
    lat = models.FloatField(_("latitude"))
    raw_lon = models.FloatField(_("reported longitude"))
    raw_lat = models.FloatField(_("reported latitude"))
    source_crs = models.CharField(_("coordinate system"), max_length=8, default="wgs84")
    gps_accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    location_flags = models.JSONField(
        _("location flags"), default=list, blank=True
    )  # e.g. ["outside_grid", "poor_accuracy"]
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="cases", verbose_name=_("grid")
    )  # the grid
    region_path = models.CharField(_("region path"), max_length=64)
    grid_version = models.PositiveIntegerField(_("grid boundary version"), default=1)
    place = models.ForeignKey(
        "places.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("supervised place"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("reporter")
    )
    # The person who called or came in, for a case the desk registered (热线, 来访 …): personal data, sealed at rest
    # (core.fields) and masked on every page (core.masking). Written once, by the insert.
    caller_name = EncryptedCharField(_("caller's name"), max_length=50, blank=True)
    caller_phone = EncryptedCharField(_("caller's phone"), max_length=20, blank=True)
    checklist_answers = models.JSONField(null=True, blank=True)

    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.PENDING_REVIEW)
    closure = models.CharField(_("closure"), max_length=12, choices=Closure.choices, blank=True)
    level = models.PositiveSmallIntegerField(_("handling level"), choices=Level.choices, default=Level.VILLAGE)
    holder_unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="held_cases", verbose_name=_("holding unit")
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler"),
    )
    department = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatched_cases",
        verbose_name=_("responsible department"),
    )
    dispatcher_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dispatching unit"),
    )
    last_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last handler"),
    )
    master = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    external_body = models.CharField(_("external body"), max_length=100, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=60, blank=True)
    cc_paths = models.JSONField(
        _("copied levels"), default=list, blank=True
    )  # skipped levels that were CC'd on a skip-level report

    # The clock of the current step. Deadlines are columns, not timers: the sweep reads next_sweep_at.
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, blank=True)
    step_started_at = models.DateTimeField(_("step started at"), null=True, blank=True)
    limit_amount = models.DecimalField(_("time limit"), max_digits=8, decimal_places=2, null=True, blank=True)
    limit_unit = models.CharField(_("time limit unit"), max_length=12, choices=LimitUnit.choices, blank=True)
    yellow_at = models.DateTimeField(_("yellow light at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("original due at"), null=True, blank=True)  # before any approved extension
    next_sweep_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    alert_stage = models.PositiveSmallIntegerField(
        _("alert stage"), default=0
    )  # 0 none, 1 yellow 催办, 2 red, 3 2× limit, 4 3×
    remaining_on_suspend = models.FloatField(_("time left when suspended"), null=True, blank=True)  # in limit_unit
    suspend_review_date = models.DateField(_("suspension review date"), null=True, blank=True)
    overdue_steps = models.JSONField(_("overdue steps"), default=list, blank=True)  # frozen facts, never recomputed
    # 退回核实/补充: the grid worker a desk asked to re-check or add to the case, since when. While set the clock of
    # the step is paused (due_at None; what was left is in remaining_on_suspend) and shown as paused.
    with_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("returned to worker"),
    )
    with_worker_since = models.DateTimeField(_("returned to worker at"), null=True, blank=True)
    # The 处置 deadline a dispatch set (派遣时限); None: the category's time limit from 签收.
    handle_due_at = models.DateTimeField(_("handling deadline set at dispatch"), null=True, blank=True)

    extension_pending = models.BooleanField(_("extension pending"), default=False)
    extension_requested_due = models.DateTimeField(_("extension requested until"), null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    supervision = models.CharField(_("supervision"), max_length=8, choices=SupervisionLevel.choices, blank=True)
    supervision_reply_due = models.DateTimeField(_("supervision reply due"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopenings"), default=0)
    misdispatch_count = models.PositiveSmallIntegerField(_("misdispatches"), default=0)

    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The head of the timeline's hash chain (cases/chain.py): the last event's seq and hash, moved by the same
    # version-conditional UPDATE that appends the event, so an event deleted from the end is noticed.
    event_seq = models.PositiveIntegerField(_("event count"), default=0)
    event_head = models.CharField(_("latest event hash"), max_length=64, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("hazard case")
        verbose_name_plural = _("hazard cases")
        indexes = [
            models.Index(fields=["region_path"], name="case_path_prefix", opclasses=["varchar_pattern_ops"]),
            # With the path: the capped total of a list filtered by state (已结案: 10 001 of 8.8 M closed cases) is
            # an index-only scan of that state's entries, not a walk of the table or of the newest cases (the newest
            # are open: 200 000 skipped, 116 ms at 10 M). A key column, not INCLUDE: btree deduplication keeps the
            # index at ~70 MB (with INCLUDE, which turns deduplication off: 482 MB).
            models.Index(fields=["state", "level", "region_path"], name="case_state_level"),
            models.Index(fields=["holder_unit", "state"], name="case_holder_state"),
            models.Index(fields=["department", "state"], name="case_department_state"),
            # The case list's default order, with every column a jurisdiction filter reads (paths, department,
            # reporter): a page (deep ones too) is read from the index alone, without visiting the rows it skips
            # (bench/pages_at_scale). It also serves created_at ranges, so no index on created_at alone. It holds
            # the state too: a page of the list filtered by state (已结案: the newest cases are open, so its first
            # page skipped 17 000 of them, each a row fetched from the table, 145 ms at 10 M; 4 ms now) is read from
            # the index alone. A state change already rewrote the case's entries; the index is 13 % larger.
            models.Index(
                fields=["-created_at", "-id"],
                name="case_newest_scope",
                include=["region_path", "department", "reporter", "state"],
            ),
            # Partial indexes over open cases (a small part of a year's cases), for the 待办 counts and lists at
            # 10 M cases (bench/pages_at_scale). Each condition also says "its own key column IS NOT NULL", which only
            # a query that filters on that column implies: otherwise the planner takes such an index as a free list
            # of every open case, ANDs two or three of them as if independent, expects a few rows and reads
            # thousands (a centre's 待核查 count: 5 255 buffers at 1 M cases, 1 050 with the key condition).
            # Deadlines: the 待办 queues, the most urgent list, 超时 filters. It holds the columns a 辖区 and "my
            # work" read, so a capped 超时 count is an index-only scan (county at 10 M cases: 64 → 1.2 ms).
            models.Index(
                fields=["due_at", "id"],
                name="case_open_due",
                include=["state", "region_path", "holder_unit", "handler", "department", "dispatcher_unit"],
                condition=~models.Q(state__in=["closed", "suspended"]) & models.Q(due_at__isnull=False),
            ),
            # Possible duplicates on the case page: open cases of one category inside a bounding box.
            models.Index(
                fields=["category", "lat"],
                name="case_open_category_lat_in",
                condition=models.Q(
                    state__in=["pending_review", "dispatched", "handling", "suspended", "pending_verification"]
                )
                & models.Q(category__isnull=False),
            ),
            # The columns a 辖区 or a queue picks open cases by (paths, reporter, holder, dispatcher), so a grid
            # worker's or a centre's 待办 never visits their closed cases. The 临期 window has a GiST index of its
            # own (migration open_case_indexes, PostgreSQL only).
            # With the state (and the holder's deadline) in the key, a grid worker's 待核查 and 超时 counts are
            # answered inside these indexes instead of ANDed with a bitmap of every open case in that state or past
            # its deadline (worker's 待办 SQL at 10 M cases: 446 → 75 ms).
            models.Index(
                fields=["region_path", "state"],
                name="case_open_path",
                opclasses=["varchar_pattern_ops", "varchar_ops"],
                condition=~models.Q(state="closed") & models.Q(region_path__isnull=False),
            ),
            models.Index(
                fields=["reporter"],
                name="case_open_reporter",
                condition=~models.Q(state="closed") & models.Q(reporter__isnull=False),
            ),
            models.Index(
                fields=["holder_unit", "state", "due_at"],
                name="case_open_holder",
                condition=~models.Q(state="closed") & models.Q(holder_unit__isnull=False),
            ),
            models.Index(
                fields=["dispatcher_unit", "state"],
                name="case_open_dispatcher",
                condition=~models.Q(state="closed") & models.Q(dispatcher_unit__isnull=False, department__isnull=False),
            ),
            # The sweep scans only cases with something due: O(due), not O(open).
            models.Index(
                fields=["next_sweep_at"], name="case_sweep_due", condition=models.Q(next_sweep_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_major(self) -> bool:
        return self.grade == Grade.MAJOR

    def light_at(self, now: datetime) -> str:
        if self.state in (State.CLOSED, State.SUSPENDED) or self.due_at is None:
            return Light.NONE
        if now > self.due_at:
            return Light.RED
        if self.yellow_at and now >= self.yellow_at:
            return Light.YELLOW
        return Light.GREEN

    @property
    def held_by_department(self) -> bool:
        return self.department_id is not None and self.holder_unit_id == self.department_id


class CaseEvent(AppendOnlyModel):
    """One line of a case's timeline. Append-only: the model and database triggers refuse change."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("hazard case"))
    request_id = models.UUIDField(_("request ID"))
    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    action = models.CharField(_("action"), max_length=24, blank=True)
    # DO_NOTHING without a DB constraint: SET_NULL would UPDATE this row, which the trigger rejects.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=100)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    from_level = models.PositiveSmallIntegerField(_("from level"), null=True)
    to_level = models.PositiveSmallIntegerField(_("to level"), null=True)
    holder_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # caseevent_desk leads with it
        related_name="+",
        verbose_name=_("holding unit"),
    )
    comment = models.TextField(_("comment"), blank=True)
    payload = models.JSONField(_("details"), default=dict, encoder=DjangoJSONEncoder)
    due_at = models.DateTimeField(_("due at"), null=True)  # the deadline in force after this event
    created_at = models.DateTimeField(_("created at"))
    # Where the action came from (等保: who, when, from where); None for the sweep, a worker or the shell. Personal
    # data: the timeline shown to users (page and API) leaves it out.
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The case's hash chain (cases/chain.py): position within the case, the previous event's hash ("" for the
    # first) and this event's HMAC over its content and prev_hash. Deleting, editing or inserting is detectable.
    seq = models.PositiveIntegerField(_("chain position"), default=0)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "request_id"], name="caseevent_request_once"),
            models.UniqueConstraint(fields=["case", "seq"], name="caseevent_chain_seq"),  # no fork in a chain
        ]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="caseevent_kind_time"),
            # A desk's events above its inbox's id cursor (notifications.services.inbox_catch_up).
            models.Index(fields=["holder_unit", "id"], name="caseevent_desk"),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_kind_display()}"


class AttachmentRole(models.TextChoices):
    REPORT = "report", _("Report photo (上报)")
    BEFORE = "before", _("Before (整改前)")
    AFTER = "after", _("After (整改后)")
    VERIFICATION = "verification", _("Verification (核查)")
    DOCUMENT = "document", _("Document (文书)")


class Attachment(models.Model):
    """A photo, video or document. The original is kept with its identifying metadata (EXIF GPS, device, author)
    stripped at intake (cases/uploads/metadata.py); `size` and `sha256` describe the stored file, not the upload."""

    client_id = models.UUIDField(_("client ID"), unique=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("hazard case"))
    event = models.ForeignKey(
        CaseEvent,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("case event"),
    )
    role = models.CharField(_("purpose"), max_length=12, choices=AttachmentRole.choices, default=AttachmentRole.REPORT)
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="thumbs/%Y/%m/", blank=True)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    content_type = models.CharField(_("file type"), max_length=80)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    captured_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    capture_lon = models.FloatField(null=True, blank=True)
    capture_lat = models.FloatField(null=True, blank=True)
    capture_accuracy_m = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_role_display()} {self.original_name}".rstrip()


class PartState(models.TextChoices):
    DISPATCHED = "dispatched", _("Awaiting signature (待签收)")
    HANDLING = "handling", _("Handling (处置中)")
    REPORTED = "reported", _("Part reported (已反馈)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤回)")


class CasePart(models.Model):
    """协办 — a co-handling department's part of a dispatched case: it signs, handles and reports its part; the lead
    department (Case.department) submits the case once every active part is reported. Written only by the case
    services, in the transaction of the case event that moves it; a new dispatch or a 回退 withdraws the parts."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parts")
    department = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="case_parts")
    state = models.CharField(max_length=12, choices=PartState.choices, default=PartState.DISPATCHED)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report = models.TextField(_("part report"), blank=True)
    dispatched_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("co-handling part (协办)")
        verbose_name_plural = _("co-handling parts (协办)")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=~models.Q(state="withdrawn"),
                name="casepart_one_active_per_department",
            )
        ]
        # A department's 协办 cases (cases_visible_to, its 待办): read by department.
        indexes = [models.Index(fields=["department", "state"], name="casepart_department_state")]

    @property
    def is_active(self) -> bool:
        return self.state != PartState.WITHDRAWN


class Supervision(models.Model):
    """A 督办 order on a case, with its reply. Automatic ones come from the sweep (actor None)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="supervisions", verbose_name=_("hazard case"))
    level = models.CharField(_("supervision level"), max_length=8, choices=SupervisionLevel.choices)
    automatic = models.BooleanField(_("automatic"), default=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_unit = models.ForeignKey(
        "accounts.Unit", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("issuing unit")
    )
    target_unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("target unit")
    )
    instruction = models.TextField(_("instruction"), blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    reply_due = models.DateTimeField(_("reply due"))
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("replied by")
    )

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_level_display()}"
