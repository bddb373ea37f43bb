"""API schemas: explicit In/Out per endpoint, never a model."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from gridsafe.core.input import FutureDay, FutureMoment, InputSchema, Moment


class CaseReportIn(InputSchema):
    client_id: UUID = Field(description="Generated on the device when work starts; resends are idempotent")
    category: str = Field(description="Hazard category code", max_length=64)
    description: str = Field(min_length=1, max_length=4000)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"
    accuracy_m: float | None = Field(default=None, ge=0)
    place_id: int | None = None
    severity: Literal["general", "major"] | None = None
    urgent: bool | None = None
    address: str = Field(default="", max_length=200)
    source: Literal["hotline", "video", "department", "leader", "walk_in"] | None = Field(
        default=None,
        description="Desk and leaders only: the channel the report came in by. Otherwise the server decides "
        "from the channel and role; a claim the role may not make is 422",
    )


class UnitOut(Schema):
    id: int
    name: str
    kind: str


class CaseOut(Schema):
    id: int
    client_id: UUID
    version: int
    category: str
    category_name: str
    domain: str
    grade: str
    urgent: bool
    source: str
    description: str
    address: str
    lon: float
    lat: float
    region_code: str
    region_name: str
    region_path: str
    state: str
    state_label: str
    closure: str
    level: int
    holder_unit: UnitOut
    department_id: int | None
    handler_id: int | None
    step: str
    due_at: datetime | None
    original_due_at: datetime | None
    light: str
    supervision: str
    extension_pending: bool
    rework_count: int
    reopen_count: int
    location_flags: list[str]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CasePage(Schema):
    items: list[CaseOut]
    total: int = Field(description="匹配的隐患数：10 000 以内为精确值；超过时为 10001，且 total_capped 为 true")
    total_capped: bool = Field(description="total 已封顶（匹配的隐患多于 10 000 条）")
    has_more: bool = Field(description="本页之后还有下一页")
    limit: int
    offset: int


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    action: str
    actor_label: str
    from_state: str
    to_state: str
    from_level: int | None
    to_level: int | None
    holder_unit_id: int | None
    comment: str
    payload: dict
    due_at: datetime | None
    created_at: datetime
    attachment_ids: list[int]


class AttachmentOut(Schema):
    id: int
    client_id: UUID
    role: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    event_id: int | None
    captured_at: datetime | None
    url: str
    thumbnail_url: str | None
    created_at: datetime


class SupervisionOut(Schema):
    id: int
    level: str
    automatic: bool
    instruction: str
    issued_at: datetime
    reply_due: datetime
    reply: str
    replied_at: datetime | None


class CasePartOut(Schema):
    """协办: a co-handling department's part of the case."""

    department_id: int
    department: str
    state: str = Field(description="dispatched, handling, reported or withdrawn")
    state_label: str
    report: str
    reported_at: datetime | None


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    parts: list[CasePartOut] = Field(description="协办 departments of the current dispatch")
    with_worker_id: int | None = Field(description="退回核实/补充: the grid worker asked; the step clock is paused")
    handle_due_at: datetime | None = Field(description="The 处置 deadline the dispatch set, if any")
    attachments: list[AttachmentOut]
    supervisions: list[SupervisionOut]
    allowed_actions: list[str]
    overdue_steps: list[dict]
    master_id: int | None
    external_body: str
    external_ref: str
    place_id: int | None
    cc_paths: list[str]


# ---- action bodies: every one carries the version seen and a request id (one per tap, so a retry is a repeat)


class ActionIn(InputSchema):
    version: int = Field(ge=1, description="The case version you saw; a stale one is 409")
    request_id: UUID = Field(description="One UUID per user action; a retry with the same id is answered once")


class CaseAssignIn(ActionIn):
    handler_id: int | None = None
    comment: str = ""


class CaseEscalateIn(ActionIn):
    reason: str
    target_level: int | None = Field(default=None, ge=2, le=3)


class CaseDispatchIn(ActionIn):
    department_id: int | None = Field(default=None, description="The lead department (主办); default by category")
    comment: str = ""
    co_department_ids: list[int] = Field(default=[], max_length=5, description="Co-handling departments (协办)")
    due_at: FutureMoment | None = Field(
        default=None, description="The 处置 deadline (派遣时限); default: the category's time limit from 签收"
    )


class CaseStartIn(ActionIn):
    comment: str = ""


class CaseReturnIn(ActionIn):
    reason_code: Literal["not_our_duty", "incomplete", "wrong_location", "wrong_category", "other"]
    reason: str


class CaseSubmitIn(ActionIn):
    method: Literal["rectified", "banned", "stopped", "demolished", "removed"]
    measures: str
    attachment_ids: list[int] = Field(max_length=50)
    completed_at: Moment | None = None
    five_implementations: dict[str, str] | None = Field(default=None, max_length=10)


class CaseVerifyPassIn(ActionIn):
    comment: str = ""
    attachment_ids: list[int] = Field(default=[], max_length=50)
    lon: float | None = None
    lat: float | None = None


class CaseVerifyFailIn(ActionIn):
    reason: str
    attachment_ids: list[int] = Field(default=[], max_length=50)


class CaseRequestExtensionIn(ActionIn):
    requested_due: FutureMoment = Field(description="At most 5 years ahead")
    reason: str


class CaseApproveExtensionIn(ActionIn):
    comment: str = ""


class CaseRejectExtensionIn(ActionIn):
    reason: str


class CaseSuspendIn(ActionIn):
    reason: str
    review_date: FutureDay = Field(description="At most 5 years ahead")


class CaseResumeIn(ActionIn):
    comment: str = ""


class CaseVoidIn(ActionIn):
    reason_code: Literal["not_hazard", "false_report", "out_of_scope"]
    reason: str


class CaseMergeIn(ActionIn):
    master_id: int
    comment: str = ""


class CaseTransferIn(ActionIn):
    external_body: str = Field(max_length=100)
    external_ref: str = Field(max_length=60)
    comment: str = ""


class CaseReopenIn(ActionIn):
    reason: str


class CaseSuperviseIn(ActionIn):
    level: Literal["normal", "yellow", "red"]
    instruction: str


class CaseReplySupervisionIn(ActionIn):
    reply: str


class CaseUrgeIn(ActionIn):
    comment: str


class CaseCommentIn(ActionIn):
    comment: str
    attachment_ids: list[int] = Field(default=[], max_length=50)


class CaseRegradeIn(ActionIn):
    grade: Literal["general", "major"]
    basis: str = Field(description="判定依据: the standard, clause and item the grade rests on", max_length=500)


class CaseRequestInfoIn(ActionIn):
    reason: str = Field(max_length=2000, description="What to re-check or add (退回核实/补充)")
    worker_id: int | None = Field(default=None, description="Default: the reporting grid worker, else the grid's")


class CaseSupplyInfoIn(ActionIn):
    answer: str = Field(max_length=2000)
    attachment_ids: list[int] = Field(default=[], max_length=50)


class CaseAssistStartIn(ActionIn):
    comment: str = ""


class CaseAssistReportIn(ActionIn):
    report: str = Field(max_length=2000, description="What the co-handling department did (协办反馈)")
    attachment_ids: list[int] = Field(default=[], max_length=50)


class CaseCorrectIn(ActionIn):
    reason: str = Field(max_length=500, description="Why the category or location is corrected (更正理由)")
    category: str | None = Field(default=None, max_length=64)
    lon: float | None = Field(default=None, ge=-180, le=180, description="WGS-84")
    lat: float | None = Field(default=None, ge=-90, le=90)
    address: str | None = Field(default=None, max_length=200)


ACTION_SCHEMAS = {
    "assign": CaseAssignIn,
    "escalate": CaseEscalateIn,
    "dispatch": CaseDispatchIn,
    "start": CaseStartIn,
    "return": CaseReturnIn,
    "submit": CaseSubmitIn,
    "verify_pass": CaseVerifyPassIn,
    "verify_fail": CaseVerifyFailIn,
    "request_extension": CaseRequestExtensionIn,
    "approve_extension": CaseApproveExtensionIn,
    "reject_extension": CaseRejectExtensionIn,
    "suspend": CaseSuspendIn,
    "resume": CaseResumeIn,
    "void": CaseVoidIn,
    "merge": CaseMergeIn,
    "transfer": CaseTransferIn,
    "reopen": CaseReopenIn,
    "supervise": CaseSuperviseIn,
    "reply_supervision": CaseReplySupervisionIn,
    "urge": CaseUrgeIn,
    "comment": CaseCommentIn,
    "regrade": CaseRegradeIn,
    "request_info": CaseRequestInfoIn,
    "supply_info": CaseSupplyInfoIn,
    "assist_start": CaseAssistStartIn,
    "assist_report": CaseAssistReportIn,
    "correct": CaseCorrectIn,
}
