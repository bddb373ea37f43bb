"""The county big screen (大屏): one JSON feed polled every 30 s, and the region outlines fetched once.

The feed reads the rollups for every number (about a dozen small queries whatever the number of cases) and the
case table only for the latest reports and the live points, each an indexed top-N."""

from __future__ import annotations

from datetime import date

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case
from gridsafe.cases.transitions import state_text
from gridsafe.core import clock
from gridsafe.dashboards import config
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.models import Scope, WatchedCase
from gridsafe.dashboards.periods import Period, month_period, today
from gridsafe.dashboards.rollups import OPEN
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region

LIVE_POINTS = 600
LATEST = 12


def _point(case: Case, now, *, watched: WatchedCase | None = None) -> dict:
    return {
        "id": case.pk,
        "lon": round(case.lon, 6),
        "lat": round(case.lat, 6),
        "light": case.light_at(now),
        "state": state_text(case.state, case.closure),
        "category": case.category.name,
        "supervision": case.supervision,
        "overdue": bool(watched and watched.overdue),
    }


def screen_feed(region: Region, *, visible) -> dict:
    """The feed for `region`; `visible` is the viewer's cases (a person's 辖区 or a display's region)."""
    now = clock.now()
    day = today()
    year = Period(str(day.year), f"{day.year}年", date(day.year, 1, 1), date(day.year, 12, 31))
    report = sel.region_report(region, year)
    month = sel.region_report(region, month_period(day), children=False)
    series = sel.trend(Scope.REGION, int(region.code), end=day, months=12, days=30)
    visible = visible.in_subtree(region.path)
    latest = list(visible.select_related("category", "region", "holder_unit").order_by("-created_at", "-id")[:LATEST])
    watched = {
        w.case_id: w
        for w in WatchedCase.objects.filter(subtree_q("region_path", region.path))
        .select_related("case__category")
        .order_by("due_at")[:400]
    }
    live = list(visible.filter(state__in=OPEN).select_related("category").order_by("-created_at", "-id")[:LIVE_POINTS])
    points = {c.pk: _point(c, now, watched=watched.get(c.pk)) for c in live}
    for case_id, w in watched.items():
        points.setdefault(case_id, _point(w.case, now, watched=w))
    gauges = report["gauges"]
    return {
        "generated_at": now.isoformat(),
        "node": {"code": region.code, "name": region.name, "level": region.level},
        "poll_seconds": config.screen_poll_seconds(),
        "counters": {
            "today_reported": series["day_reported"][-1],
            "today_handled": series["day_handled"][-1],
            "today_resolved": series["day_resolved"][-1],
            "month_reported": month["counts"]["reported"],
            "year_reported": report["counts"]["reported"],
            "year_resolved": report["counts"]["resolved"],
            "open": sum(v for k, v in gauges.items() if k.startswith("open_")),
            "overdue": gauges["overdue"],
            "supervised": gauges["supervised"],
            "red_cards": gauges["red_cards"],
            "cameras": config.camera_count(region.path),
            "grids": report["grids"],
            "workers": User.objects.filter(role=Role.GRID_WORKER, is_active=True)
            .filter(subtree_q("grids__path", region.path))
            .distinct()
            .count(),
        },
        "rates": {
            k: report["kpis"][k]["value"]
            for k in ("handling_rate", "handling_on_time", "closure_rate", "closure_on_time")
        },
        "modules": [
            {
                "code": d["code"],
                "name": d["name"],
                "reported": d["counts"]["reported"],
                "handled": d["counts"]["handled"],
                "handling_rate": d["kpis"]["handling_rate"]["value"],
            }
            for d in report["domains"]
        ],
        "ranking": [
            {
                "code": c["code"],
                "name": c["name"],
                "score": c["score"],
                "grade": c["grade"],
                "handling_rate": c["kpis"]["handling_rate"]["value"],
                "overdue": c["gauges"]["overdue"],
            }
            for c in report["children"]
        ],
        "trend": series,
        "latest": [
            {
                "id": c.pk,
                "time": c.created_at.isoformat(),
                "category": c.category.name,
                "region": c.region.name,
                "state": state_text(c.state, c.closure),
                "light": c.light_at(now),
            }
            for c in latest
        ],
        "points": list(points.values()),
    }


def region_features(region: Region) -> dict:
    """The node's outline and its children's polygons as a GeoJSON FeatureCollection (WGS-84)."""
    nodes = [region, *Region.objects.filter(parent=region, is_active=True).order_by("code")]
    if region.level <= 2:
        grandchildren = Region.objects.filter(parent__parent=region, is_active=True).only(
            "code", "name", "level", "geometry"
        )
        nodes += list(grandchildren)
    features = [
        {
            "type": "Feature",
            "geometry": n.geometry,
            "properties": {"code": n.code, "name": n.name, "level": n.level, "role": _role(region, n)},
        }
        for n in nodes
        if n.geometry
    ]
    return {"type": "FeatureCollection", "features": features}


def _role(root: Region, node: Region) -> str:
    if node.pk == root.pk:
        return "self"
    return "child" if node.level == root.level + 1 else "grandchild"
