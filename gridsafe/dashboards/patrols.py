"""巡查覆盖 for scores: which patrols count, and a grid worker's covered grid-weeks. The one place dashboards ask
the field app which patrols count (the county's patrol rule, field.PatrolRule: minutes and metres inside the grid)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from gridsafe.dashboards.periods import Period, today
from gridsafe.field.models import Patrol, PatrolStatus


def counted_patrols() -> QuerySet[Patrol]:
    """Patrols that count toward coverage (已巡查): ended, and meeting the patrol rule where the field app judges it
    (`Patrol.objects.counted()`); until it does, every ended patrol."""
    objects = Patrol.objects.all()
    counted = getattr(objects, "counted", None)
    return counted() if counted is not None else objects.filter(status=PatrolStatus.ENDED)


def weeks_due(period: Period, *, until: date | None = None) -> list[tuple[int, int]]:
    """ISO (year, week) of the weeks touching the period that are over by `until` (today): the weeks a grid must
    have been patrolled in. The week in progress is not due yet."""
    until = until or today()
    start, end = period.start, min(period.end, until)
    weeks = []
    day = start - timedelta(days=start.weekday())
    while day <= end:
        if day + timedelta(days=6) < until:
            weeks.append(day.isocalendar()[:2])
        day += timedelta(days=7)
    return weeks


def worker_patrol_weeks(grids: dict[int, list[int]], period: Period) -> dict[int, dict[str, int]]:
    """{worker id: {"patrol_weeks_done", "patrol_weeks_due", "patrols"}} over each worker's own grids (grid ids)
    for the period: a grid-week is done when the worker ended a counted patrol of that grid in that week. One query."""
    out: dict[int, dict[str, int]] = {}
    if period.start is None or period.end is None or not grids:
        return {w: {"patrol_weeks_done": 0, "patrol_weeks_due": 0, "patrols": 0} for w in grids}
    due = set(weeks_due(period))
    done: dict[int, set] = defaultdict(set)
    patrols: dict[int, int] = defaultdict(int)
    week_start = period.start - timedelta(days=period.start.weekday())
    week_end = period.end + timedelta(days=6 - period.end.weekday())
    tz_start = Period("", "", week_start, week_end).start_at()
    tz_end = Period("", "", week_start, week_end).end_before()
    for worker_id, grid_id, ended in (
        counted_patrols()
        .filter(worker_id__in=list(grids), ended_at__gte=tz_start, ended_at__lt=tz_end)
        .values_list("worker_id", "grid_id", "ended_at")
    ):
        day = timezone.localtime(ended).date()
        week = day.isocalendar()[:2]
        if grid_id in grids.get(worker_id, ()):
            done[worker_id].add((grid_id, week))
        if period.start <= day <= period.end:
            patrols[worker_id] += 1
    for worker_id, own in grids.items():
        mine = done.get(worker_id, set())
        covered = sum(1 for g in own for w in due if (g, w) in mine)
        # a week in progress that is already patrolled counts on both sides: done early is done
        early = sum(1 for g, w in mine if w not in due and g in own and _touches(w, period))
        out[worker_id] = {
            "patrol_weeks_done": covered + early,
            "patrol_weeks_due": len(own) * len(due) + early,
            "patrols": patrols.get(worker_id, 0),
        }
    return out


def _touches(week: tuple[int, int], period: Period) -> bool:
    monday = date.fromisocalendar(week[0], week[1], 1)
    return monday <= period.end and monday + timedelta(days=6) >= period.start
