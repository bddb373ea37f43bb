from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    GENERAL = "general", _("General hazard (一般)")
    MAJOR = "major", _("Major hazard (重大)")


class Step(models.TextChoices):
    """Steps of the loop that carry their own time limit (domain.md §4)."""

    REVIEW_VILLAGE = "review_village", _("Village review (村研判)")
    REVIEW_TOWNSHIP = "review_township", _("Township review and notice (乡镇研判+通报)")
    REVIEW_COUNTY = "review_county", _("County review and transfer (县审核转送)")
    SIGN = "sign", _("Sign for dispatch (签收)")
    HANDLE = "handle", _("Handling (处置)")
    VERIFY = "verify", _("Verification (核查)")
    SUPERVISION_REPLY = "supervision_reply", _("Supervision reply (督办回复)")


class LimitUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes (分钟)")
    WORK_HOURS = "work_hours", _("working hours (工作时)")
    WORK_DAYS = "work_days", _("working days (工作日)")
    DAYS = "days", _("calendar days (自然日)")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent or major (紧急/重大)")


class Domain(models.Model):
    """A supervised sector (领域/模块): 消防安全, 液化气 … More of the county's 23 sectors are rows, not code."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    pilot = models.BooleanField(_("pilot domain"), default=False)
    sort = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A hazard category (隐患小类) with its default grade, urgency and responsible department."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="categories", verbose_name=_("domain"))
    default_grade = models.CharField(_("default grade"), max_length=10, choices=Grade.choices, default=Grade.GENERAL)
    urgent = models.BooleanField(_("urgent category"), default=False)
    department = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible county department"),
    )
    keywords = models.CharField(_("search keywords"), max_length=200, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("hazard category")
        verbose_name_plural = _("hazard categories")
        ordering = ["domain__sort", "sort", "code"]

    def __str__(self) -> str:
        return self.name


class DepartmentRouting(Category):
    """The category → department routing table (派遣路由): the same rows as Category, shown in the admin as one
    table of each category's county department (a township dispatches by the domains of its own units)."""

    class Meta:
        proxy = True
        verbose_name = _("category routing")
        verbose_name_plural = _("category → department routing")


class TimeLimit(models.Model):
    """时限: (category or any) × urgency × step → amount in a unit. A category row beats the default row."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
        verbose_name=_("category (empty: default)"),
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=12, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency", "step"], name="timelimit_unique_key"),
            models.UniqueConstraint(
                fields=["urgency", "step"], condition=models.Q(category__isnull=True), name="timelimit_unique_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '默认'} {self.get_urgency_display()} {self.get_step_display()}: {self.amount} {self.get_unit_display()}"


class WorkCalendarDay(models.Model):
    """An exception to Monday–Friday: a statutory holiday on a weekday, or a 调休 make-up working weekend day."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, default="seed")  # seed (chinese_calendar) or admin

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.note}"


class CalendarYear(models.Model):
    """A year whose State Council schedule is loaded. Deadlines in a year without one raise an alarm."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    published = models.BooleanField(_("schedule published"), default=True)
    source = models.CharField(_("source"), max_length=40, default="chinese_calendar")

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
