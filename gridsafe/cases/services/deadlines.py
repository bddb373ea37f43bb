"""The clock of a case: which step a state is in, its deadline and yellow instant, and the overdue facts a
left step freezes. `_move` calls these whenever the state, level or clock changes."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from gridsafe.cases.models import Case, Level
from gridsafe.cases.transitions import State
from gridsafe.catalog.calendar import current_calendar
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import Step

SWEEP_NS = uuid.UUID("6f1d2b0e-3c55-4b7a-9a61-0c1f5e2d8a01")


def _step_for(state: str, level: int) -> str:
    if state == State.PENDING_REVIEW:
        review_step: dict[int, str] = {Level.VILLAGE: Step.REVIEW_VILLAGE, Level.TOWNSHIP: Step.REVIEW_TOWNSHIP}
        return review_step.get(level, Step.REVIEW_COUNTY)
    timed_step: dict[str, str] = {
        State.DISPATCHED: Step.SIGN,
        State.HANDLING: Step.HANDLE,
        State.PENDING_VERIFICATION: Step.VERIFY,
    }
    return timed_step.get(state, "")


def _clock(*, category_id: int, urgent: bool, step: str, start: datetime) -> dict[str, Any]:
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


def _frozen_overdue(case: Case, now: datetime) -> list[dict[str, Any]]:
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


def _clock_paused(case: Case, now: datetime) -> dict[str, Any]:
    """The clock fields that stop the running step's clock at `now` (挂账, 退回核实): what was left of the limit is
    kept in remaining_on_suspend (0 when already overdue) and the deadlines are cleared, so no light, queue or sweep
    counts the time the case waits. The overdue fact of the step, if any, is frozen first."""
    remaining = None
    if case.due_at is not None and case.limit_unit:
        remaining = (
            max(0.0, current_calendar().elapsed(now, case.due_at, case.limit_unit)) if now < case.due_at else 0.0
        )
    return {
        "remaining_on_suspend": remaining,
        "overdue_steps": _frozen_overdue(case, now),
        "yellow_at": None,
        "due_at": None,
        "next_sweep_at": None,
    }


def _clock_resumed(case: Case, now: datetime) -> dict[str, Any]:
    """The clock fields that run the paused step again from `now` with what was left when it stopped: yellow comes
    when 80 % of the whole limit is used (what remains, less the last 20 %)."""
    changes: dict[str, Any] = {"remaining_on_suspend": None}
    if case.remaining_on_suspend is not None and case.limit_unit and case.limit_amount:
        cal = current_calendar()
        remaining = case.remaining_on_suspend
        due = cal.add(now, Decimal(str(remaining)), case.limit_unit)
        yellow = cal.add(now, Decimal(str(max(0.0, remaining - float(case.limit_amount) * 0.2))), case.limit_unit)
        changes.update(due_at=due, yellow_at=yellow, next_sweep_at=yellow, alert_stage=0)
    return changes


def _clock_until(start: datetime, due: datetime) -> dict[str, Any]:
    """A step whose deadline a person set (a dispatch's 处置时限) rather than the category's limit: yellow at 80 % of
    the time from start to due, in calendar time."""
    yellow = start + (due - start) * 0.8
    return {"due_at": due, "original_due_at": due, "yellow_at": yellow, "next_sweep_at": yellow}
