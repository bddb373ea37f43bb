"""Oversight data: KPI rollups (统计), composite-score weights (考核权重), bulletins (通报), leaders' inspections and
meetings (领导带队检查/例会), information reports (信息材料) and their reminders.

Rollups are two tables written only by `dashboards.rollups` inside the case services' transactions:

* `StatCell`: counters per (scope, grain, node, period, domain). Scope is a region node (every level: county,
  township, village, grid), a department (职能部门) or a reporter (网格员). Grain is a day or a month, so a month,
  quarter or year reads month rows only and a county dashboard costs O(townships × domains × months).
* `StatGauge`: what is open right now per (scope, node, domain): open by state, overdue, 督办 and red cards.

Keys are plain integers, not foreign keys (a region is keyed by its code, 350322101): no NULLs keep `ON CONFLICT` upserts simple and the tables
free of cascades; `rollups_check` finds any drift and `rollups_rebuild` recomputes both tables."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridsafe.accounts.models import UnitKind
from gridsafe.dashboards.kpis import KPIS
from gridsafe.regions.models import RegionLevel

# Terms of a composite score that are not a ratio KPI (kpis.KPIS) but a banded count.
BANDED_TERMS = {"filing_count": "立案数分值"}


def kpi_label(code: str) -> str:
    """A composite term's Chinese name (the code itself only for a term this version does not know)."""
    kpi = KPIS.get(code)
    return kpi.label if kpi is not None else BANDED_TERMS.get(code, code)


# The region levels a cadence rule or a report quota applies to (county, township, village).
RULE_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)


def level_name(level: int) -> str:
    """A rule's level by the catalogue's name (县, 乡镇(街道), 村(居))."""
    return str(RegionLevel(level).label) if level in RegionLevel.values else str(level)


class Scope(models.TextChoices):
    REGION = "r", _("Region node (区划)")
    UNIT = "u", _("Department (职能部门)")
    WORKER = "w", _("Reporter (网格员)")


class Grain(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")


# Cohort counters: attributed to the day the case was reported and kept current as the case moves (± deltas),
# so "cases reported in March: how many are handled now" is one row read. See rollups.cohort_vector.
COHORT_COUNTERS = (
    "reported",
    "src_grid_worker",
    "src_patrol",
    "src_hotline",
    "src_video",
    "src_department",
    "src_leader",
    "src_walk_in",
    "src_citizen",
    "invalid",
    "duplicate",
    "transferred",
    "resolved",
    "handled",
    "handled_on_time",
    "overdue_unhandled",
    "closed_on_time",
    "overdue_unclosed",
    "suspended",
    "reworks",
    "reopens",
    "misdispatches",
    "confirm_due",
    "confirm_on_time",
    "check_due",
    "check_on_time",
    "major",
    "major_resolved",
)
# Flow counters: attributed to the day of the event, only ever incremented. See rollups.flow_vector.
FLOW_COUNTERS = (
    "f_handled",
    "f_handle_seconds",
    "f_resolved",
    "f_closed_other",
    "f_reworks",
    "f_escalations",
    "f_dispatches",
    "f_misdispatches",
    "f_extensions",
    "f_reopens",
    "f_overdue",
    "f_supervisions",
    "f_red_cards",
    "f_visits",  # 12345 回访 that reached the caller (channels.hotline)
    "f_satisfied",  # … of which 满意 or 基本满意
)
CELL_COUNTERS = COHORT_COUNTERS + FLOW_COUNTERS
GAUGES = (
    "open_pending_review",
    "open_dispatched",
    "open_handling",
    "open_suspended",
    "open_pending_verification",
    "overdue",
    "supervised",
    "red_cards",
    "major_open",
)


def _counter(name: str) -> models.Field:
    # db_default: the rollup upsert names only the counters an event changes; the rest start at 0 in the database.
    if name == "f_handle_seconds":
        return models.BigIntegerField(default=0, db_default=0)
    return models.IntegerField(default=0, db_default=0)


class StatCell(models.Model):
    scope = models.CharField(max_length=1, choices=Scope.choices)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    node = models.BigIntegerField()  # by scope: the region's code as an integer, Unit.pk or User.pk
    period = models.DateField()  # the day, or the first day of the month
    domain = models.IntegerField()  # catalog.Domain.pk
    # + one integer column per name in CELL_COUNTERS, added below

    class Meta:
        verbose_name = _("statistics cell")
        verbose_name_plural = _("statistics cells")
        constraints = [
            # Also the read index: (scope, grain, node IN children, period IN months) is one range scan per node.
            models.UniqueConstraint(fields=["scope", "grain", "node", "period", "domain"], name="statcell_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}{self.node} {self.grain}{self.period} d{self.domain}"


class StatGauge(models.Model):
    scope = models.CharField(max_length=1, choices=Scope.choices)
    node = models.BigIntegerField()
    domain = models.IntegerField()
    # + one integer column per name in GAUGES, added below

    class Meta:
        verbose_name = _("open-case gauge")
        verbose_name_plural = _("open-case gauges")
        constraints = [models.UniqueConstraint(fields=["scope", "node", "domain"], name="statgauge_key")]

    def __str__(self) -> str:
        return f"{self.scope}{self.node} d{self.domain}"


for _name in CELL_COUNTERS:
    StatCell.add_to_class(_name, _counter(_name))
for _name in GAUGES:
    StatGauge.add_to_class(_name, models.IntegerField(default=0, db_default=0))


class WatchedCase(models.Model):
    """An open case that is overdue now or under 督办: the red lists of every dashboard, kept by the rollup hook so
    a county page lists them without scanning the open cases. A row exists only while the case is watched."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    region_path = models.CharField(max_length=64)
    domain = models.IntegerField()
    department = models.IntegerField(default=0)  # 0: not with a department
    overdue = models.BooleanField(default=False)
    supervision = models.CharField(max_length=8, blank=True)  # "", normal, yellow, red
    due_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("watched case")
        verbose_name_plural = _("watched cases")
        indexes = [
            models.Index(fields=["region_path"], name="watched_path", opclasses=["varchar_pattern_ops"]),
            # Red lists are "most overdue first": a county-wide list reads this index in order and stops at N.
            models.Index(fields=["due_at"], name="watched_due"),
            # The 督办 list reads one level at a time in (due_at, case) order: with the level first and the tie-break
            # in the index, it stops at N rows even when many share a deadline (bench/pages_at_scale).
            models.Index(fields=["supervision", "due_at", "case"], name="watched_level_due"),
            models.Index(fields=["due_at", "case"], name="watched_due_case", condition=models.Q(overdue=True)),
        ]


class Profile(models.TextChoices):
    REGION = "region", _("Region (乡镇/村居/网格)")
    DEPARTMENT = "department", _("Department (职能部门)")
    GRID_WORKER = "grid_worker", _("Grid worker (网格员)")


class KpiWeight(models.Model):
    """One term of a composite score (综合指标值): profile × KPI → weight. Editable in the admin; weights of a
    profile are normalised over the KPIs that have data, so a unit with no 核实 work is not punished for it.

    `bands` turns a count into a score (立案数分值): [[upper_bound_exclusive, score], …, [null, score]], applied to
    the count per grid per month when `per_grid_month` is set (domain.md §5: fewer problems score higher)."""

    profile = models.CharField(_("profile"), max_length=20, choices=Profile.choices)
    kpi = models.CharField(_("KPI"), max_length=40)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    bands = models.JSONField(_("count bands"), null=True, blank=True)
    per_grid_month = models.BooleanField(_("bands per grid per month"), default=False)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("KPI weight")
        verbose_name_plural = _("KPI weights")
        ordering = ["profile", "sort", "kpi"]
        constraints = [models.UniqueConstraint(fields=["profile", "kpi"], name="kpiweight_unique")]

    def __str__(self) -> str:
        return f"{self.get_profile_display()} {kpi_label(self.kpi)} {Decimal(str(self.weight or 0)).normalize():f}%"


# ---------------------------------------------------------------- 通报 / 督导


class BulletinKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly bulletin (月度通报)")
    QUARTERLY = "quarterly", _("Quarterly supervision report (季度督导)")


class Bulletin(models.Model):
    """A generated 月度通报 or 季度督导 with its DOCX and XLSX. Regenerating replaces the files in place."""

    kind = models.CharField(_("kind"), max_length=10, choices=BulletinKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive
    title = models.CharField(max_length=120)
    docx = models.FileField(upload_to="bulletins/%Y/", blank=True)
    xlsx = models.FileField(upload_to="bulletins/%Y/", blank=True)
    summary = models.JSONField(default=dict, blank=True)  # rankings and totals, for the archive page and tests
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # None: the scheduled job
    # 文号 (仙网格〔2026〕12号): numbered per region and year of issue when first generated; regenerating keeps it.
    doc_year = models.PositiveSmallIntegerField(_("document year"), null=True, blank=True)
    doc_number = models.PositiveIntegerField(_("document number"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "period_start"], name="bulletin_once_per_period"),
            models.UniqueConstraint(
                fields=["region", "doc_year", "doc_number"],
                condition=models.Q(doc_number__isnull=False),
                name="bulletin_doc_number_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def doc_no(self) -> str:
        """The 文号 as printed, e.g. 仙网格〔2026〕12号 ("" for a bulletin made before numbering)."""
        if not self.doc_number:
            return ""
        return f"{settings.GRIDSAFE_DOC_PREFIX}〔{self.doc_year}〕{self.doc_number}号"


# ---------------------------------------------------------------- 督导日历 (the worker's schedule)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScheduleRun(models.Model):
    """One run of the oversight calendar: a job (月度通报, 季度督导, 信息材料催报, 检查例会提醒) for one period.
    The unique key is the claim: a second tick or a second worker finds the row and does nothing; a failed run is
    retried after a pause, a run whose worker died is taken over once it is stale (dashboards.schedule)."""

    job = models.CharField(_("job"), max_length=40)
    period = models.CharField(_("period"), max_length=60)
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices)
    due_at = models.DateTimeField(_("due at"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("oversight schedule run")
        verbose_name_plural = _("oversight schedule runs")
        ordering = ["-due_at", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="schedulerun_once")]

    def __str__(self) -> str:
        return f"{self.job} {self.period} {self.status}"


# ---------------------------------------------------------------- 季度督导 (supervision visits)


class OversightVisit(models.Model):
    """季度督导 — one supervision visit (督导检查) of the county's 督导组 to a township, village or department: who
    went, where, what they found, what must be rectified by when, and the hazard cases that follow it up."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region visited")
    )
    region_path = models.CharField(max_length=64)
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit visited"),
    )
    visited_on = models.DateField(_("date of the visit"))
    leader_name = models.CharField(_("team leader"), max_length=60)
    team = models.TextField(_("team members"), blank=True)
    places = models.TextField(_("places visited"), blank=True)
    findings = models.TextField(_("findings"))
    requirements = models.TextField(_("rectification required"), blank=True)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="+", verbose_name=_("follow-up cases"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["region_path"], name="oversightvisit_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["visited_on"], name="oversightvisit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} 督导 {self.region_id}"


# ---------------------------------------------------------------- 领导带队检查 / 例会


class ActivityKind(models.TextChoices):
    INSPECTION = "inspection", _("Leader-led inspection (领导带队检查)")
    MEETING = "meeting", _("Meeting (例会)")


class Cadence(models.TextChoices):
    WEEK = "week", _("weekly")
    MONTH = "month", _("monthly")


class CadenceRule(models.Model):
    """领导带队检查 cadence as data (domain.md §1.6): at region level L, `times` activities of `kind` per period."""

    region_level = models.PositiveSmallIntegerField(_("region level"))  # 1 county, 2 township, 3 village
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    cadence = models.CharField(_("cadence"), max_length=5, choices=Cadence.choices)
    times = models.PositiveSmallIntegerField(_("times per period"), default=1)
    title = models.CharField(_("name"), max_length=60)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["region_level", "kind"]
        constraints = [models.UniqueConstraint(fields=["region_level", "kind"], name="cadence_once_per_level")]

    def __str__(self) -> str:
        return f"{self.title}（{level_name(self.region_level)}，{self.get_cadence_display()} {self.times} 次）"


class LeaderActivity(models.Model):
    """One inspection led by a leader, or one meeting, held by the unit of a county, township or village node."""

    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=120)
    held_at = models.DateTimeField(_("held at"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_name = models.CharField(_("leader"), max_length=60)
    grids = models.ManyToManyField("regions.Region", blank=True, related_name="+", verbose_name=_("grids inspected"))
    attendees = models.TextField(_("attendees"), blank=True)
    minutes = models.TextField(_("minutes / findings summary"), blank=True)
    findings = models.ManyToManyField("cases.Case", blank=True, related_name="+", verbose_name=_("hazards found"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("leader activity")
        verbose_name_plural = _("leader activities")
        ordering = ["-held_at", "-id"]
        indexes = [
            models.Index(fields=["region_path"], name="activity_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "held_at"], name="activity_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.held_at:%Y-%m-%d} {self.title}"


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(LeaderActivity, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(upload_to="inspections/%Y/%m/")
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


# ---------------------------------------------------------------- 信息材料


class ReportQuota(models.Model):
    """Which units must send 信息材料 and how many a month (domain.md §1.7: at least 2)."""

    unit_kind = models.CharField(_("unit kind"), max_length=12)
    region_level = models.PositiveSmallIntegerField(_("region level of the unit"))
    minimum = models.PositiveSmallIntegerField(_("minimum per month"), default=2)

    class Meta:
        verbose_name = _("information report quota")
        verbose_name_plural = _("information report quotas")
        constraints = [models.UniqueConstraint(fields=["unit_kind", "region_level"], name="reportquota_unique")]

    def __str__(self) -> str:
        kind = UnitKind(self.unit_kind).label if self.unit_kind in UnitKind.values else self.unit_kind
        return f"{level_name(self.region_level)}{kind}：每月至少 {self.minimum} 篇"


class InfoReport(models.Model):
    """信息材料: an experience or good-practice write-up a responsible unit sends to the county centre."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # first day of the month it counts for
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("information report")
        verbose_name_plural = _("information reports")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["unit", "month"], name="inforeport_unit_month")]

    def __str__(self) -> str:
        return self.title


class ReminderLog(models.Model):
    """One reminder round per (unit, month, stage): the periodic job is safe to run twice."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stage = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "month", "stage"], name="reminder_once")]


class DisplaySession(models.Model):
    """A wall display's own sign-in for the big screen (大屏显示会话): long-lived, read-only, one region.

    Issued and revoked by an administrator in the admin (dashboards.display). The secret is shown once, as the URL
    /screen/display/<secret>/, which sets the display cookie; only its SHA-256 is kept. The display opens the big
    screen of its region and the screen's feeds, nothing else. It does not end by idleness but at `expires_at` or
    when revoked; a revocation is seen at the next poll."""

    name = models.CharField("名称", max_length=100, help_text="例如：县网格化服务管理中心大厅大屏")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="显示区划")
    secret_hash = models.CharField("密钥摘要", max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="签发人",
        editable=False,
    )
    created_at = models.DateTimeField("签发时间", editable=False)
    last_seen_at = models.DateTimeField("最近访问", null=True, blank=True, editable=False)
    expires_at = models.DateTimeField("到期时间")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="吊销人",
        editable=False,
    )

    class Meta:
        verbose_name = "大屏显示会话"
        verbose_name_plural = "大屏显示会话"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def is_valid(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
