"""Thin ninja routers: parse, call one service or selector, shape the answer."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.http import FileResponse
from django.urls import reverse
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import model_validator

from gridsafe.accounts.models import Role
from gridsafe.cases import schemas as s
from gridsafe.cases.models import Attachment, Case, PartState
from gridsafe.cases.permissions import allowed_actions, get_case_for_action, get_case_for_user
from gridsafe.cases.selectors import CaseFilters, case_list_visible, case_timeline
from gridsafe.cases.services import ACTION_SERVICES, REQUEST_DIGEST_KEY, attachment_add, case_report
from gridsafe.cases.transitions import State
from gridsafe.core import clock
from gridsafe.core.errors import NotFound
from gridsafe.core.http import audited_download
from gridsafe.core.input import Id, InputSchema, Moment, Number, QueryDay, ShortText, check_range
from gridsafe.core.paging import API_COUNT_CAP, capped_count, page_rows, page_window
from gridsafe.core.problem import Problem
from gridsafe.core.ratelimit import ratelimit

router = Router(tags=["cases"])

ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def case_out(case: Case, now: datetime) -> dict:
    return {
        "id": case.pk,
        "client_id": case.client_id,
        "version": case.version,
        "category": case.category.code,
        "category_name": case.category.name,
        "domain": case.domain.code,
        "grade": case.grade,
        "urgent": case.urgent,
        "source": case.source,
        "description": case.description,
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "region_code": case.region.code,
        "region_name": case.region.name,
        "region_path": case.region_path,
        "state": case.state,
        "state_label": str(State(case.state).label),
        "closure": case.closure,
        "level": case.level,
        "holder_unit": {"id": case.holder_unit.pk, "name": case.holder_unit.name, "kind": case.holder_unit.kind},
        "department_id": case.department_id,
        "handler_id": case.handler_id,
        "step": case.step,
        "due_at": case.due_at,
        "original_due_at": case.original_due_at,
        "light": case.light_at(now),
        "supervision": case.supervision,
        "extension_pending": case.extension_pending,
        "rework_count": case.rework_count,
        "reopen_count": case.reopen_count,
        "location_flags": case.location_flags or [],
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
    }


def attachment_out(att: Attachment) -> dict:
    return {
        "id": att.pk,
        "client_id": att.client_id,
        "role": att.role,
        "content_type": att.content_type,
        "size": att.size,
        "sha256": att.sha256,
        "width": att.width,
        "height": att.height,
        "event_id": att.event_id,
        "captured_at": att.captured_at,
        "created_at": att.created_at,
        "url": reverse("api:attachment_file", kwargs={"case_id": att.case_id, "attachment_id": att.pk}),
        "thumbnail_url": reverse("api:attachment_thumbnail", kwargs={"case_id": att.case_id, "attachment_id": att.pk})
        if att.thumbnail
        else None,
    }


def case_detail_out(case: Case, user) -> dict:
    now = clock.now()
    attachments = list(case.attachments.all())
    by_event: dict[int, list[int]] = {}
    for att in attachments:
        if att.event_id:
            by_event.setdefault(att.event_id, []).append(att.pk)
    events = [
        {
            "id": e.pk,
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "action": e.action,
            "actor_label": e.actor_label,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "from_level": e.from_level,
            "to_level": e.to_level,
            "holder_unit_id": e.holder_unit_id,
            "comment": e.comment,
            "payload": {k: v for k, v in e.payload.items() if k != REQUEST_DIGEST_KEY},
            "due_at": e.due_at,
            "created_at": e.created_at,
            "attachment_ids": by_event.get(e.pk, []),
        }
        for e in case_timeline(case)
    ]
    supervisions = list(case.supervisions.all())
    if user.role == Role.ENTERPRISE:  # 企业: no names, comments or payloads (reporter, caller, staff) in the timeline,
        events = [e | {"actor_label": "", "comment": "", "payload": {}} for e in events]
        supervisions = []  # and no 督办: an order between tiers of the administration, not to the enterprise
    return {
        **case_out(case, now),
        "events": events,
        "attachments": [attachment_out(a) for a in attachments],
        "supervisions": supervisions,
        "allowed_actions": allowed_actions(user, case),
        "overdue_steps": case.overdue_steps or [],
        "master_id": case.master_id,
        "external_body": case.external_body,
        "external_ref": case.external_ref,
        "place_id": case.place_id,
        "cc_paths": case.cc_paths or [],
        "parts": [
            {
                "department_id": part.department_id,
                "department": part.department.name,
                "state": part.state,
                "state_label": part.get_state_display(),
                "report": part.report,
                "reported_at": part.reported_at,
            }
            for part in case.parts.exclude(state=PartState.WITHDRAWN).select_related("department")
        ]
        if case.department_id
        else [],
        "with_worker_id": case.with_worker_id,
        "handle_due_at": case.handle_due_at,
    }


@router.post("", response={200: s.CaseOut, 201: s.CaseOut, **ERRORS}, operation_id="case_report")
@ratelimit("case_report", "GRIDSAFE_INTAKE_RATE")
def create_case(request, body: s.CaseReportIn):
    """上报 — report a hazard. 201 when created; 200 with the same case for an identical resend; 409 when the
    client_id was used for different content; 422 for a point outside the county."""
    case, created = case_report(
        actor=request.user,
        client_id=body.client_id,
        category_code=body.category,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        accuracy_m=body.accuracy_m,
        place_id=body.place_id,
        severity=body.severity,
        urgent=body.urgent,
        address=body.address,
        source=body.source,
    )
    if not created:
        case = get_case_for_user(request.user, case.pk)
    return Status(201 if created else 200, case_out(case, clock.now()))


class CaseListQuery(InputSchema):
    state: Literal["pending_review", "dispatched", "handling", "suspended", "pending_verification", "closed"] | None = (
        None
    )
    level: int | None = None
    region: str | None = None
    domain: str | None = None
    category: str | None = None
    light: Literal["green", "yellow", "red", "none"] | None = None
    closure: Literal["resolved", "invalid", "duplicate", "transferred"] | None = None
    grade: Literal["general", "major"] | None = None
    source: str | None = None
    q: str | None = None
    created_from: QueryDay | None = None
    created_to: QueryDay | None = None
    mine: bool = False
    order: Literal["newest", "oldest", "due", "updated"] = "newest"
    limit: int = 50
    offset: int = 0

    @model_validator(mode="after")
    def _bounded_range(self):
        check_range(self.created_from, self.created_to, label="上报日期（created_from 至 created_to）")
        return self


@router.get("", response={200: s.CasePage, **ERRORS}, operation_id="case_list_visible")
def list_cases(request, query: Query[CaseListQuery]):
    """Cases in my 辖区, filtered and paginated: {items, total, total_capped, has_more}. `total` is exact up to
    10 000; beyond that it is 10 001 and `total_capped` is true (an exact count read every matching case: seconds at
    10 M). `has_more`: another page follows this one. A page's keys are read first, then its rows (deep pages cost
    what the first does)."""
    filters = CaseFilters(**query.dict(exclude={"order", "limit", "offset"}))
    qs = case_list_visible(request.user, filters, order=query.order)
    limit, offset = page_window(query.limit, query.offset, max_limit=200)
    rows = page_rows(qs.select_related("category", "domain", "region", "holder_unit"), offset, limit + 1)
    total = capped_count(qs, API_COUNT_CAP)
    now = clock.now()
    return {
        "items": [case_out(c, now) for c in rows[:limit]],
        "total": total,
        "total_capped": total > API_COUNT_CAP,
        "has_more": len(rows) > limit,
        "limit": limit,
        "offset": offset,
    }


@router.get("/{case_id}", response={200: s.CaseDetailOut, **ERRORS}, operation_id="case_detail")
def case_detail(request, case_id: Id):
    """One case with its timeline, attachments, 督办 orders and the actions I may take now."""
    return case_detail_out(get_case_for_user(request.user, case_id), request.user)


@router.post(
    "/{case_id}/attachments",
    response={200: s.AttachmentOut, 201: s.AttachmentOut, **ERRORS},
    operation_id="attachment_add",
)
@ratelimit("upload", "GRIDSAFE_UPLOAD_RATE")
def upload_attachment(
    request,
    case_id: Id,
    file: File[UploadedFile],
    client_id: Form[UUID],
    # Form(default) rather than `Form[ShortText] = default`: a constrained alias inside Form[...] loses the default.
    role: ShortText = Form("report"),  # noqa: B008
    captured_at: Form[Moment | None] = None,
    lon: Form[Number | None] = None,
    lat: Form[Number | None] = None,
    accuracy_m: Form[Number | None] = None,
):
    """Upload a photo, video or PDF (type checked by content). Idempotent on client_id."""
    case = get_case_for_user(request.user, case_id)
    att, created = attachment_add(
        case=case,
        actor=request.user,
        client_id=client_id,
        upload=file,
        role=role,
        captured_at=captured_at,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
    )
    return Status(201 if created else 200, attachment_out(att))


def _attachment_for(request, case_id: Id, attachment_id: Id) -> Attachment:
    case = get_case_for_user(request.user, case_id)
    att = Attachment.objects.filter(pk=attachment_id, case=case).first()
    if att is None:
        raise NotFound("未找到该附件")
    return att


@router.get(
    "/{case_id}/attachments/{attachment_id}/file",
    response={200: None, **ERRORS},
    operation_id="attachment_file",
    url_name="attachment_file",
)
def attachment_file(request, case_id: Id, attachment_id: Id):
    """The original file as stored: identifying metadata stripped at intake, pixels untouched (its SHA-256 is in
    the attachment record)."""
    att = _attachment_for(request, case_id, attachment_id)
    # A download, never rendered in our origin.
    response = audited_download(
        request,
        att.file,
        action="attachment.download",
        target=f"attachment:{att.pk}",
        payload={"case": att.case_id, "role": att.role, "sha256": att.sha256},
        filename=att.original_name or att.file.name.rsplit("/", 1)[-1],
        content_type=att.content_type,
    )
    return response


@router.get(
    "/{case_id}/attachments/{attachment_id}/thumbnail",
    response={200: None, **ERRORS},
    operation_id="attachment_thumbnail",
    url_name="attachment_thumbnail",
)
def attachment_thumbnail(request, case_id: Id, attachment_id: Id):
    att = _attachment_for(request, case_id, attachment_id)
    if not att.thumbnail:
        raise NotFound("该附件没有缩略图")
    return FileResponse(att.thumbnail.open("rb"), content_type="image/jpeg")


def _register_action(action: str, schema: type[s.ActionIn]) -> None:
    service = ACTION_SERVICES[action]
    fields = [name for name in schema.model_fields if name not in ("version", "request_id")]

    def act(request, case_id: Id, body: schema):  # type: ignore[valid-type]
        case = get_case_for_action(request.user, case_id, action=action, request_id=body.request_id)
        kwargs = {name: getattr(body, name) for name in fields}
        updated = service(
            case=case, actor=request.user, expected_version=body.version, request_id=body.request_id, **kwargs
        )
        # Answered from the service's case, not re-read through the 辖区: an action may take the case out of the
        # actor's view (a department's 回退), and the actor still gets the outcome of what they just did. A retry of
        # it is another matter: it passes the 辖区 check above like any request (404 once out of view).
        return case_detail_out(updated, request.user)

    act.__name__ = f"case_action_{action}"
    act.__doc__ = service.__doc__
    router.post(
        f"/{{case_id}}/actions/{action}",
        response={200: s.CaseDetailOut, **ERRORS, 429: Problem},
        operation_id=service.__name__,
        summary=str(action),
    )(ratelimit("case_action", "GRIDSAFE_ACTION_RATE")(act))  # per user, shared with the page's actions


for _action, _schema in s.ACTION_SCHEMAS.items():
    _register_action(_action, _schema)
