"""Every write to a hazard case. One service per action; each checks, in order: repeat → permission → state →
payload → version, then updates the row with a version-conditional UPDATE, appends one CaseEvent in the same
transaction, and schedules notifications after commit. Page, API, field app and sweep all call these."""

import functools
import hashlib
import json
import uuid
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.accounts.routing import command_unit_id, default_department_id, tier_path, tier_unit_id, unit_loaded
from gridsafe.cases.chain import event_seal
from gridsafe.cases.events import ACTION_EVENT, EventKind
from gridsafe.cases.models import SUPERVISION_RANK, Attachment, Case, CaseEvent, Level, Source, Supervision
from gridsafe.cases.permissions import (
    cases_visible_to,
    ensure_can,
    get_case_for_user,
    jurisdiction_of,
    level_unit_id,
)
from gridsafe.cases.transitions import CLOSURE_OF, Action, State, next_state
from gridsafe.catalog.calendar import current_calendar
from gridsafe.catalog.categories import active_category
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import Grade, Step
from gridsafe.core import clock, rows
from gridsafe.core.audit import REFUSAL_OUTCOMES, audit_refusal
from gridsafe.core.errors import (
    CaseNotFound,
    DomainError,
    IdempotencyConflict,
    NotPermitted,
    OutsideJurisdiction,
    RequestIdReused,
    StaleVersion,
    ValidationFailed,
)
from gridsafe.core.http import current_client_ip
from gridsafe.dashboards.rollups import rollup_apply_event
from gridsafe.notifications.services import needs_task
from gridsafe.notifications.tasks import case_notify
from gridsafe.regions.coords import to_wgs84
from gridsafe.regions.locate import locate_grid
from gridsafe.regions.models import Region

SWEEP_NS = uuid.UUID("6f1d2b0e-3c55-4b7a-9a61-0c1f5e2d8a01")
POOR_ACCURACY_M = 50

RETURN_REASONS = {
    "not_our_duty": "非本单位职责",
    "incomplete": "信息不全",
    "wrong_location": "位置错误",
    "wrong_category": "类别错误",
    "other": "其他",
}
VOID_REASONS = {"not_hazard": "不属于隐患", "false_report": "虚假信息", "out_of_scope": "不属于受理范围"}
SUBMIT_METHODS = {"rectified": "整改", "banned": "取缔", "stopped": "停业", "demolished": "拆除", "removed": "移除"}
FIVE_IMPLEMENTATIONS = ("measures", "responsibility", "funds", "deadline", "plan")  # 五落实: 措施 责任 资金 时限 预案


# ---------------------------------------------------------------- the clock


def _step_for(state: str, level: int) -> str:
    if state == State.PENDING_REVIEW:
        return {Level.VILLAGE: Step.REVIEW_VILLAGE, Level.TOWNSHIP: Step.REVIEW_TOWNSHIP}.get(level, Step.REVIEW_COUNTY)
    return {State.DISPATCHED: Step.SIGN, State.HANDLING: Step.HANDLE, State.PENDING_VERIFICATION: Step.VERIFY}.get(
        state, ""
    )


def _clock(*, category_id: int, urgent: bool, step: str, start: datetime) -> dict:
    """The clock fields of a step that starts at `start`: limit, yellow (80 %) and due instants, first sweep."""
    stopped = dict(
        step=step,
        step_started_at=start if step else None,
        limit_amount=None,
        limit_unit="",
        yellow_at=None,
        due_at=None,
        original_due_at=None,
        next_sweep_at=None,
        alert_stage=0,
    )
    limit = limit_for(category_id=category_id, urgent=urgent, step=step) if step else None
    if limit is None:
        return stopped
    amount, unit = limit
    yellow_at, due_at = current_calendar().deadlines(start, amount, unit)
    return {
        **stopped,
        "limit_amount": amount,
        "limit_unit": unit,
        "yellow_at": yellow_at,
        "due_at": due_at,
        "original_due_at": due_at,
        "next_sweep_at": yellow_at,
    }


def _frozen_overdue(case: Case, now: datetime) -> list:
    """Add `overdue at step X` to the frozen list when the step being left is past its deadline."""
    facts = list(case.overdue_steps or [])
    if case.due_at and now > case.due_at and case.step_started_at:
        key = (case.step, case.step_started_at.isoformat())
        if not any((f.get("step"), f.get("started_at")) == key for f in facts):
            facts.append(
                {
                    "step": case.step,
                    "started_at": key[1],
                    "due_at": case.due_at.isoformat(),
                    "detected_at": now.isoformat(),
                }
            )
    return facts


# ---------------------------------------------------------------- the one write path


def _label(actor: User | None) -> str:
    return actor.label if actor is not None else "系统"


# The digest of the request being served, set by `case_service` around one service call and stored by `_move` in
# the event's payload: the event row is written deep inside each service, and threading one more argument through
# twenty-two of them would only repeat the same line. Services never nest (durable=True), so one value at a time.
_REQUEST_DIGEST: ContextVar[str | None] = ContextVar("gridsafe_case_request_digest", default=None)
REQUEST_DIGEST_KEY = "request_digest"
_NOT_IN_DIGEST = frozenset({"actor", "now"})  # who sends is compared on its own; `now` is the sweep's clock
# A 备注 decides nothing, so the field app sends it with the version current at each try (cases re-read, app.js
# caseAction): its retry after a lost answer carries a newer version than the send that landed. Every decision
# carries the version the user saw, and a retry of it the same one.
_VERSION_FREE = frozenset({Action.COMMENT})


def _canonical(value):
    """A JSON-able form of one field that does not depend on how it was sent: instants in UTC, ids as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date | uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_digest(action: str, fields: dict) -> str:
    """SHA-256 of one action request: the action and every field the actor sent, the version seen included (a true
    retry resends the identical body), except for a 备注 (`_VERSION_FREE`). Empty values are left out, so the page
    (which names every field of its form) and the API (which names the schema's) digest the same request alike; the
    request id itself is the key."""
    left_out = _NOT_IN_DIGEST | ({"expected_version"} if action in _VERSION_FREE else set())
    body = {k: _canonical(v) for k, v in fields.items() if k not in left_out and v not in (None, "", [], {})}
    return hashlib.sha256(json.dumps([action, body], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _replayed(*, case_id: int, request_id: uuid.UUID, actor: User | None, action: str, digest: str) -> bool:
    """Whether this request already landed on this case. A repeat must be the same request: the same actor, the same
    action and the same body; the same request id with anything else is `RequestIdReused` (409), never an answer
    (a request id is no capability: whoever learns one must not get the case back through it). A person's repeat
    also passes the 辖区 check a new request passes, so a retry after a 回退, a transfer or a move to another unit
    is 404 like any case outside the actor's view. One query on the common path (no event with this id)."""
    event = (
        CaseEvent.objects.filter(case_id=case_id, request_id=request_id).only("actor_id", "action", "payload").first()
    )
    if event is None:
        return False
    stored = (event.payload or {}).get(REQUEST_DIGEST_KEY)
    same = (
        event.actor_id == (actor.pk if actor is not None else None)
        and event.action == action
        # Events written before digests were kept have none: same actor and action is all they can be checked on.
        and (actor is None or stored is None or stored == digest)
    )
    if actor is not None and not cases_visible_to(actor).filter(pk=case_id).exists():
        raise CaseNotFound("未找到该隐患")  # the same answer for missing and not yours, before anything else
    if not same:
        raise RequestIdReused(
            "该 request_id 已用于另一次操作（操作人、操作类型或内容不同），请重新提交",
            case_id=case_id,
        )
    return True


def _refetch(case: Case) -> Case:
    return Case.objects.select_related("category", "domain", "region", "holder_unit__region", "department").get(
        pk=case.pk
    )


def case_service(func):
    """Repeats are answered with the case as it is: a PWA retry of an action that already landed is not an error,
    even when it lost the version race to its own first attempt. A repeat is the same actor, action and body, and
    the case still in the actor's 辖区 (`_replayed`); anything else with a used request id is refused.

    A person's refused attempt (403 not permitted, 404, 409 wrong state or stale version) leaves one audit row,
    written here after the service's transaction has rolled back: it survives the rollback, and a successful action
    never takes the audit chain's lock. The sweep's refusals (actor None) are races it expects, not attempts."""
    action = Action(func.__name__.removeprefix("case_"))  # case_verify_pass → verify_pass; a typo fails at import

    @functools.wraps(func)
    def wrapper(*, case: Case, request_id: uuid.UUID, **kwargs) -> Case:
        actor = kwargs.get("actor")
        digest = request_digest(action, kwargs)
        repeat = functools.partial(
            _replayed, case_id=case.pk, request_id=request_id, actor=actor, action=action, digest=digest
        )
        try:
            try:
                if repeat():
                    return _refetch(case)
                token = _REQUEST_DIGEST.set(digest)
                try:
                    return func(case=case, request_id=request_id, **kwargs)
                finally:
                    _REQUEST_DIGEST.reset(token)
            except (StaleVersion, IntegrityError):
                if repeat():
                    return _refetch(case)
                raise StaleVersion("该隐患已被他人处理，请刷新后重试", case_id=case.pk) from None
        except DomainError as error:
            if kwargs.get("actor") is not None:
                _audit_refused_action(
                    action=action,
                    case_id=case.pk,
                    actor=kwargs["actor"],
                    request_id=request_id,
                    expected_version=kwargs.get("expected_version"),
                    error=error,
                )
            raise

    return wrapper


def _audit_refused_action(
    *, action: str, case_id: int, actor: User, request_id: uuid.UUID, expected_version: int | None, error: DomainError
) -> None:
    """The audit row of a refused case action, with the version the actor sent and the case's version and state
    now (one query, only on this path). `audit_refusal` writes nothing for a 422 (bad input is no security event)."""
    if error.status not in REFUSAL_OUTCOMES:
        return
    now = Case.objects.filter(pk=case_id).values("version", "state").first() or {}
    audit_refusal(
        actor=actor,
        action=f"case.{action}",
        target=f"case:{case_id}",
        error=error,
        payload={
            "request_id": request_id,
            "expected_version": expected_version,
            "current_version": now.get("version"),
            "state": now.get("state"),
        },
    )


def _move(
    *,
    case: Case,
    actor: User | None,
    action: str,
    expected_version: int,
    request_id: uuid.UUID,
    changes: dict | None = None,
    comment: str = "",
    payload: dict | None = None,
    attachment_ids: list[int] | tuple = (),
    restart_clock: bool = False,
    keep_clock: bool = False,
    kind: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Apply one action: state from the table, the clock when the step changes, the version-conditional UPDATE,
    the event row and the after-commit notification. Callers run inside their own atomic block."""
    now = now or clock.now()
    changes = dict(changes or {})
    to_state = next_state(case.state, action) if action else case.state
    to_level = changes.get("level", case.level)
    changes["state"] = to_state
    # A suspended case's deadline is stale (its clock stopped), so leaving 挂账 freezes no overdue fact; one that
    # was already overdue when suspended had it frozen on the way in.
    if (to_state != case.state or to_level != case.level or restart_clock) and case.state != State.SUSPENDED:
        changes["overdue_steps"] = _frozen_overdue(case, now)
    if (to_state != case.state or to_level != case.level or restart_clock) and not keep_clock:
        changes.update(
            _clock(
                category_id=case.category_id,
                urgent=case.urgent or case.is_major,
                step=_step_for(to_state, to_level),
                start=now,
            )
        )
    if to_state != State.HANDLING and case.extension_pending:
        # An extension is asked for the 处置 deadline; once the case leaves 处置 (escalated, dispatched, returned,
        # suspended, submitted, closed) there is nothing left to approve.
        changes.setdefault("extension_pending", False)
        changes.setdefault("extension_requested_due", None)
    if action in CLOSURE_OF:
        # Closed is closed: no 督办 reply is owed any more.
        changes.update(closure=CLOSURE_OF[Action(action)], closed_at=now, supervision_reply_due=None)
    changes["updated_at"] = now
    event = CaseEvent(
        case=case,
        request_id=request_id,
        kind=kind or ACTION_EVENT[action],
        action=action or "",
        actor=actor,
        actor_label=_label(actor),
        from_state=case.state,
        to_state=to_state,
        from_level=case.level,
        to_level=to_level,
        holder_unit_id=changes.get("holder_unit_id", case.holder_unit_id),
        comment=comment,
        payload=_with_request_digest(payload),
        due_at=changes.get("due_at", case.due_at),
        created_at=now,
        ip=current_client_ip(),
    )
    # The event joins the case's hash chain (cases/chain.py); the head moves in the same conditional UPDATE, which
    # also requires the head this event was chained to: a stale `case` can never fork the chain.
    head = event_seal(event, case_key=case.client_id, head_seq=case.event_seq, head_hash=case.event_head)
    updated = Case.objects.filter(pk=case.pk, version=expected_version, event_seq=case.event_seq).update(
        version=F("version") + 1, event_seq=event.seq, event_head=head, **changes
    )
    if updated != 1:
        raise StaleVersion("该隐患已被他人处理，请刷新后重试", case_id=case.pk)
    event.save(force_insert=True)
    rollup_apply_event(event=event, case_before=case, changes=changes)
    if attachment_ids:
        Attachment.objects.filter(pk__in=attachment_ids, case=case, event__isnull=True).update(event=event)
    if needs_task(event.kind):
        transaction.on_commit(partial(case_notify.enqueue, event_id=event.pk))
    return _refetch(case)


def _with_request_digest(payload: dict | None) -> dict:
    """The event's payload with the digest of the request that made it (`case_service`), for telling a retry from a
    reuse of its request id later. The sweep's own moves carry none."""
    digest = _REQUEST_DIGEST.get()
    return {**(payload or {}), REQUEST_DIGEST_KEY: digest} if digest else dict(payload or {})


def _require(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{what}")
    return text


def _prepare(action: str, actor: User | None, case: Case) -> None:
    """Permission, then state (403 before 409, so a user learns nothing about moves they may never make)."""
    if actor is not None:
        ensure_can(action, actor, case)
    next_state(case.state, action)


def _own_attachments(case: Case, attachment_ids: list[int], *, required: bool, what: str) -> list[int]:
    ids = list(dict.fromkeys(attachment_ids or []))
    if required and not ids:
        raise ValidationFailed(f"请上传{what}")
    found = set(Attachment.objects.filter(pk__in=ids, case=case).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"附件不属于该隐患：{missing}")
    return ids


# ---------------------------------------------------------------- 上报: create


def _fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _case_by_client_id(client_id: uuid.UUID) -> Case | None:
    """The case this client UUID already made, if any, with the fields the repeat check reads (`_refetch` loads
    the rest). get() on the unique key: `.first()` would add an ORDER BY, costly to compile on this wide model."""
    try:
        return Case.objects.only("pk", "client_fingerprint", "reporter_id").get(client_id=client_id)
    except Case.DoesNotExist:
        return None


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
    checklist_answers: dict | None = None,
    channel: str = "report",
) -> tuple[Case, bool]:
    """上报 — create a hazard case, idempotent on the client's UUID. Returns (case, created).
    An identical resend returns the same case; the same id with other content is IdempotencyConflict (409).
    `source` is what the caller claims and `channel` how the report came in; `case_source` decides what is stored."""
    submitted = dict(
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
    fingerprint = _fingerprint(submitted)
    # Insert first, look for an earlier case only when that fails: a resend is rare, and the unique client_id
    # is what makes it safe, so the common path pays no lookup.
    try:
        return (
            _case_insert(actor=actor, client_id=client_id, fingerprint=fingerprint, channel=channel, **submitted),
            True,
        )
    except IntegrityError:
        # The client_id is taken: by this client's earlier send, or by a concurrent resend that won.
        existing = _case_by_client_id(client_id)
        if existing is None:
            raise
        return _same_or_conflict(existing, fingerprint, actor), False
    except ValidationFailed as error:
        existing = _case_by_client_id(client_id)
        if existing is not None:
            # A resend of a case that landed, refused now for a reason it was not then (a category switched off,
            # a grid redrawn): the outbox must hear that it landed, not that it is bad.
            return _same_or_conflict(existing, fingerprint, actor), False
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


def _same_or_conflict(existing: Case, fingerprint: str, actor: User) -> Case:
    if existing.client_fingerprint != fingerprint or existing.reporter_id != actor.pk:
        raise IdempotencyConflict("该 client_id 已用于另一条不同内容的上报")
    return _refetch(existing)


# 来源 (domain.md §1.1: patrol, hotline, video, department checks, leader instructions). The desk (stations,
# centres) and leaders register what reached them through one of these and name which; for everyone else the
# channel is who they are and how they report, so nobody files as someone they are not.
DESK_SOURCES = frozenset({Source.HOTLINE, Source.VIDEO, Source.DEPARTMENT, Source.LEADER})
DESK_ROLES = frozenset({Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.ADMIN, Role.LEADER})
CHANNELS = ("report", "visit")  # an own report (API, field app, page); a failed item of a checklist visit


def case_source(*, actor: User, channel: str, requested: str | None) -> str:
    """The one rule for a case's `source`, decided here from the channel and the actor's role:
    a failed checklist item → 巡查 (patrol); a grid worker's own report → 网格员上报; department staff → 部门检查;
    the desk and leaders → the channel they name (hotline, video, department, leader), by default 领导交办 for a
    leader and 部门检查 for the desk. A claim the actor may not make is a 422, never silently stored."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown report channel: {channel}")
    if channel == "visit":
        decided = Source.PATROL
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
    actor,
    client_id,
    fingerprint,
    channel,
    category,
    description,
    lon,
    lat,
    crs,
    accuracy_m,
    place_id,
    severity,
    urgent,
    address,
    source,
    checklist_answers,
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
        from gridsafe.places.models import Place

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
    holder_id = tier_unit_id(grid.path, level)
    if holder_id is None:
        raise ValidationFailed("该网格没有对应的网格站/网格化中心，请联系管理员")
    cc = [".".join(grid.path.split(".")[:3])] if level == Level.TOWNSHIP else []
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
    rollup_apply_event(event=event, case_before=None, case_after=case, writes=writes)
    writes.run()
    if needs_task(event.kind):  # not today: only the desk hears of a report, when it looks (inbox_catch_up)
        transaction.on_commit(partial(case_notify.enqueue, event_id=event.pk))
    # What the answer shows of the grid and the holder is known already: no query (other fields load on access).
    case.region = Region.from_db(
        "default", ["id", "code", "name", "path"], [grid.region_id, grid.code, grid.name, grid.path]
    )
    case.holder_unit = unit_loaded(holder_id)
    return case


# ---------------------------------------------------------------- 受理 / 上报 / 派遣 / 签收 / 回退


@case_service
@transaction.atomic(durable=True)
def case_assign(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    handler_id: int | None = None,
    comment: str = "",
) -> Case:
    """受理/交办 — handle at this level, by the actor or a named person. One event."""
    _prepare(Action.ASSIGN, actor, case)
    if case.is_major:
        raise NotPermitted("重大隐患不能在本级自行处置，请上报或派遣")
    handler = actor
    if handler_id is not None and handler_id != actor.pk:
        handler = User.objects.filter(pk=handler_id, is_active=True).select_related("unit__region").first()
        if handler is None or handler.unit is None or not jurisdiction_of(actor).covers_path(handler.unit.region.path):
            raise ValidationFailed("指定的处置人不存在或不在本辖区")
    return _move(
        case=case,
        actor=actor,
        action=Action.ASSIGN,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"handler_id": handler.pk, "last_handler_id": handler.pk},
        payload={"handler_id": handler.pk, "handler": handler.label},
    )


@case_service
@transaction.atomic(durable=True)
def case_escalate(
    *,
    case: Case,
    actor: User | None,
    expected_version: int,
    request_id: uuid.UUID,
    reason: str,
    target_level: int | None = None,
) -> Case:
    """上报 — one tier up (or skip-level to the county for 重大/urgent). L1→L2 notifies the township
    专项整治指挥部 (after commit). One event."""
    _prepare(Action.ESCALATE, actor, case)
    reason = _require(reason, "上报理由")
    target = target_level or case.level + 1
    if target <= case.level or target > Level.COUNTY:
        raise ValidationFailed("上报层级无效")
    if target > case.level + 1 and not (case.is_major or case.urgent):
        raise ValidationFailed("只有重大隐患或紧急类别可以越级上报")
    holder_id = tier_unit_id(case.region_path, target)
    if holder_id is None:
        raise ValidationFailed("上级网格化中心不存在")
    notify_command = case.level == Level.VILLAGE and target >= Level.TOWNSHIP
    # 越级上报: the tiers jumped over are CC'd, as on a skip-level report (domain.md §3).
    skipped = [tier_path(case.region_path, level) for level in range(case.level + 1, target)]
    cc_paths = list(dict.fromkeys([*(case.cc_paths or []), *skipped]))
    return _move(
        case=case,
        actor=actor,
        action=Action.ESCALATE,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"level": target, "holder_unit_id": holder_id, "handler_id": None, "cc_paths": cc_paths},
        payload={
            "target_level": target,
            "skip_level": target > case.level + 1,
            "command_unit_id": command_unit_id(case.region_path) if notify_command else None,
        },
    )


@case_service
@transaction.atomic(durable=True)
def case_dispatch(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    department_id: int | None = None,
    comment: str = "",
) -> Case:
    """派遣 — send to a department (routing table by category and tier); starts the 签收 clock. One event."""
    _prepare(Action.DISPATCH, actor, case)
    if department_id is None:
        department_id = default_department_id(
            region_path=case.region_path,
            level=case.level,
            domain_id=case.domain_id,
            category_department_id=case.category.department_id,
        )
        if department_id is None:
            raise ValidationFailed("没有找到该类别的责任部门，请指定 department_id")
    department = Unit.objects.filter(pk=department_id, kind=UnitKind.DEPARTMENT, is_active=True).first()
    if department is None or department.region_id != actor.unit.region_id:
        raise ValidationFailed("只能派遣给本级职能部门")
    return _move(
        case=case,
        actor=actor,
        action=Action.DISPATCH,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={
            "department_id": department.pk,
            "dispatcher_unit_id": actor.unit_id,
            "holder_unit_id": department.pk,
            "handler_id": None,
        },
        payload={"department_id": department.pk, "department": department.name},
    )


@case_service
@transaction.atomic(durable=True)
def case_start(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = "") -> Case:
    """签收 — the department accepts; the actor becomes the handler and the 处置 clock starts. One event."""
    _prepare(Action.START, actor, case)
    return _move(
        case=case,
        actor=actor,
        action=Action.START,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"handler_id": actor.pk, "last_handler_id": actor.pk},
    )


@case_service
@transaction.atomic(durable=True)
def case_return(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason_code: str, reason: str
) -> Case:
    """回退 — a department returns to the dispatching centre; a centre returns one tier down; a local handler
    returns to its reviewers. Reason required; 非本单位职责 from a department counts as 错派. One event."""
    _prepare(Action.RETURN, actor, case)
    if reason_code not in RETURN_REASONS:
        raise ValidationFailed(f"回退原因无效，可选：{', '.join(RETURN_REASONS)}")
    reason = _require(reason, "回退说明")
    changes: dict = {"handler_id": None}
    if case.held_by_department:
        changes.update(holder_unit_id=case.dispatcher_unit_id, department_id=None, dispatcher_unit_id=None)
        if reason_code == "not_our_duty":
            changes["misdispatch_count"] = case.misdispatch_count + 1
    elif case.state == State.PENDING_REVIEW:
        lower = case.level - 1
        changes.update(level=lower, holder_unit_id=tier_unit_id(case.region_path, lower))
    return _move(
        case=case,
        actor=actor,
        action=Action.RETURN,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        restart_clock=True,
        changes=changes,
        payload={"reason_code": reason_code, "reason_label": RETURN_REASONS[reason_code]},
    )


# ---------------------------------------------------------------- 提交整改 / 核查


@case_service
@transaction.atomic(durable=True)
def case_submit(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    method: str,
    measures: str,
    attachment_ids: list[int],
    completed_at: datetime | None = None,
    five_implementations: dict | None = None,
) -> Case:
    """提交整改 — evidence ("after" photos) required; 重大 also needs the 五落实 record. One event."""
    _prepare(Action.SUBMIT, actor, case)
    if method not in SUBMIT_METHODS:
        raise ValidationFailed(f"整改方式无效，可选：{', '.join(SUBMIT_METHODS)}")
    measures = _require(measures, "整改措施")
    ids = _own_attachments(case, attachment_ids, required=True, what="整改后照片")
    payload = {
        "method": method,
        "method_label": SUBMIT_METHODS[method],
        "measures": measures,
        "completed_at": (completed_at or clock.now()).isoformat(),
        "attachment_ids": ids,
    }
    if case.is_major:
        record = five_implementations or {}
        missing = [k for k in FIVE_IMPLEMENTATIONS if not str(record.get(k, "")).strip()]
        if missing:
            raise ValidationFailed(f"重大隐患须填写五落实（措施、责任、资金、时限、预案），缺少：{', '.join(missing)}")
        payload["five_implementations"] = {k: record[k] for k in FIVE_IMPLEMENTATIONS}
    return _move(
        case=case,
        actor=actor,
        action=Action.SUBMIT,
        expected_version=expected_version,
        request_id=request_id,
        comment=measures,
        payload=payload,
        attachment_ids=ids,
        changes={"last_handler_id": case.handler_id or actor.pk, "extension_pending": False},
    )


@case_service
@transaction.atomic(durable=True)
def case_verify_pass(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    comment: str = "",
    attachment_ids: list[int] | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> Case:
    """核查通过 — closes the case as resolved (the only closure that counts as fixed). Verifier ≠ handler."""
    _prepare(Action.VERIFY_PASS, actor, case)
    ids = _own_attachments(case, attachment_ids or [], required=False, what="核查照片")
    return _move(
        case=case,
        actor=actor,
        action=Action.VERIFY_PASS,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        attachment_ids=ids,
        changes={"handler_id": None, "supervision_reply_due": None},
        payload={"attachment_ids": ids, "lon": lon, "lat": lat},
    )


@case_service
@transaction.atomic(durable=True)
def case_verify_fail(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    reason: str,
    attachment_ids: list[int] | None = None,
) -> Case:
    """核查不通过 — back to handling for rework; rework_count + 1; the 处置 clock restarts. One event."""
    _prepare(Action.VERIFY_FAIL, actor, case)
    reason = _require(reason, "不通过原因")
    ids = _own_attachments(case, attachment_ids or [], required=False, what="核查照片")
    return _move(
        case=case,
        actor=actor,
        action=Action.VERIFY_FAIL,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        attachment_ids=ids,
        changes={"rework_count": case.rework_count + 1, "handler_id": case.last_handler_id},
        payload={"attachment_ids": ids, "rework_count": case.rework_count + 1},
    )


# ---------------------------------------------------------------- 延期 / 挂账


@case_service
@transaction.atomic(durable=True)
def case_request_extension(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, requested_due: datetime, reason: str
) -> Case:
    """延期申请 — a flag; the deadline changes only on approval. One event."""
    _prepare(Action.REQUEST_EXTENSION, actor, case)
    reason = _require(reason, "延期理由")
    if case.extension_count >= settings.GRIDSAFE_MAX_EXTENSIONS:
        raise ValidationFailed(f"已延期 {case.extension_count} 次，达到上限")
    if case.due_at is not None and requested_due <= case.due_at:
        raise ValidationFailed("申请的期限须晚于当前期限")
    return _move(
        case=case,
        actor=actor,
        action=Action.REQUEST_EXTENSION,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"extension_pending": True, "extension_requested_due": requested_due},
        payload={"requested_due": requested_due.isoformat(), "current_due": case.due_at},
    )


@case_service
@transaction.atomic(durable=True)
def case_approve_extension(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = ""
) -> Case:
    """同意延期 — the new deadline replaces the old one for "on time"; the original is kept. One event."""
    _prepare(Action.APPROVE_EXTENSION, actor, case)
    new_due = case.extension_requested_due
    return _move(
        case=case,
        actor=actor,
        action=Action.APPROVE_EXTENSION,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={
            "extension_pending": False,
            "extension_count": case.extension_count + 1,
            "due_at": new_due,
            "yellow_at": min(case.yellow_at or new_due, new_due),
            "next_sweep_at": new_due if case.alert_stage else min(case.yellow_at or new_due, new_due),
            "alert_stage": min(case.alert_stage, 1),
        },
        payload={"previous_due": case.due_at, "new_due": new_due},
    )


@case_service
@transaction.atomic(durable=True)
def case_reject_extension(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason: str
) -> Case:
    """驳回延期 — the deadline stays. One event."""
    _prepare(Action.REJECT_EXTENSION, actor, case)
    reason = _require(reason, "驳回理由")
    return _move(
        case=case,
        actor=actor,
        action=Action.REJECT_EXTENSION,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"extension_pending": False, "extension_requested_due": None},
    )


@case_service
@transaction.atomic(durable=True)
def case_suspend(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason: str, review_date: date
) -> Case:
    """挂账 — the clock stops; what was left of the limit is kept for resume. Review date mandatory. One event."""
    _prepare(Action.SUSPEND, actor, case)
    reason = _require(reason, "挂账理由")
    now = clock.now()
    if review_date <= now.date():
        raise ValidationFailed("复核日期须晚于今天")
    remaining = None
    if case.due_at is not None and case.limit_unit:
        remaining = (
            max(0.0, current_calendar().elapsed(now, case.due_at, case.limit_unit)) if now < case.due_at else 0.0
        )
    return _move(
        case=case,
        actor=actor,
        action=Action.SUSPEND,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        now=now,
        keep_clock=True,
        changes={"remaining_on_suspend": remaining, "suspend_review_date": review_date, "next_sweep_at": None},
        payload={"review_date": review_date.isoformat(), "remaining": remaining},
    )


@case_service
@transaction.atomic(durable=True)
def case_resume(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = "") -> Case:
    """挂账恢复 — the 处置 clock runs again with what was left when it stopped (time suspended is excluded)."""
    _prepare(Action.RESUME, actor, case)
    now = clock.now()
    changes: dict = {"suspend_review_date": None, "remaining_on_suspend": None}
    if case.remaining_on_suspend is not None and case.limit_unit and case.limit_amount:
        # Yellow comes when 80 % of the whole limit is used: what remains now, less the last 20 %.
        cal = current_calendar()
        remaining = case.remaining_on_suspend
        due = cal.add(now, Decimal(str(remaining)), case.limit_unit)
        yellow = cal.add(now, Decimal(str(max(0.0, remaining - float(case.limit_amount) * 0.2))), case.limit_unit)
        changes.update(due_at=due, yellow_at=yellow, next_sweep_at=yellow, alert_stage=0)
    return _move(
        case=case,
        actor=actor,
        action=Action.RESUME,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        now=now,
        changes=changes,
        keep_clock=True,
        payload={"due_at": changes.get("due_at")},
    )


# ---------------------------------------------------------------- 作废 / 并单 / 移交 / 重新打开


@case_service
@transaction.atomic(durable=True)
def case_void(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason_code: str, reason: str
) -> Case:
    """作废 — closes as invalid (never counted as fixed). Lead only. One event."""
    _prepare(Action.VOID, actor, case)
    if reason_code not in VOID_REASONS:
        raise ValidationFailed(f"作废原因无效，可选：{', '.join(VOID_REASONS)}")
    reason = _require(reason, "作废说明")
    return _move(
        case=case,
        actor=actor,
        action=Action.VOID,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"handler_id": None},
        payload={"reason_code": reason_code, "reason_label": VOID_REASONS[reason_code]},
    )


@case_service
@transaction.atomic(durable=True)
def case_merge(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, master_id: int, comment: str = ""
) -> Case:
    """并单 — closes as a duplicate of a master case the actor can see; the master counts, this one does not."""
    _prepare(Action.MERGE, actor, case)
    if master_id == case.pk:
        raise ValidationFailed("不能与自身合并")
    try:
        master = get_case_for_user(actor, master_id)
    except CaseNotFound:
        raise ValidationFailed("主隐患不存在") from None
    if master.closure and master.closure != "resolved":
        raise ValidationFailed("主隐患已作废、并单或移交，不能作为主单")
    return _move(
        case=case,
        actor=actor,
        action=Action.MERGE,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"master_id": master.pk, "handler_id": None},
        payload={"master_id": master.pk},
    )


@case_service
@transaction.atomic(durable=True)
def case_transfer(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    external_body: str,
    external_ref: str,
    comment: str = "",
) -> Case:
    """移交 — closes as transferred to a body outside the loop, with its reference number. One event."""
    _prepare(Action.TRANSFER, actor, case)
    body = _require(external_body, "移交单位")
    ref = _require(external_ref, "对方受理编号")
    return _move(
        case=case,
        actor=actor,
        action=Action.TRANSFER,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"external_body": body[:100], "external_ref": ref[:60], "handler_id": None},
        payload={"external_body": body, "external_ref": ref},
    )


@case_service
@transaction.atomic(durable=True)
def case_reopen(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason: str) -> Case:
    """重新打开 — a resolved case within the reopen period goes back to its last handler, who is notified."""
    _prepare(Action.REOPEN, actor, case)
    reason = _require(reason, "重新打开原因")
    return _move(
        case=case,
        actor=actor,
        action=Action.REOPEN,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={
            "closure": "",
            "closed_at": None,
            "reopen_count": case.reopen_count + 1,
            "handler_id": case.last_handler_id,
        },
        payload={"last_handler_id": case.last_handler_id},
    )


# ---------------------------------------------------------------- 督办 / 催办 / 备注


@case_service
@transaction.atomic(durable=True)
def case_supervise(
    *,
    case: Case,
    actor: User | None,
    expected_version: int,
    request_id: uuid.UUID,
    level: str,
    instruction: str = "",
    automatic: bool = False,
    now: datetime | None = None,
) -> Case:
    """督办 — a normal, yellow-card or red-card order with a reply deadline; by a higher tier, a leader or the
    sweep. The case's flag keeps the strongest open order. One event and one Supervision row."""
    _prepare(Action.SUPERVISE, actor, case)
    if level not in ("normal", "yellow", "red"):
        raise ValidationFailed("督办级别无效，可选：normal、yellow、red")
    if actor is not None:
        instruction = _require(instruction, "督办意见")
    now = now or clock.now()
    limit = limit_for(category_id=case.category_id, urgent=case.urgent or case.is_major, step=Step.SUPERVISION_REPLY)
    reply_due = current_calendar().deadlines(now, *limit)[1] if limit else now + timedelta(days=1)
    Supervision.objects.create(
        case=case,
        level=level,
        automatic=automatic,
        issued_by=actor,
        issued_unit_id=actor.unit_id if actor else None,
        target_unit_id=case.holder_unit_id,
        instruction=instruction,
        issued_at=now,
        reply_due=reply_due,
    )
    strongest = max(case.supervision or "", level, key=lambda v: SUPERVISION_RANK[v])
    return _move(
        case=case,
        actor=actor,
        action=Action.SUPERVISE,
        expected_version=expected_version,
        request_id=request_id,
        comment=instruction,
        now=now,
        changes={"supervision": strongest, "supervision_reply_due": reply_due},
        payload={"level": level, "automatic": automatic, "reply_due": reply_due},
    )


@case_service
@transaction.atomic(durable=True)
def case_reply_supervision(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reply: str
) -> Case:
    """督办回复 — answers every open order on the case. One event."""
    _prepare(Action.REPLY_SUPERVISION, actor, case)
    reply = _require(reply, "回复内容")
    now = clock.now()
    Supervision.objects.filter(case=case, replied_at__isnull=True).update(reply=reply, replied_at=now, replied_by=actor)
    return _move(
        case=case,
        actor=actor,
        action=Action.REPLY_SUPERVISION,
        expected_version=expected_version,
        request_id=request_id,
        comment=reply,
        now=now,
        changes={"supervision_reply_due": None},
    )


@case_service
@transaction.atomic(durable=True)
def case_urge(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str) -> Case:
    """催办 — a reminder to the holder, recorded on the timeline. One event."""
    _prepare(Action.URGE, actor, case)
    return _move(
        case=case,
        actor=actor,
        action=Action.URGE,
        expected_version=expected_version,
        request_id=request_id,
        comment=_require(comment, "催办内容"),
    )


@case_service
@transaction.atomic(durable=True)
def case_regrade(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, grade: str, basis: str
) -> Case:
    """定级 — confirm a 重大 proposal (or correct a grade) with its 判定依据 (standard, clause, item). The deadline of
    the current step stands; later steps run on the 重大 limits, and only the department's lead closes a 重大 case."""
    _prepare(Action.REGRADE, actor, case)
    if grade not in Grade.values:
        raise ValidationFailed(f"隐患等级无效，可选：{', '.join(Grade.values)}")
    if grade == case.grade:
        raise ValidationFailed(f"该隐患已是“{Grade(grade).label}”")
    basis = _require(basis, "判定依据")
    return _move(
        case=case,
        actor=actor,
        action=Action.REGRADE,
        expected_version=expected_version,
        request_id=request_id,
        changes={"grade": grade},
        comment=basis,
        payload={"from": case.grade, "to": grade, "basis": basis},
        keep_clock=True,
    )


@case_service
@transaction.atomic(durable=True)
def case_comment(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    comment: str,
    attachment_ids: list[int] | None = None,
) -> Case:
    """备注 — a note (and attachments) on the timeline. One event."""
    _prepare(Action.COMMENT, actor, case)
    ids = _own_attachments(case, attachment_ids or [], required=False, what="附件")
    return _move(
        case=case,
        actor=actor,
        action=Action.COMMENT,
        expected_version=expected_version,
        request_id=request_id,
        comment=_require(comment, "备注内容"),
        attachment_ids=ids,
        payload={"attachment_ids": ids},
    )


ACTION_SERVICES = {
    Action.ASSIGN: case_assign,
    Action.ESCALATE: case_escalate,
    Action.DISPATCH: case_dispatch,
    Action.START: case_start,
    Action.RETURN: case_return,
    Action.SUBMIT: case_submit,
    Action.VERIFY_PASS: case_verify_pass,
    Action.VERIFY_FAIL: case_verify_fail,
    Action.REQUEST_EXTENSION: case_request_extension,
    Action.APPROVE_EXTENSION: case_approve_extension,
    Action.REJECT_EXTENSION: case_reject_extension,
    Action.SUSPEND: case_suspend,
    Action.RESUME: case_resume,
    Action.VOID: case_void,
    Action.MERGE: case_merge,
    Action.TRANSFER: case_transfer,
    Action.REOPEN: case_reopen,
    Action.SUPERVISE: case_supervise,
    Action.REPLY_SUPERVISION: case_reply_supervision,
    Action.URGE: case_urge,
    Action.COMMENT: case_comment,
    Action.REGRADE: case_regrade,
}


__all__ = ["ACTION_SERVICES", "case_report", "level_unit_id"]


# ---------------------------------------------------------------- 附件


def attachment_add(
    *,
    case: Case,
    actor: User,
    client_id: uuid.UUID,
    upload,
    role: str = "report",
    captured_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
) -> tuple[Attachment, bool]:
    """Store one photo, video or document on a case, idempotent on the client's UUID. Returns (row, created).
    The type is checked by content, identifying metadata (EXIF GPS, device, author) is stripped and the SHA-256 of
    the stored bytes kept (cases.uploads.accept_upload), and the file is streamed to storage
    and fsynced before the row commits; a failed commit removes the file, so nothing is orphaned."""
    from django.core.files.base import ContentFile

    from gridsafe.cases.models import AttachmentRole
    from gridsafe.cases.uploads import accept_upload, make_thumbnail

    if role not in AttachmentRole.values:
        raise ValidationFailed(f"附件用途无效，可选：{', '.join(AttachmentRole.values)}")
    info, upload = accept_upload(upload)  # `upload` is now what is stored: without EXIF GPS, device or author
    existing = Attachment.objects.filter(client_id=client_id).first()
    if existing is not None:
        if not _same_attachment(existing, case=case, actor=actor, sha256=info.sha256):
            raise IdempotencyConflict("该附件 client_id 已用于另一个文件")
        return existing, False
    if not case.is_open and role != AttachmentRole.DOCUMENT:
        raise ValidationFailed("隐患已结案，不能再添加照片")
    now = clock.now()
    attachment = Attachment(
        client_id=client_id,
        case=case,
        role=role,
        original_name=getattr(upload, "name", "")[:200],
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
        width=info.width,
        height=info.height,
        captured_at=captured_at,
        capture_lon=lon,
        capture_lat=lat,
        capture_accuracy_m=accuracy_m,
        uploaded_by=actor,
        created_at=now,
    )
    upload.seek(0)
    attachment.file.save(f"{client_id}{info.extension}", upload, save=False)
    if info.kind == "image":
        upload.seek(0)
        attachment.thumbnail.save(f"{client_id}.jpg", ContentFile(make_thumbnail(upload)), save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:
        _discard_files(attachment)
        existing = Attachment.objects.filter(client_id=client_id).first()
        if existing is None or not _same_attachment(existing, case=case, actor=actor, sha256=info.sha256):
            raise IdempotencyConflict("该附件 client_id 已用于另一个文件") from None
        return existing, False
    except Exception:
        _discard_files(attachment)
        raise
    return attachment, True


def _same_attachment(existing: Attachment, *, case: Case, actor: User, sha256: str) -> bool:
    """A resend of this very upload: the same case, the same bytes and the same person. Someone else's client id
    is no way to another person's upload (its capture time and place), even on a case both may see."""
    return existing.case_id == case.pk and existing.sha256 == sha256 and existing.uploaded_by_id == actor.pk


def _discard_files(attachment: Attachment) -> None:
    for field in (attachment.file, attachment.thumbnail):
        if field and field.name:
            field.storage.delete(field.name)
