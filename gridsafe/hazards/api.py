"""The hazards app's API under /api/v1/hazards/: the major hazards a user sees, one with its steps, the steps
themselves (the page's services), and the public notice list (no login, no personal data)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Router, Schema

from gridsafe.core.input import BigInt, Id, InputSchema
from gridsafe.core.paging import API_COUNT_CAP, capped_count, page_window
from gridsafe.core.problem import Problem
from gridsafe.hazards import services
from gridsafe.hazards.models import MajorHazard
from gridsafe.hazards.permissions import get_major_hazard_for_user, major_hazards_visible_to
from gridsafe.hazards.transitions import MajorState

router = Router(tags=["hazards"])
ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


class MajorHazardOut(Schema):
    id: int
    case_id: int
    state: str
    state_label: str = Field(alias="get_state_display")
    version: int
    basis: str
    notice_no: str
    supervising_body: str
    public_title: str
    rectify_by: date | None
    listed_at: datetime | None
    plan: dict[str, str]
    funds_wan: Decimal
    stop_order: str
    stop_scope: str
    five: dict[str, str]
    evaluator: str
    evaluation: str
    evaluated_at: datetime | None
    closed_at: datetime | None


class MajorHazardStepOut(Schema):
    action: str
    action_label: str = Field(alias="get_action_display")
    from_state: str
    to_state: str
    actor_label: str
    comment: str
    payload: dict
    created_at: datetime


class MajorHazardDetailOut(MajorHazardOut):
    steps: list[MajorHazardStepOut]


class MajorHazardPage(Schema):
    items: list[MajorHazardOut]
    total: int
    has_more: bool


class PublicNoticeOut(Schema):
    notice_no: str
    title: str
    domain: str
    unit: str = Field(description="责任单位（企业名称），无个人信息")
    supervising_body: str
    listed_at: datetime | None
    rectify_by: date | None
    state: str
    closed_at: datetime | None


@router.get("/major", response={200: MajorHazardPage, **ERRORS}, operation_id="major_hazards_visible_to")
def major_list(request, state: str = "", limit: BigInt = 50, offset: BigInt = 0):
    """The major hazards in the user's 辖区 (an enterprise account: its own), newest first."""
    qs = major_hazards_visible_to(request.user)
    if state in MajorState.values:
        qs = qs.filter(state=state)
    limit, offset = page_window(limit, offset, max_limit=200)
    rows = list(qs[offset : offset + limit + 1])
    return {"items": rows[:limit], "total": capped_count(qs, API_COUNT_CAP), "has_more": len(rows) > limit}


def _detail(hazard: MajorHazard) -> MajorHazard:
    hazard.steps = list(hazard.events.all())  # type: ignore[attr-defined]
    return hazard


@router.get("/major/{hazard_id}", response={200: MajorHazardDetailOut, **ERRORS}, operation_id="major_hazard_detail")
def major_detail(request, hazard_id: Id):
    return _detail(get_major_hazard_for_user(request.user, hazard_id))


class StepIn(InputSchema):
    version: int
    request_id: UUID


class ListIn(StepIn):
    supervising_body: str = Field(max_length=60)
    public_title: str = Field(max_length=120)
    rectify_by: date
    lead_unit_id: int | None = None


class PlanIn(StepIn):
    plan: dict[str, str]
    funds_wan: Decimal = Decimal("0")


class StopIn(StepIn):
    order: Literal["", "full", "partial"]
    scope: str = ""


class FiveIn(StepIn):
    five: dict[str, str]


class ProgressIn(StepIn):
    text: str
    percent: int | None = None
    attachment_ids: list[int] = []


class EvaluateIn(StepIn):
    evaluator: str = Field(max_length=100)
    conclusion: str = Field(max_length=4000)
    attachment_ids: list[int]


def _common(request, hazard_id: Id, body: StepIn) -> dict:
    hazard = get_major_hazard_for_user(request.user, hazard_id)
    return {"hazard": hazard, "actor": request.user, "expected_version": body.version, "request_id": body.request_id}


@router.post("/major/{hazard_id}/actions/list", response={200: MajorHazardDetailOut, **ERRORS},
             operation_id="major_hazard_list")  # fmt: skip
def act_list(request, hazard_id: Id, body: ListIn):
    """挂牌督办 — the notice with its 文号."""
    return _detail(services.major_hazard_list(
        **_common(request, hazard_id, body), supervising_body=body.supervising_body, public_title=body.public_title,
        rectify_by=body.rectify_by, lead_unit_id=body.lead_unit_id,
    ))  # fmt: skip


@router.post("/major/{hazard_id}/actions/plan", response={200: MajorHazardDetailOut, **ERRORS},
             operation_id="major_hazard_plan")  # fmt: skip
def act_plan(request, hazard_id: Id, body: PlanIn):
    """治理方案 — keys goal, methods, funds, organisation, deadline, safety, emergency (all required)."""
    return _detail(services.major_hazard_plan(**_common(request, hazard_id, body), plan=body.plan,
                                              funds_wan=body.funds_wan))  # fmt: skip


@router.post("/major/{hazard_id}/actions/stop", response={200: MajorHazardDetailOut, **ERRORS},
             operation_id="major_hazard_stop")  # fmt: skip
def act_stop(request, hazard_id: Id, body: StopIn):
    """停产停用 — full, partial (with scope) or "" (lifted)."""
    return _detail(services.major_hazard_stop(**_common(request, hazard_id, body), order=body.order, scope=body.scope))


@router.post("/major/{hazard_id}/actions/five", response={200: MajorHazardDetailOut, **ERRORS},
             operation_id="major_hazard_five")  # fmt: skip
def act_five(request, hazard_id: Id, body: FiveIn):
    """五落实 — keys responsibility, measures, funds, deadline, plan (all required)."""
    return _detail(services.major_hazard_five(**_common(request, hazard_id, body), five=body.five))


@router.post("/major/{hazard_id}/actions/progress", response={200: MajorHazardDetailOut, **ERRORS},
             operation_id="major_hazard_progress")  # fmt: skip
def act_progress(request, hazard_id: Id, body: ProgressIn):
    """进展报告 — photos are uploaded first to the case (POST /api/v1/cases/{id}/attachments)."""
    return _detail(services.major_hazard_progress(**_common(request, hazard_id, body), text=body.text,
                                                  percent=body.percent, attachment_ids=body.attachment_ids))  # fmt: skip


@router.post("/major/{hazard_id}/actions/evaluate", response={200: MajorHazardDetailOut, **ERRORS},
             operation_id="major_hazard_evaluate")  # fmt: skip
def act_evaluate(request, hazard_id: Id, body: EvaluateIn):
    """评估 — the evaluation report uploaded first to the case; then the department lead's 核查通过 is the 销号."""
    return _detail(services.major_hazard_evaluate(
        **_common(request, hazard_id, body), evaluator=body.evaluator, conclusion=body.conclusion,
        attachment_ids=body.attachment_ids,
    ))  # fmt: skip


@router.get("/public", response=list[PublicNoticeOut], auth=None, operation_id="major_hazards_published")
def public(request):
    """重大事故隐患挂牌督办公示 — no login; what the county publishes, never a person."""
    rows = (
        MajorHazard.objects.published()
        .select_related("case__place__enterprise", "case__domain")
        .order_by("-listed_at", "-id")[:500]
    )
    return [
        {
            "notice_no": h.notice_no,
            "title": h.public_title,
            "domain": h.case.domain.name,
            "unit": h.case.place.enterprise.name if h.case.place is not None and h.case.place.enterprise else "",
            "supervising_body": h.supervising_body,
            "listed_at": h.listed_at,
            "rectify_by": h.rectify_by,
            "state": h.get_state_display(),
            "closed_at": h.closed_at,
        }  # fmt: skip
        for h in rows
    ]
