"""我的上报 — every hazard a grid worker reported, open and closed, and what happened to each: the timeline (comments,
督办, returns, the handling and the closing result). Reads only; scoped to the reporter: another worker's report,
even in the same grid, is the same 404 as a missing one (the station and the centres have the case pages).

Nothing here decides a case's state or its wording: states and closures are named by `cases.transitions.state_text`
and events by their registered kind (`cases.events.EventKind`), as on every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from gridsafe.accounts.models import User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent, SupervisionLevel
from gridsafe.cases.timeline import event_detail
from gridsafe.cases.transitions import State, state_text
from gridsafe.core.errors import CaseNotFound

FILTERS = ("all", "open", "closed")
# Events the worker reads as their own lines; a photo added is shown with the photos, not as a line.
HIDDEN_KINDS = frozenset({"case.attachment_added"})


def reports_of(user: User) -> QuerySet[Case]:
    """The cases this user reported (上报人), and those a desk sent to them to re-check on site that they answered
    (核实补充: a hotline case is theirs to follow too), newest first. Unevaluated."""
    checked = CaseEvent.objects.filter(kind=EventKind.CASE_INFO_SUPPLIED, actor_id=user.pk).values("case_id")
    return Case.objects.filter(Q(reporter_id=user.pk) | Q(pk__in=checked)).order_by("-created_at", "-id")


def report_list_for_reporter(user: User, *, status: str, now: datetime, limit: int, offset: int) -> dict[str, Any]:
    """One page of my reports (`status`: all, open or closed) with the counts of each. Four queries whatever the
    page: the two counts, the page, the latest event of each case on it."""
    mine = reports_of(user)
    open_count = mine.open().count()
    total = mine.count()
    qs = mine.open() if status == "open" else mine.filter(state=State.CLOSED) if status == "closed" else mine
    last = (
        CaseEvent.objects.filter(case_id=OuterRef("pk"))
        .exclude(kind__in=HIDDEN_KINDS)
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    page = list(qs.select_related("category", "region").annotate(last_event_id=Subquery(last))[offset : offset + limit])
    # `last_event_id` is the annotation above, not a field of the model.
    latest = CaseEvent.objects.in_bulk([c.last_event_id for c in page if c.last_event_id])  # type: ignore[attr-defined]
    return {
        "items": [_row(case, now, latest.get(case.last_event_id)) for case in page],  # type: ignore[attr-defined]
        "total": {"open": open_count, "closed": total - open_count, "all": total}[status],
        "open_count": open_count,
        "closed_count": total - open_count,
    }


def _row(case: Case, now: datetime, last: CaseEvent | None) -> dict[str, Any]:
    return {
        "id": case.pk,
        "category_name": case.category.name,
        "description": case.description[:200],
        "address": case.address,
        "state": case.state,
        "status_text": state_text(case.state, case.closure),
        "is_open": case.state != State.CLOSED,
        "closure": case.closure,
        "light": case.light_at(now) if case.state != State.CLOSED else "",
        "supervision": case.supervision,
        "supervision_label": str(SupervisionLevel(case.supervision).label) if case.supervision else "",
        "created_at": case.created_at,
        "closed_at": case.closed_at,
        "last_event": _line(last, case.closure) if last is not None else None,
    }


def _line(event: CaseEvent, closure: str = "") -> dict[str, Any]:
    return {
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "actor_label": event.actor_label,
        "comment": event.comment,
        "detail": event_detail(event),
        "state_text": state_text(event.to_state, closure if event.to_state == State.CLOSED else "")
        if event.to_state and event.to_state != event.from_state
        else "",
        "created_at": event.created_at,
    }


def report_for_reporter(user: User, case_id: int) -> Case:
    case = reports_of(user).select_related("category", "region", "holder_unit").filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound("未找到该隐患")  # not mine looks the same as missing
    return case


def report_detail_for_reporter(user: User, case_id: int, *, now: datetime) -> dict[str, Any]:
    """One of my reports with its whole timeline, photos and closing result. Three queries after the case."""
    case = report_for_reporter(user, case_id)
    events = list(case.events.order_by("created_at", "id"))
    photos = [
        {
            "id": a.pk,
            "role": a.role,
            "thumbnail_url": f"/api/v1/cases/{case.pk}/attachments/{a.pk}/thumbnail" if a.thumbnail else None,
            "url": f"/api/v1/cases/{case.pk}/attachments/{a.pk}/file",
            "captured_at": a.captured_at,
        }
        for a in case.attachments.order_by("id")
        if a.content_type.startswith("image/")
    ]
    submitted = next((e for e in reversed(events) if e.kind == "case.submitted"), None)
    closed = next((e for e in reversed(events) if e.to_state == State.CLOSED), None)
    result = None
    if case.state == State.CLOSED:
        result = {
            "status_text": state_text(case.state, case.closure),
            "fixed": case.closure == "resolved",  # closed is not fixed: only a verified rectification is
            "method_label": (submitted.payload or {}).get("method_label", "") if submitted else "",
            "measures": submitted.comment if submitted else "",
            "closing_comment": closed.comment if closed else "",
            "closed_by": closed.actor_label if closed else "",
            "closed_at": case.closed_at,
        }
    return {
        **_row(case, now, None),
        "holder": case.holder_unit.name if case.holder_unit_id else "",
        "due_at": case.due_at if case.state != State.CLOSED else None,
        "photos": photos,
        "result": result,
        "timeline": [_line(e, case.closure) for e in events if e.kind not in HIDDEN_KINDS],
    }
