"""Periodic oversight work for the worker loop: `oversight_due(now)` runs the oversight calendar (dashboards.schedule:
the monthly bulletin, the quarterly 督导 report, 信息材料 and inspection/meeting reminders). Each run happens once,
however often it is called and by however many workers."""

from datetime import datetime

from gridsafe.core import clock
from gridsafe.dashboards.schedule import oversight_tick


def oversight_due(now: datetime | None = None) -> dict[str, int]:
    """One tick; returns how many runs finished, by job."""
    counts: dict[str, int] = {}
    for run in oversight_tick(now or clock.now()):
        key = f"{run.job}:{run.status}"
        counts[key] = counts.get(key, 0) + 1
    return counts


__all__ = ["oversight_due", "oversight_tick"]
