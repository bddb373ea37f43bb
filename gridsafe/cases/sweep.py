"""The periodic sweep: traffic lights turn, 催办 at yellow, overdue frozen and 督办 raised at red, yellow card at
2× the limit, red card at 3×. It reads only cases whose `next_sweep_at` has come (a partial index), so a sweep
costs O(due), not O(open). Claims are the services' version-conditional UPDATEs: losing a race is normal."""

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from gridsafe.cases.events import EventKind
from gridsafe.cases.models import SUPERVISION_RANK, Case, Supervision
from gridsafe.cases.services import SWEEP_NS, _frozen_overdue, _move, case_supervise
from gridsafe.catalog.calendar import current_calendar
from gridsafe.core import clock
from gridsafe.core.errors import StaleVersion

log = logging.getLogger("gridsafe.sweep")

# alert_stage → (multiple of the limit at which the next stage starts, card raised when it does)
CARDS = {2: (Decimal(2), "yellow"), 3: (Decimal(3), "red")}


def _request_id(case: Case, stage: int) -> uuid.UUID:
    # The deadline in force is part of the key: an approved extension or a resume after 挂账 gives the same step a
    # new deadline, whose alerts are new events, not repeats of the old deadline's (which would collide on the
    # unique (case, request_id) and be taken for a retry).
    return uuid.uuid5(SWEEP_NS, f"{case.pk}:{case.step}:{case.step_started_at}:{case.due_at}:{stage}")


def _at_multiple(case: Case, multiple: Decimal) -> datetime:
    """When `multiple` times the limit has been used: measured on from the deadline in force, so time spent 挂账 and
    an approved extension move the cards as they move the deadline."""
    return current_calendar().add(case.due_at, case.limit_amount * (multiple - 1), case.limit_unit)


@transaction.atomic(durable=True)
def case_sweep_one(*, case: Case, now: datetime) -> Case | None:
    """Advance one case by one alert stage. Writes one event (and a Supervision row at red and beyond). None when
    nothing is due yet: at the deadline to the instant the case is yellow, and red only once it has passed."""
    stage = case.alert_stage
    if stage == 0 and case.yellow_at and now >= case.yellow_at and now <= case.due_at:
        return _move(
            case=case,
            actor=None,
            action="",
            kind=EventKind.CASE_DUE_SOON,
            now=now,
            expected_version=case.version,
            request_id=_request_id(case, 1),
            comment="临期预警：已用时限超过 80%，请抓紧办理",
            changes={"alert_stage": 1, "next_sweep_at": case.due_at},
        )
    if stage <= 1 and case.due_at and now > case.due_at:
        return _move(
            case=case,
            actor=None,
            action="",
            kind=EventKind.CASE_OVERDUE,
            now=now,
            expected_version=case.version,
            request_id=_request_id(case, 2),
            comment=f"已超期：{case.get_state_display()}环节时限已过",
            changes={
                "alert_stage": 2,
                "overdue_steps": _frozen_overdue(case, now),
                "next_sweep_at": _at_multiple(case, CARDS[2][0]),
            },
        )
    return None


def _card_reached(case: Case, now: datetime) -> tuple[str, int, datetime | None]:
    """The one 督办 step a late case has reached at `now`: (card, alert stage after it, next sweep). A sweep that
    runs late (the worker was down, a case 3× over its limit when first seen) goes straight to the step reached:
    普通, 黄牌 and 红牌 are escalation steps, not a backlog to replay in one minute."""
    at_three = _at_multiple(case, CARDS[3][0])
    if now >= at_three:
        return "red", 4, None
    at_two = _at_multiple(case, CARDS[2][0])
    if now >= at_two:
        return "yellow", 3, at_three
    return "normal", 2, at_two


def _supervise(case: Case, now: datetime) -> tuple[Case, str]:
    """Raise the card the case has reached, once. When an order at least as strong is already open on this step (a
    leader's red card, or the card an earlier pass raised) only the stage moves: no second notice. Returns the case
    and the card raised ("" for none)."""
    level, stage, next_at = _card_reached(case, now)
    open_orders = Supervision.objects.filter(case=case, replied_at__isnull=True)
    if case.step_started_at is not None:
        open_orders = open_orders.filter(issued_at__gte=case.step_started_at)
    strongest = max((SUPERVISION_RANK[v] for v in open_orders.values_list("level", flat=True)), default=0)
    if strongest < SUPERVISION_RANK[level]:
        case = case_supervise(
            case=case,
            actor=None,
            expected_version=case.version,
            request_id=_request_id(case, stage * 10),
            level=level,
            instruction=f"系统自动督办（{ {'normal': '普通', 'yellow': '黄牌', 'red': '红牌'}[level] }）",
            automatic=True,
            now=now,
        )
    else:
        level = ""
    Case.objects.filter(pk=case.pk, version=case.version).update(alert_stage=stage, next_sweep_at=next_at)
    return Case.objects.get(pk=case.pk), level


def sweep_due_cases(*, now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """One pass. Returns counts by outcome. A case moves to the stage it has reached, one claim and at most one
    督办 notice per step (see `_card_reached`)."""
    now = now or clock.now()
    limit = limit or settings.GRIDSAFE_SWEEP_BATCH
    counts = {"due_soon": 0, "overdue": 0, "cards": 0, "lost_race": 0}
    for case in Case.objects.open().due_for_sweep(now).select_related("category")[:limit]:
        try:
            for _ in range(4):
                if case.next_sweep_at is None or case.next_sweep_at > now or case.state in ("closed", "suspended"):
                    break
                stage = case.alert_stage
                if stage <= 1:
                    moved = case_sweep_one(case=case, now=now)
                    if moved is None:
                        break
                    case = moved
                    counts["due_soon" if case.alert_stage == 1 else "overdue"] += 1
                    if case.alert_stage != 2:
                        continue
                elif stage not in CARDS:
                    Case.objects.filter(pk=case.pk, version=case.version).update(next_sweep_at=None)
                    break
                case, card = _supervise(case, now)
                counts["cards"] += card in ("yellow", "red")
        except StaleVersion:
            counts["lost_race"] += 1  # a person or another sweeper moved it first
    return counts
