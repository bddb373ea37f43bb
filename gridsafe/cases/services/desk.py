"""The desk's actions around the flow: 退回核实/补充 (back to the grid worker, and the worker's answer), 协办 (a
co-handling department signs and reports its part) and 更正 (category or location corrected, the case re-routed).
One service each, all through `_move`."""

import uuid
from typing import Any

from django.db import transaction

from gridsafe.accounts.models import Role, User
from gridsafe.accounts.routing import tier_unit_id
from gridsafe.cases.models import Case, CasePart, PartState
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.services.deadlines import _clock, _clock_paused, _clock_resumed, _clock_until
from gridsafe.cases.services.moves import _move, _own_attachments, _prepare, _require, case_service
from gridsafe.cases.transitions import Action, State
from gridsafe.catalog.categories import active_category
from gridsafe.catalog.models import Grade
from gridsafe.core import clock
from gridsafe.core.errors import OutsideJurisdiction, ValidationFailed
from gridsafe.regions.locate import locate_grid

# ---------------------------------------------------------------- 退回核实 / 补充


def _worker_to_ask(case: Case, worker_id: int | None) -> User:
    """The reporting grid worker, or (for a case from another source, or a named worker) a grid worker of the
    case's grid: 核实 on site is the grid's work (domain.md §5 按时核实率)."""
    workers = User.objects.filter(role=Role.GRID_WORKER, is_active=True)
    if worker_id is None:
        reporter = workers.filter(pk=case.reporter_id).first() if case.reporter_id else None
        found = reporter or workers.filter(grids=case.region_id).order_by("pk").first()
        if found is None:
            raise ValidationFailed("该网格没有在岗网格员，无法退回核实")
        return found
    named = workers.filter(pk=worker_id).first()
    if named is None or not (named.pk == case.reporter_id or named.grids.filter(pk=case.region_id).exists()):
        raise ValidationFailed("只能退回给上报人或该网格的网格员")
    return named


@case_service
@transaction.atomic(durable=True)
def case_request_info(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    reason: str,
    worker_id: int | None = None,
) -> Case:
    """退回核实/补充 — the desk asks the reporting worker (or a worker of the grid) to re-check on site or add what is
    missing. The step's clock pauses while the case is with the worker (what was left is kept, the pause shown);
    the case stays at the desk. One event; the worker is notified after commit."""
    _prepare(Action.REQUEST_INFO, actor, case)
    reason = _require(reason, "退回核实说明")
    worker = _worker_to_ask(case, worker_id)
    now = clock.now()
    return _move(
        case=case,
        actor=actor,
        action=Action.REQUEST_INFO,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        now=now,
        keep_clock=True,
        changes={"with_worker_id": worker.pk, "with_worker_since": now, **_clock_paused(case, now)},
        payload={"worker_id": worker.pk, "worker": worker.label},
    )


@case_service
@transaction.atomic(durable=True)
def case_supply_info(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    answer: str,
    attachment_ids: list[int] | None = None,
) -> Case:
    """核实补充 — the worker answers (text and photos); the case is back with the desk and its clock runs again with
    what was left when it paused. One event; the desk is notified after commit."""
    _prepare(Action.SUPPLY_INFO, actor, case)
    answer = _require(answer, "核实补充内容")
    ids = _own_attachments(case, attachment_ids or [], required=False, what="照片")
    now = clock.now()
    since = case.with_worker_since or now
    return _move(
        case=case,
        actor=actor,
        action=Action.SUPPLY_INFO,
        expected_version=expected_version,
        request_id=request_id,
        comment=answer,
        now=now,
        keep_clock=True,
        attachment_ids=ids,
        changes={"with_worker_id": None, "with_worker_since": None, **_clock_resumed(case, now)},
        payload={"attachment_ids": ids, "paused_minutes": round((now - since).total_seconds() / 60)},
    )


# ---------------------------------------------------------------- 协办


def _part_of(case: Case, actor: User, states: tuple[str, ...]) -> CasePart:
    part = (
        CasePart.objects.select_for_update()
        .select_related("department")
        .filter(case=case, department_id=actor.unit_id, state__in=states)
        .first()
    )
    if part is None:  # the permission check saw it a moment ago: another officer of the department moved it
        raise ValidationFailed("本单位的协办任务已被他人处理，请刷新")
    return part


@case_service
@transaction.atomic(durable=True)
def case_assist_start(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = ""
) -> Case:
    """协办签收 — a co-handling department accepts its part; the actor handles it. One event."""
    _prepare(Action.ASSIST_START, actor, case)
    part = _part_of(case, actor, (PartState.DISPATCHED,))
    now = clock.now()
    CasePart.objects.filter(pk=part.pk).update(state=PartState.HANDLING, handler=actor, started_at=now)
    return _move(
        case=case,
        actor=actor,
        action=Action.ASSIST_START,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        now=now,
        payload={"part_id": part.pk, "department_id": part.department_id, "part_department": part.department.name},
    )


@case_service
@transaction.atomic(durable=True)
def case_assist_report(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    report: str,
    attachment_ids: list[int] | None = None,
) -> Case:
    """协办反馈 — a co-handling department reports what it did (text, photos); the lead department may submit once
    every part is reported. Signs the part too if nobody had. One event; the lead department is notified."""
    _prepare(Action.ASSIST_REPORT, actor, case)
    report = _require(report, "协办反馈")
    ids = _own_attachments(case, attachment_ids or [], required=False, what="照片")
    part = _part_of(case, actor, (PartState.DISPATCHED, PartState.HANDLING))
    now = clock.now()
    CasePart.objects.filter(pk=part.pk).update(
        state=PartState.REPORTED,
        report=report,
        reported_at=now,
        handler=part.handler_id or actor.pk,
        started_at=part.started_at or now,
    )
    return _move(
        case=case,
        actor=actor,
        action=Action.ASSIST_REPORT,
        expected_version=expected_version,
        request_id=request_id,
        comment=report,
        now=now,
        attachment_ids=ids,
        payload={
            "part_id": part.pk,
            "department_id": part.department_id,
            "part_department": part.department.name,
            "attachment_ids": ids,
        },
    )


def parts_outstanding(case: Case) -> list[str]:
    """The names of the co-handling departments whose part is not reported yet (the lead's submit waits for them)."""
    return list(
        CasePart.objects.filter(case=case, state__in=(PartState.DISPATCHED, PartState.HANDLING))
        .order_by("pk")
        .values_list("department__name", flat=True)
    )


# ---------------------------------------------------------------- 更正


@case_service
@transaction.atomic(durable=True)
def case_correct(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    reason: str,
    category: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    address: str | None = None,
) -> Case:
    """更正 — the desk corrects the category and/or the location (WGS-84) with a reason. A new location re-routes the
    case to the grid it is in and that grid's desk at the case's level; the running step's deadlines are recomputed
    from when the step started, on the new category's limit. The old and new values are kept on the event (the
    audit); the reporter is notified after commit."""
    _prepare(Action.CORRECT, actor, case)
    reason = _require(reason, "更正理由")
    changes: dict[str, Any] = {}
    old = {"category": case.category.code, "grid": case.region.name, "lon": case.lon, "lat": case.lat}
    new: dict[str, Any] = {}
    cat = case.category
    if category and category != case.category.code:
        found = active_category(category)
        if found is None:
            raise ValidationFailed(f"隐患类别不存在：{category}")
        cat = found
        changes.update(category_id=cat.pk, domain_id=cat.domain_id)
        new["category"] = cat.code
        new["category_name"] = cat.name
    if (lon is None) != (lat is None):
        raise ValidationFailed("请同时给出经度和纬度")
    if lon is not None and lat is not None and (lon, lat) != (case.lon, case.lat):
        grid = locate_grid(lon, lat)
        if not jurisdiction_of(actor).covers_path(grid.path):
            raise OutsideJurisdiction("更正后的位置不在您的辖区内")
        changes.update(
            lon=lon,
            lat=lat,
            raw_lon=lon,
            raw_lat=lat,
            source_crs="wgs84",
            region_id=grid.region_id,
            region_path=grid.path,
            grid_version=grid.geometry_version,
            location_flags=[] if grid.inside else ["outside_county_edge"],
        )
        new.update(lon=lon, lat=lat, grid=grid.name)
        holder = tier_unit_id(grid.path, case.level)
        if holder is None:
            raise ValidationFailed("更正后的位置没有对应的网格站/网格化中心")
        if holder != case.holder_unit_id:
            if case.state == State.HANDLING:
                raise ValidationFailed("处置中的隐患不能更正到其他单位的辖区，请先回退或上报")
            changes["holder_unit_id"] = holder
            new["holder_unit_id"] = holder
    if address is not None and address.strip() != case.address:
        changes["address"] = address.strip()[:200]
        new["address"] = changes["address"]
    if not new:
        raise ValidationFailed("没有需要更正的内容")
    rerouted = "holder_unit_id" in changes
    if case.step and case.step_started_at and case.with_worker_id is None and ("category_id" in changes or rerouted):
        # The new category's limit from when the step started; a case re-routed to another desk starts that desk's
        # step afresh (the time at the wrong desk is not the new desk's).
        recomputed = _clock(
            category_id=cat.pk,
            urgent=case.urgent or cat.urgent or case.grade == Grade.MAJOR,
            step=case.step,
            start=clock.now() if rerouted else case.step_started_at,
        )
        if case.handle_due_at and case.step == "handle":
            recomputed.update(_clock_until(case.step_started_at, case.handle_due_at))
        if rerouted or recomputed["due_at"] != case.due_at:
            # A new deadline gets its own alerts (the sweep keys them by the deadline in force); the same deadline
            # keeps the alerts it has had, never raised twice.
            changes.update(recomputed)
    return _move(
        case=case,
        actor=actor,
        action=Action.CORRECT,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        keep_clock=True,
        changes=changes,
        payload={"from": old, "to": new, "reporter_id": case.reporter_id},
    )
