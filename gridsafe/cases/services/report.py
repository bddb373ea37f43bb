"""上报: a new case from a person's report (API, field app, page, a failed checklist item), its source rule and
the one insert (`_case_insert`) the intake and the demo share."""

import re
import uuid
from typing import Any

from gridsafe.accounts.models import Role, User
from gridsafe.accounts.routing import tier_unit_id, unit_loaded
from gridsafe.cases.chain import event_seal
from gridsafe.cases.events import EventKind
from gridsafe.cases.hooks import case_event_schedule, case_event_written
from gridsafe.cases.models import Case, CaseEvent, Level, Source
from gridsafe.cases.permissions import (
    jurisdiction_of,
)
from gridsafe.cases.services.deadlines import _clock, _step_for
from gridsafe.cases.services.moves import _label, _refetch, _require
from gridsafe.cases.transitions import State
from gridsafe.catalog.categories import active_category
from gridsafe.catalog.models import Grade
from gridsafe.core import clock, rows
from gridsafe.core.audit import audit_refusal
from gridsafe.core.errors import (
    OutsideJurisdiction,
    ValidationFailed,
)
from gridsafe.core.http import current_client_ip
from gridsafe.core.idempotency import create_once, find_repeat
from gridsafe.places.models import Place
from gridsafe.regions.coords import to_wgs84
from gridsafe.regions.locate import locate_grid
from gridsafe.regions.models import Region

POOR_ACCURACY_M = 50


# The repeat check reads only these (`_refetch` loads the rest).
_CASES_BY_CLIENT_ID = Case.objects.only("pk", "client_fingerprint", "reporter_id")
_CONFLICT = "该 client_id 已用于另一条不同内容的上报"


def case_report(
    *,
    actor: User,
    client_id: uuid.UUID,
    category_code: str,
    description: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    accuracy_m: float | None = None,
    place_id: int | None = None,
    severity: str | None = None,
    urgent: bool | None = None,
    address: str = "",
    source: str | None = None,
    checklist_answers: dict[str, Any] | None = None,
    channel: str = "report",
    start_level: int | None = None,
    caller_name: str = "",
    caller_phone: str = "",
) -> tuple[Case, bool]:
    """上报 — create a hazard case, idempotent on the client's UUID. Returns (case, created).
    An identical resend returns the same case; the same id with other content is IdempotencyConflict (409).
    `source` is what the caller claims and `channel` how the report came in; `case_source` decides what is stored.
    The desk (登记, `channel="desk"`) also names the level the case starts at (`start_level`, within its reach) and
    the caller's name and phone (sealed at rest)."""
    # The request as sent: the payload of its fingerprint, and `_case_insert`'s own arguments.
    submitted: dict[str, Any] = dict(
        category=category_code,
        description=description,
        lon=lon,
        lat=lat,
        crs=crs,
        accuracy_m=accuracy_m,
        place_id=place_id,
        severity=severity,
        urgent=urgent,
        address=address,
        source=source,
        checklist_answers=checklist_answers,
    )
    if channel == "desk":
        # Part of the fingerprint only for the desk, so the field app's resends keep matching their stored rows.
        submitted.update(start_level=start_level, caller_name=caller_name, caller_phone=caller_phone)
    try:
        # Insert first, look for an earlier case only when that fails: a resend is rare, and the unique client_id
        # is what makes it safe, so the common path pays no lookup.
        case, created = create_once(
            _CASES_BY_CLIENT_ID,
            create=lambda fingerprint: _case_insert(
                actor=actor, client_id=client_id, fingerprint=fingerprint, channel=channel, **submitted
            ),
            look_first=False,
            client_id=client_id,
            actor_id=actor.pk,
            payload=submitted,
            actor_field="reporter_id",
            conflict=_CONFLICT,
        )
        return (case, True) if created else (_refetch(case), False)
    except ValidationFailed as error:
        existing = find_repeat(
            _CASES_BY_CLIENT_ID,
            client_id=client_id,
            actor_id=actor.pk,
            payload=submitted,
            actor_field="reporter_id",
            conflict=_CONFLICT,
        )
        if existing is not None:
            # A resend of a case that landed, refused now for a reason it was not then (a category switched off,
            # a grid redrawn): the outbox must hear that it landed, not that it is bad.
            return _refetch(existing), False
        if isinstance(error, OutsideJurisdiction):
            # A 422 to the client like any bad location, but a report into someone else's 辖区 is an attempt the
            # audit keeps (after the rollback). Other bad input is not a security event.
            audit_refusal(
                actor=actor,
                action="case.report",
                target=f"case_report:{client_id}",
                error=error,
                outcome="refused",
                payload={"category": category_code, "lon": lon, "lat": lat, "crs": crs, "place_id": place_id},
            )
        raise


# 来源 (domain.md §1.1: patrol, hotline, video, department checks, leader instructions). The desk (stations,
# centres) and leaders register what reached them through one of these and name which; for everyone else the
# channel is who they are and how they report, so nobody files as someone they are not.
# 群众上报 (citizen): a request from Open311 or 随手拍 that the desk accepted (channels.citizen).
DESK_SOURCES = frozenset(
    {Source.HOTLINE, Source.VIDEO, Source.DEPARTMENT, Source.LEADER, Source.WALK_IN, Source.CITIZEN}
)
DESK_ROLES = frozenset({Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.ADMIN, Role.LEADER})
# an own report (API, field app, page); a failed item of a checklist visit; the desk's 登记 of what reached it
CHANNELS = ("report", "visit", "desk")


def desk_reach(actor: User) -> int:
    """The highest level a desk may start a case at: its own tier (station 1, township centre 2, county 3); a
    leader or administrator, the county."""
    if actor.role in (Role.LEADER, Role.ADMIN) or actor.unit is None:
        return Level.COUNTY
    return {1: Level.COUNTY, 2: Level.TOWNSHIP}.get(actor.unit.region.level, Level.VILLAGE)


def case_source(*, actor: User, channel: str, requested: str | None) -> str:
    """The one rule for a case's `source`, decided here from the channel and the actor's role:
    a failed checklist item → 巡查 (patrol); a grid worker's own report → 网格员上报; department staff → 部门检查;
    the desk and leaders → the channel they name (hotline, video, department, leader), by default 领导交办 for a
    leader and 部门检查 for the desk. A claim the actor may not make is a 422, never silently stored."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown report channel: {channel}")
    if channel == "visit":
        decided = Source.PATROL
    elif channel == "desk" and actor.role not in DESK_ROLES:
        raise ValidationFailed("只有网格站、网格化中心和领导可以登记来电来访等隐患")
    elif actor.role in DESK_ROLES:
        default = Source.LEADER if actor.role == Role.LEADER else Source.DEPARTMENT
        if requested is None or requested in DESK_SOURCES:
            return requested or default
        decided = default
    elif actor.role == Role.GRID_WORKER:
        decided = Source.GRID_WORKER
    else:
        decided = Source.DEPARTMENT
    if requested is not None and requested != decided:
        wanted = Source(requested).label if requested in Source.values else requested
        raise ValidationFailed(f"来源由系统按渠道和角色确定：您的上报记为“{decided.label}”，不能指定为“{wanted}”")
    return decided


def _case_insert(
    *,
    actor: User,
    client_id: uuid.UUID,
    fingerprint: str,
    channel: str,
    category: str,
    description: str,
    lon: float,
    lat: float,
    crs: str,
    accuracy_m: float | None,
    place_id: int | None,
    severity: str | None,
    urgent: bool | None,
    address: str,
    source: str | None,
    checklist_answers: dict[str, Any] | None,
    start_level: int | None = None,
    caller_name: str = "",
    caller_phone: str = "",
) -> Case:
    now = clock.now()
    source = case_source(actor=actor, channel=channel, requested=source)
    description = _require(description, "隐患描述")
    if len(description) > 4000:
        raise ValidationFailed("隐患描述不能超过 4000 字")
    cat = active_category(category)
    if cat is None:
        raise ValidationFailed(f"隐患类别不存在：{category}")
    try:
        wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    except ValueError:
        raise ValidationFailed(f"不支持的坐标系：{crs}（可用 wgs84、cgcs2000、gcj02、bd09）")
    grid = locate_grid(wgs_lon, wgs_lat)
    scope = jurisdiction_of(actor)
    flags = [] if grid.inside else ["outside_county_edge"]
    if actor.role == Role.GRID_WORKER:
        if not scope.covers_path(grid.path):
            flags.append("outside_own_grid")  # flagged for the reviewer, never blocked (domain.md §8)
    elif actor.role not in (Role.DEPT_HANDLER, Role.DEPT_LEAD, Role.LEADER, Role.ADMIN) and not scope.covers_path(
        grid.path
    ):
        raise OutsideJurisdiction("该位置不在您的辖区内")
    if accuracy_m is not None and accuracy_m > POOR_ACCURACY_M:
        flags.append("poor_accuracy")
    place = None
    if place_id is not None:
        place = Place.objects.filter(pk=place_id, is_active=True).first()
        if place is None:
            raise ValidationFailed("监管对象不存在")
        if not (scope.covers_path(place.region_path) or scope.covers_path(grid.path)):
            raise OutsideJurisdiction("监管对象不存在")  # the same answer as a missing place; only the audit differs
    # Grid workers never grade a hazard 重大 on their own: their "major" is a proposal that routes the case
    # straight to the township (越级上报), where an officer confirms the grade.
    major_proposed = severity == Grade.MAJOR or cat.default_grade == Grade.MAJOR
    grade = Grade.MAJOR if major_proposed and actor.role != Role.GRID_WORKER else cat.default_grade
    is_urgent = bool(urgent) or cat.urgent
    level = Level.TOWNSHIP if (major_proposed or is_urgent) else Level.VILLAGE
    if start_level is not None:
        # The desk names where the case starts: within its reach (its own tier and below), never below the tier
        # a 重大 or urgent case goes to.
        if start_level not in (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY) or start_level > desk_reach(actor):
            raise ValidationFailed("起始层级超出本单位范围")
        level = Level(max(level, start_level))
    caller_name, caller_phone = caller_name.strip()[:50], caller_phone.strip()[:20]
    if caller_phone and not re.fullmatch(r"[0-9+\- ]{5,20}", caller_phone):
        raise ValidationFailed("联系电话格式不正确")
    holder_id = tier_unit_id(grid.path, level)
    if holder_id is None:
        raise ValidationFailed("该网格没有对应的网格站/网格化中心，请联系管理员")
    cc = [".".join(grid.path.split(".")[:3])] if level == Level.TOWNSHIP and start_level is None else []
    # The case, its event and the rollups are written together: on PostgreSQL one statement, its own transaction
    # (core.rows.Writes). Literal INSERTs: the ORM's compile of this 60-column row cost more than the rest.
    writes = rows.Writes()
    case = writes.insert(
        Case(
            client_id=client_id,
            client_fingerprint=fingerprint,
            category=cat,
            domain=cat.domain,  # the object, already loaded: the API's answer reads case.domain without a query
            grade=grade,
            urgent=is_urgent,
            source=source,
            description=description,
            address=address[:200],
            lon=wgs_lon,
            lat=wgs_lat,
            raw_lon=lon,
            raw_lat=lat,
            source_crs=crs.lower(),
            gps_accuracy_m=accuracy_m,
            location_flags=flags,
            region_id=grid.region_id,
            region_path=grid.path,
            grid_version=grid.geometry_version,
            place=place,
            reporter=actor,
            caller_name=caller_name,
            caller_phone=caller_phone,
            checklist_answers=checklist_answers,
            state=State.PENDING_REVIEW,
            level=level,
            holder_unit_id=holder_id,
            cc_paths=cc,
            created_at=now,
            updated_at=now,
            **_clock(
                category_id=cat.pk,
                urgent=is_urgent or grade == Grade.MAJOR,
                step=_step_for(State.PENDING_REVIEW, level),
                start=now,
            ),
        )
    )
    event = writes.insert(
        CaseEvent(
            case=case,
            request_id=client_id,
            kind=EventKind.CASE_REPORTED,
            action="",
            actor=actor,
            actor_label=_label(actor),
            from_state="",
            to_state=case.state,
            from_level=None,
            to_level=level,
            holder_unit_id=holder_id,
            comment=description,
            payload={
                "category": cat.code,
                "grade": grade,
                "major_proposed": major_proposed,
                "urgent": is_urgent,
                "lon": wgs_lon,
                "lat": wgs_lat,
                "source_crs": crs,
                "flags": flags,
                "skip_level": bool(cc),
            },
            due_at=case.due_at,
            created_at=now,
            ip=current_client_ip(),
        ),
        refs={"case": case},
    )
    # The first link of the case's hash chain: keyed by the case's client_id, not its id, so it is computed here
    # and the report stays one statement (cases/chain.py). The case row, queued above, is sent by run() with it.
    case.event_head = event_seal(event, case_key=client_id, head_seq=0, head_hash="")
    case.event_seq = event.seq
    case_event_written(event=event, case_after=case, writes=writes)  # the rollups join these writes
    writes.run()
    # Not today for a report: only the desk hears of one, when it looks (inbox_catch_up).
    case_event_schedule(event)
    # What the answer shows of the grid and the holder is known already: no query (other fields load on access).
    case.region = Region.from_db(
        "default", ["id", "code", "name", "path"], [grid.region_id, grid.code, grid.name, grid.path]
    )
    case.holder_unit = unit_loaded(holder_id)
    return case
