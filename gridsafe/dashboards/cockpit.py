"""驾驶舱 — the leader's landing page: key figures, the red list (red cards and red lights), 督办, what is overdue and
where, the rankings in brief, and the way to the big screen and the bulletins.

Nothing new is counted here: every figure comes from the dashboards' selectors over the rollups (`region_report`,
`department_rows`, `watched_cases`), the same numbers as the statistics pages and the big screen, with the same
drill-down links."""

from __future__ import annotations

from datetime import datetime

from gridsafe.accounts.models import User
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.access import departments_visible_at
from gridsafe.dashboards.bulletins import bulletins_visible_to
from gridsafe.dashboards.periods import Period
from gridsafe.regions.models import Region

LIST_LENGTH = 8  # cases in each list: a glance, the full lists are one click away
RANK_SHOWN = 3  # best and last units of each ranking


def _ends(rows: list[dict]) -> dict:
    """The best and the last RANK_SHOWN of a ranked list (units with no score are neither)."""
    scored = [r for r in rows if r.get("rank") is not None]
    best = scored[:RANK_SHOWN]
    last = [r for r in reversed(scored[RANK_SHOWN:])][:RANK_SHOWN]
    return {"best": best, "last": last, "unscored": len(rows) - len(scored), "total": len(rows)}


def cockpit_for(user: User, region: Region, period: Period, now: datetime) -> dict:
    """Everything the cockpit shows, for a node in the user's 辖区. About 15 queries, none per row."""
    report = sel.region_report(region, period)
    gauges = report["gauges"]
    departments = sel.department_rows(list(departments_visible_at(region)), period) if region.level <= 2 else []
    children = report["children"]
    overdue_where = sorted(
        (c for c in children if c["gauges"]["overdue"]), key=lambda c: (-c["gauges"]["overdue"], c["code"])
    )[:6]
    overdue_departments = sorted(
        (d for d in departments if d["gauges"]["overdue"]), key=lambda d: (-d["gauges"]["overdue"], d["code"])
    )[:6]
    # Red cards in their own list; the 督办 list beside it shows the others, so no case is listed twice.
    red_cards = sel.watched_cases(path=region.path, kind="supervised", limit=LIST_LENGTH, levels=("red",))
    other_supervised = sel.watched_cases(
        path=region.path, kind="supervised", limit=LIST_LENGTH, levels=("yellow", "normal")
    )
    return {
        "report": report,
        "open_total": sum(v for k, v in gauges.items() if k.startswith("open_")),
        "overdue": [sel.case_row(c, now) for c in sel.watched_cases(path=region.path, limit=LIST_LENGTH)],
        "supervised": [sel.case_row(c, now) for c in other_supervised],
        "red_cards": [sel.case_row(c, now) for c in red_cards],
        "overdue_where": overdue_where,
        "overdue_departments": overdue_departments,
        "children_rank": _ends(children),
        "departments_rank": _ends(departments),
        "bulletin": bulletins_visible_to(user).first(),
    }
