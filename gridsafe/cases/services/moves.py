"""The one write path of a case: `case_service` (repeat → action → audit of a refusal) around every action, and
`_move`, which applies one action (state, clock, version-conditional UPDATE, event, after-commit work)."""

import functools
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from django.db import IntegrityError
from django.db.models import F

from gridsafe.accounts.models import User
from gridsafe.cases.chain import event_seal
from gridsafe.cases.events import ACTION_EVENT
from gridsafe.cases.hooks import case_event_schedule, case_event_written
from gridsafe.cases.models import Attachment, Case, CaseEvent
from gridsafe.cases.permissions import (
    ensure_can,
)
from gridsafe.cases.services.deadlines import _clock, _clock_until, _frozen_overdue, _step_for
from gridsafe.cases.services.replay import _REQUEST_DIGEST, _replayed, _with_request_digest, request_digest
from gridsafe.cases.transitions import CLOSURE_OF, Action, State, ensure_not_waiting, next_state
from gridsafe.catalog.models import Step
from gridsafe.core import clock
from gridsafe.core.audit import REFUSAL_OUTCOMES, audit_refusal
from gridsafe.core.errors import (
    DomainError,
    StaleVersion,
    ValidationFailed,
)
from gridsafe.core.http import current_client_ip

# An action service: keyword arguments only, the moved case back (`case_service` wraps it and keeps its signature).
_Service = TypeVar("_Service", bound=Callable[..., Case])


def _label(actor: User | None) -> str:
    return actor.label if actor is not None else "系统"


def _refetch(case: Case) -> Case:
    return Case.objects.select_related("category", "domain", "region", "holder_unit__region", "department").get(
        pk=case.pk
    )


def case_service(func: _Service) -> _Service:
    """Repeats are answered with the case as it is: a PWA retry of an action that already landed is not an error,
    even when it lost the version race to its own first attempt. A repeat is the same actor, action and body, and
    the case still in the actor's 辖区 (`_replayed`); anything else with a used request id is refused.

    A person's refused attempt (403 not permitted, 404, 409 wrong state or stale version) leaves one audit row,
    written here after the service's transaction has rolled back: it survives the rollback, and a successful action
    never takes the audit chain's lock. The sweep's refusals (actor None) are races it expects, not attempts."""
    action = Action(func.__name__.removeprefix("case_"))  # case_verify_pass → verify_pass; a typo fails at import

    @functools.wraps(func)
    def wrapper(*, case: Case, request_id: uuid.UUID, **kwargs: Any) -> Case:
        actor = kwargs.get("actor")
        digest = request_digest(action, kwargs)
        repeat = functools.partial(
            _replayed, case_id=case.pk, request_id=request_id, actor=actor, action=action, fields=kwargs
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

    # functools.wraps keeps the service's own signature (keyword-only case, request_id, actor …) for its callers.
    return cast(_Service, wrapper)


def _audit_refused_action(
    *, action: str, case_id: int, actor: User, request_id: uuid.UUID, expected_version: int | None, error: DomainError
) -> None:
    """The audit row of a refused case action, with the version the actor sent and the case's version and state
    now (one query, only on this path). `audit_refusal` writes nothing for a 422 (bad input is no security event)."""
    if error.status not in REFUSAL_OUTCOMES:
        return
    now: Mapping[str, object] = Case.objects.filter(pk=case_id).values("version", "state").first() or {}
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
    changes: dict[str, Any] | None = None,
    comment: str = "",
    payload: dict[str, Any] | None = None,
    attachment_ids: list[int] | tuple[int, ...] = (),
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
        handle_due = changes.get("handle_due_at", case.handle_due_at)
        if changes.get("step") == Step.HANDLE and handle_due is not None and handle_due > now:
            changes.update(_clock_until(now, handle_due))  # the deadline the dispatch set (派遣时限)
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
    case_event_written(event=event, case_before=case, changes=changes)  # the rollups, in this transaction
    if attachment_ids:
        Attachment.objects.filter(pk__in=attachment_ids, case=case, event__isnull=True).update(event=event)
    case_event_schedule(event)  # notifications, after commit
    return _refetch(case)


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
    ensure_not_waiting(case.with_worker_id is not None, action)


def _own_attachments(case: Case, attachment_ids: list[int], *, required: bool, what: str) -> list[int]:
    ids = list(dict.fromkeys(attachment_ids or []))
    if required and not ids:
        raise ValidationFailed(f"请上传{what}")
    found = set(Attachment.objects.filter(pk__in=ids, case=case).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"附件不属于该隐患：{missing}")
    return ids
