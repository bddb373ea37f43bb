"""重大隐患 under 16号令 (MajorHazard, its append-only MajorHazardEvent) and the enterprise's own part (双重预防):
enterprise accounts' self-inspections (SelfInspection, SelfFinding) and what they record on a case (EnterpriseRecord).

Every write goes through hazards/services.py; these models hold single-row rules only."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridsafe.core.models import AppendOnlyModel
from gridsafe.hazards.transitions import PUBLISHED_STATES, MajorAction, MajorState


class StopOrder(models.TextChoices):
    NONE = "", _("None (无)")
    FULL = "full", _("Full stop of production or use (全部停产停用)")
    PARTIAL = "partial", _("Partial stop (局部停产停用)")


PLAN_PARTS: tuple[tuple[str, str], ...] = (
    ("goal", "治理的目标和任务"),
    ("methods", "采取的方法和措施"),
    ("funds", "经费和物资的落实"),
    ("organisation", "负责治理的机构和人员"),
    ("deadline", "治理的时限和要求"),
    ("safety", "安全措施"),
    ("emergency", "应急预案"),
)
FIVE_PARTS: tuple[tuple[str, str], ...] = (
    ("responsibility", "责任"),
    ("measures", "措施"),
    ("funds", "资金"),
    ("deadline", "时限"),
    ("plan", "预案"),
)


class MajorHazardQuerySet(models.QuerySet["MajorHazard"]):
    def published(self):
        """What the county publishes (挂牌督办中 and 已销号): never a confirmed case not yet listed."""
        return self.filter(state__in=PUBLISHED_STATES)


class MajorHazard(models.Model):
    """The 16号令 process of one 重大 case: 挂牌督办 → 治理方案 → 停产停用 → 进展 → 评估 → 销号. One per case."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="major_hazard", verbose_name=_("hazard case")
    )
    state = models.CharField(_("state"), max_length=12, choices=MajorState.choices, default=MajorState.CONFIRMED)
    version = models.PositiveIntegerField(_("version"), default=1)
    basis = models.CharField(_("basis for the major grade"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"))
    # 挂牌督办
    notice_year = models.PositiveSmallIntegerField(_("notice year"), null=True, blank=True)
    notice_seq = models.PositiveIntegerField(_("notice number in the year"), null=True, blank=True)
    notice_no = models.CharField(_("notice number (文号)"), max_length=40, blank=True)
    supervising_body = models.CharField(_("supervising body"), max_length=60, blank=True)
    lead_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lead unit"),
    )
    public_title = models.CharField(_("published hazard title"), max_length=120, blank=True)
    rectify_by = models.DateField(_("rectification deadline"), null=True, blank=True)
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    # 治理方案 (seven parts, PLAN_PARTS), 停产停用, 五落实 (FIVE_PARTS)
    plan = models.JSONField(_("rectification plan"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    planned_at = models.DateTimeField(_("plan recorded at"), null=True, blank=True)
    funds_wan = models.DecimalField(_("rectification funds (10k yuan)"), max_digits=10, decimal_places=2, default=0)
    stop_order = models.CharField(_("stop order"), max_length=8, choices=StopOrder.choices, blank=True)
    stop_scope = models.CharField(_("scope of the stop order"), max_length=200, blank=True)
    five = models.JSONField(_("five implementations (五落实)"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # 评估 and 销号
    evaluator = models.CharField(_("evaluating body"), max_length=100, blank=True)
    evaluation = models.TextField(_("evaluation conclusion"), blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("written off at (销号)"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written off by"),
    )

    objects = MajorHazardQuerySet.as_manager()

    class Meta:
        verbose_name = _("major hazard (重大隐患)")
        verbose_name_plural = _("major hazards (重大隐患)")
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice_year", "notice_seq"],
                condition=models.Q(notice_seq__isnull=False),
                name="majorhazard_notice_once",
            )
        ]

    def __str__(self) -> str:
        return self.notice_no or f"重大隐患 #{self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.state not in (MajorState.CLOSED, MajorState.WITHDRAWN)

    def plan_rows(self) -> list[tuple[str, str]]:
        return [(label, str(self.plan.get(key, ""))) for key, label in PLAN_PARTS]

    def five_rows(self) -> list[tuple[str, str]]:
        return [(label, str(self.five.get(key, ""))) for key, label in FIVE_PARTS]


class MajorHazardEvent(AppendOnlyModel):
    """One step of a major hazard's process: who, when, what (payload keeps the values, attachment ids)."""

    hazard = models.ForeignKey(
        MajorHazard, on_delete=models.PROTECT, related_name="events", verbose_name=_("major hazard")
    )
    request_id = models.UUIDField(_("request ID"))
    action = models.CharField(_("action"), max_length=16, choices=MajorAction.choices)
    from_state = models.CharField(_("from state"), max_length=12, blank=True)
    to_state = models.CharField(_("to state"), max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=100)
    comment = models.TextField(_("comment"), blank=True)
    payload = models.JSONField(_("details"), default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("major hazard step")
        verbose_name_plural = _("major hazard steps")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["hazard", "request_id"], name="majorhazardevent_once")]


class SelfInspection(models.Model):
    """企业自查 — an enterprise's safety officer answers its domain checklist at one of its places. Failed items are
    its own findings (SelfFinding); nothing here moves the grid worker's inspection schedule."""

    client_id = models.UUIDField(_("client ID"), unique=True)
    client_fingerprint = models.CharField(max_length=64)
    enterprise = models.ForeignKey(
        "places.Enterprise", on_delete=models.PROTECT, related_name="self_inspections", verbose_name=_("enterprise")
    )
    place = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="self_inspections", verbose_name=_("supervised place")
    )
    template = models.ForeignKey(
        "field.ChecklistTemplate", on_delete=models.PROTECT, related_name="+", verbose_name=_("checklist")
    )
    template_version = models.PositiveIntegerField(_("checklist version"))
    answers = models.JSONField(_("answers"), default=list)
    score = models.FloatField(_("score"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("inspector")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("self-inspection (企业自查)")
        verbose_name_plural = _("self-inspections (企业自查)")
        ordering = ["-inspected_at", "-id"]
        indexes = [models.Index(fields=["place", "-inspected_at"], name="selfinspection_place_recent")]

    def __str__(self) -> str:
        return f"{self.place} {self.inspected_at:%Y-%m-%d}"


class FindingState(models.TextChoices):
    OPEN = "open", _("Open (待整改)")
    RECTIFIED = "rectified", _("Rectified (已整改)")


class SelfFinding(models.Model):
    """A hazard the enterprise found itself (its 隐患台账). `reported`: it asked the grid to register it as a case."""

    inspection = models.ForeignKey(
        SelfInspection, on_delete=models.PROTECT, related_name="findings", verbose_name=_("self-inspection")
    )
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    code = models.CharField(_("item code"), max_length=40)
    question = models.CharField(_("checklist item"), max_length=300)
    severity = models.CharField(_("severity"), max_length=20)
    note = models.TextField(_("note"), blank=True)
    reported = models.BooleanField(_("reported to the grid"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=FindingState.choices, default=FindingState.OPEN)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    rectification = models.TextField(_("rectification"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # The hazard case the station or centre registered from this reported finding (登记为隐患), once.
    case = models.OneToOneField(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_finding",
        verbose_name=_("registered hazard case"),
    )

    class Meta:
        verbose_name = _("self-inspection finding")
        verbose_name_plural = _("self-inspection findings")
        ordering = ["state", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.question}"


class RecordKind(models.TextChoices):
    EVIDENCE = "evidence", _("Rectification evidence (整改佐证)")
    FIVE = "five", _("Five implementations (五落实)")


class EnterpriseRecord(AppendOnlyModel):
    """What an enterprise recorded on one of its cases: rectification evidence (photos in the case's attachments)
    or its 五落实 for a major hazard. Grid workers and departments read them on the case page."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="enterprise_records", verbose_name=_("hazard case")
    )
    enterprise = models.ForeignKey(
        "places.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    request_id = models.UUIDField(_("request ID"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=RecordKind.choices)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, encoder=DjangoJSONEncoder)
    attachment_ids = models.JSONField(_("attachments"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    actor_label = models.CharField(_("actor name"), max_length=100)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("enterprise record")
        verbose_name_plural = _("enterprise records")
        ordering = ["created_at", "id"]

    def five_rows(self) -> list[tuple[str, str]]:
        return (
            [(label, str(self.data.get(key, ""))) for key, label in FIVE_PARTS] if self.kind == RecordKind.FIVE else []
        )
