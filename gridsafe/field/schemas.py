"""API schemas of the field app: explicit In/Out per endpoint, never a model."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from gridsafe.core.input import InputSchema, Moment
from gridsafe.places.api import PlaceOut


class CaseBriefOut(Schema):
    id: int
    version: int
    category: str
    category_name: str
    state: str
    state_label: str
    grade: str
    description: str
    address: str
    lon: float
    lat: float
    place_id: int | None
    region_code: str
    light: str
    due_at: datetime | None
    created_at: datetime
    mine: bool


class NearbyCaseOut(CaseBriefOut):
    distance_m: int
    thumbnails: list[str]


class PhotoRefOut(Schema):
    id: int
    role: str
    thumbnail_url: str | None
    url: str
    captured_at: datetime | None


class VerificationTaskOut(CaseBriefOut):
    before: list[PhotoRefOut]
    after: list[PhotoRefOut]
    measures: str
    submitted_by: str
    submitted_at: datetime | None


class ReviewerMessageOut(Schema):
    event_id: int
    kind: str
    kind_label: str
    comment: str
    reason_label: str
    actor_label: str
    created_at: datetime
    case: CaseBriefOut
    case_open: bool
    waiting: bool = Field(default=False, description="退回核实/补充 that still waits for this worker's answer")


class WeekGridOut(Schema):
    id: int
    code: str
    name: str
    village: str
    patrolled: bool = Field(description="At least one patrol this week that meets the county's patrol rule")
    patrols: int = Field(description="Patrols this week that count toward coverage")
    short_patrols: int = Field(default=0, description="Patrols this week that ended short of the patrol rule")
    nothing_found: bool
    last_patrol_at: datetime | None


class WorkerOut(Schema):
    id: int
    name: str
    label: str


class WeekOut(Schema):
    week_start: datetime
    week_end: datetime
    now: datetime
    worker: WorkerOut
    grids: list[WeekGridOut]
    active_patrol: str | None
    places_due: list[PlaceOut]
    places_overdue: list[PlaceOut]
    my_open_reports: list[CaseBriefOut]
    my_open_count: int
    verification_tasks: list[VerificationTaskOut]
    messages: list[ReviewerMessageOut]


class ChecklistItemOut(Schema):
    code: str
    question: str
    applies_to: list[str]
    severity: str
    legal_basis: str
    category: str
    category_name: str
    photo_required_on_fail: bool
    na_allowed: bool
    weight: int


class ChecklistOut(Schema):
    id: int
    domain: str
    place_kind: str
    version: int
    title: str
    items: list[ChecklistItemOut]


class FindingOut(Schema):
    case_id: int
    category_name: str
    state: str
    state_label: str
    item_code: str
    created_at: datetime


class RegisterRiskOut(Schema):
    name: str
    grade: str
    grade_label: str
    measures: str


class RegisterDeadlineOut(Schema):
    label: str
    due_on: str
    expired: bool


class PlaceRegisterOut(Schema):
    """The object's register card (台账) on a visit: domain facts as [label, text], hazard flags, risk points,
    licence and inspection deadlines."""

    facts: list[list[str]] = []
    flags: list[str] = []
    risk_points: list[RegisterRiskOut] = []
    deadlines: list[RegisterDeadlineOut] = []


class VisitHistoryOut(Schema):
    visited_at: datetime
    result: str
    result_label: str
    worker: str
    cases: int


class SyncPlaceOut(PlaceOut):
    open_findings: list[FindingOut]
    register_card: PlaceRegisterOut = PlaceRegisterOut()
    history: list[VisitHistoryOut] = []


class SyncGridOut(Schema):
    id: int
    code: str
    name: str
    village: str
    center: list[float | None]
    geometry: dict | None
    geometry_version: int


class SyncCategoryOut(Schema):
    code: str
    name: str
    domain: str
    domain_name: str
    keywords: str
    default_grade: str


class SyncDomainOut(Schema):
    code: str
    name: str


class SyncSettingsOut(Schema):
    track_retention_days: int
    poor_accuracy_m: int
    outside_grid_m: int
    patrol_min_minutes: int = Field(default=20, description="The county's patrol rule: minutes inside the grid")
    patrol_min_distance_m: int = Field(default=500, description="The county's patrol rule: metres inside the grid")
    nearby_radius_m: int


class SyncLabelsOut(Schema):
    """The server's names for stored values, from the one catalogue the pages, exports and admin use: the field app
    shows these, never a table of its own."""

    states: dict[str, str] = Field(description="Case state → name (待研判, 已派遣 …)")
    place_kinds: dict[str, str] = Field(description="Place kind → name")
    risk_levels: dict[str, str] = Field(description="Place risk level → name")
    location_flags: dict[str, str] = Field(description="Location flag → name")


class SyncWorkerOut(Schema):
    id: int
    name: str
    role: str


class SyncBundleOut(Schema):
    version: str = Field(description="Content hash; also the ETag")
    generated_at: datetime
    grids: list[SyncGridOut]
    places: list[SyncPlaceOut]
    checklists: list[ChecklistOut]
    domains: list[SyncDomainOut]
    categories: list[SyncCategoryOut]
    open_cases: list[CaseBriefOut]
    verification_tasks: list[VerificationTaskOut]
    returned: list[ReviewerMessageOut]
    settings: SyncSettingsOut
    labels: SyncLabelsOut
    worker: SyncWorkerOut


# ---- 我的上报: the reports I made, open and closed


class ReportLineOut(Schema):
    kind: str = Field(description="The event's registered kind, e.g. case.supervised")
    kind_label: str
    actor_label: str
    comment: str
    detail: str = Field(description="Reason, rectification method, 督办 level … as labels")
    state_text: str = Field(description="The state it moved the case to (closed names how), or empty")
    created_at: datetime


class MyReportOut(Schema):
    id: int
    category_name: str
    description: str
    address: str
    state: str
    status_text: str = Field(description="已结案·已整改销号, 处置中 …: closed never means fixed")
    is_open: bool
    closure: str
    light: str
    supervision: str
    supervision_label: str
    created_at: datetime
    closed_at: datetime | None
    last_event: ReportLineOut | None


class MyReportPage(Schema):
    items: list[MyReportOut]
    total: int
    open_count: int
    closed_count: int


class ReportResultOut(Schema):
    status_text: str
    fixed: bool = Field(description="Only a verified rectification (已整改销号) is fixed")
    method_label: str
    measures: str
    closing_comment: str
    closed_by: str
    closed_at: datetime | None


class MyReportDetailOut(MyReportOut):
    holder: str
    due_at: datetime | None
    photos: list[PhotoRefOut]
    result: ReportResultOut | None
    timeline: list[ReportLineOut]


# ---- patrols


class PatrolStartIn(InputSchema):
    client_id: UUID = Field(description="Generated on the phone when the patrol starts")
    grid_code: str = Field(max_length=64)
    started_at: Moment | None = Field(default=None, description="Device time; default: server time")


class TrackPointIn(InputSchema):
    seq: int = Field(ge=0, le=2**31 - 1, description="Per-patrol sequence number: the idempotency key of the point")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(default=None, ge=0)
    recorded_at: Moment


class TrackAppendIn(InputSchema):
    points: list[TrackPointIn] = Field(max_length=500)


class TrackAppendOut(Schema):
    accepted: int
    duplicates: int
    outside_patrol: int
    point_count: int


class PatrolEndIn(InputSchema):
    ended_at: Moment | None = None
    nothing_found: bool = Field(default=False, description="已巡查无隐患: counts toward coverage all the same")
    note: str = Field(default="", max_length=500)


class PatrolOut(Schema):
    id: int
    client_id: UUID
    worker_label: str
    grid_code: str
    grid_name: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    nothing_found: bool
    note: str
    point_count: int
    distance_m: float
    flagged_points: int
    track_purged: bool
    visits: int
    hazards: int
    counts_for_coverage: bool = Field(description="Meets the county's patrol rule (已巡查); false while active")
    coverage_reason: str = Field(description="Why it counts or not, e.g. 网格内巡查 3 分钟，不足 20 分钟")
    in_grid_minutes: float
    in_grid_distance_m: float


class PatrolPage(Schema):
    items: list[PatrolOut]
    total: int


class TrackPointOut(Schema):
    seq: int
    lon: float
    lat: float
    accuracy_m: float | None
    recorded_at: datetime
    flags: list[str]


class TrackOut(Schema):
    patrol: PatrolOut
    retention_days: int
    points: list[TrackPointOut]


class CoverageGridOut(Schema):
    code: str
    name: str
    patrols: int


class CoverageOut(Schema):
    week_start: datetime
    week_end: datetime
    grids: int
    covered: int
    rate: float | None
    uncovered: list[CoverageGridOut]


# ---- visits


class AnswerIn(InputSchema):
    code: str = Field(max_length=30)
    answer: Literal["pass", "fail", "na"]
    note: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=4000, description="The hazard as the worker confirmed it")
    photo_client_ids: list[UUID] = Field(default=[], max_length=20, description="Photos that will upload for this item")


class VisitIn(InputSchema):
    client_id: UUID
    place_id: int
    template_id: int
    answers: list[AnswerIn] = Field(max_length=200)
    patrol_client_id: UUID | None = None
    visited_at: Moment | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    accuracy_m: float | None = Field(default=None, ge=0)


class VisitCaseOut(Schema):
    item_code: str
    case_id: int


class VisitOut(Schema):
    id: int
    client_id: UUID
    place_id: int
    place_name: str
    patrol_client_id: UUID | None
    template_id: int
    template_version: int
    result: str
    score: float | None
    answers: list[dict[str, Any]]
    visited_at: datetime
    location_flags: list[str]
    cases: list[VisitCaseOut]
    missing_photos: list[str] = Field(description="Declared photo client ids not uploaded yet")


class PlaceChecklistOut(Schema):
    place: PlaceOut
    checklist: ChecklistOut | None
    open_findings: list[FindingOut]
    register_card: PlaceRegisterOut = PlaceRegisterOut()
    history: list[VisitHistoryOut] = []


# ---- photos


class FieldPhotoOut(Schema):
    attachment_id: int
    client_id: UUID
    case_id: int
    role: str
    sha256: str
    size: int
    location_flags: list[str]
    watermark_lines: list[str]
    watermarked_url: str
    thumbnail_url: str | None


# ---- publicity


class PublicityIn(InputSchema):
    client_id: UUID
    grid_code: str = Field(max_length=64)
    title: str = Field(min_length=1, max_length=100)
    kind: Literal["door_to_door", "campaign_week", "training", "meeting", "other"] = "door_to_door"
    held_at: Moment | None = None
    address: str = Field(default="", max_length=200)
    head_count: int = Field(default=0, ge=0, le=100000)
    materials: int = Field(default=0, ge=0, le=1000000)
    note: str = Field(default="", max_length=2000)


class PublicityOut(Schema):
    id: int
    client_id: UUID
    grid_code: str
    grid_name: str
    worker_label: str
    kind: str
    title: str
    held_at: datetime
    address: str
    head_count: int
    materials: int
    note: str
    photos: int


class PublicityPage(Schema):
    items: list[PublicityOut]
    total: int


class PublicityPhotoOut(Schema):
    id: int
    client_id: UUID
    sha256: str
    size: int
    location_flags: list[str]
