"""Periodic oversight work for the worker loop: `oversight_due(now)` generates the bulletins that are due and sends
the 信息材料 reminders. Both halves are idempotent, so calling it every sweep (30 s) or every hour is the same."""

from datetime import datetime

from gridsafe.core import clock
from gridsafe.dashboards.bulletins import bulletins_generate_due
from gridsafe.dashboards.inforeports import info_reports_remind_due


def oversight_due(now: datetime | None = None) -> dict[str, int]:
    now = now or clock.now()
    return {"bulletins": len(bulletins_generate_due(now)), "reminders": info_reports_remind_due(now)}


__all__ = ["bulletins_generate_due", "info_reports_remind_due", "oversight_due"]
