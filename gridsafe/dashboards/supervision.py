"""Supervision of the field work (巡查监督): patrols per grid and worker, coverage, who is on patrol now, supervised
places with their visit schedule, and publicity (宣传) per township. Reads only; every one starts from a
`*_visible_to` of the app that owns the rows, so out of 辖区 is the same 404 as missing.

Who sees what (field/permissions.py, domain.md §10): a patrol and its track (行踪轨迹) only the worker's station
officer and township centre; coverage figures (no positions) everyone with a 辖区 over the grids — county centre and
leaders included; places and publicity follow the ordinary 辖区. Query cost is stated per selector and does not grow
with the page size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case
from gridsafe.cases.permissions import cases_visible_to, jurisdiction_of
from gridsafe.cases.transitions import state_text
from gridsafe.core.errors import NotFound
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.dashboards.patrols import counted_patrols
from gridsafe.field.models import Patrol, PatrolStatus, PlaceVisit, TrackPoint
from gridsafe.field.permissions import (
    patrols_visible_to,
    publicity_visible_to,
    track_supervisor_path,
    visits_visible_to,
)
from gridsafe.places.models import Place
from gridsafe.places.permissions import places_visible_to
from gridsafe.places.selectors import place_due_state, week_bounds
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region, RegionLevel

MAP_POINTS = 2000  # places drawn on a map at once; the list below it pages through the rest


def _subtree(field: str, path: str) -> Q:
    return subtree_q(field, path)  # a city: its counties too (regions.cities)


def month_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date().replace(day=1), time.min), timezone.get_current_timezone())


# ---------------------------------------------------------------- the patrol rule


def patrol_counts(patrol: Patrol) -> bool:
    """Whether a patrol counts toward coverage (the rule `counted_patrols` reads), for the pages that show one."""
    return patrol.status == PatrolStatus.ENDED and patrol.counts_for_coverage


# ---------------------------------------------------------------- who supervises


def supervised_path(user: User) -> str:
    """The village or township whose patrols (and tracks) this user supervises; 404 for everyone else."""
    path = track_supervisor_path(user)
    if path is None:
        raise NotFound("未找到巡查记录")
    return path


def may_supervise_patrols(user: User) -> bool:
    return track_supervisor_path(user) is not None


def may_see_coverage(user: User) -> bool:
    return bool(jurisdiction_of(user).paths) and user.role != Role.GRID_WORKER


def grids_in(path: str) -> list[dict]:
    """The active grids of a subtree with their village's name, in path order. One query."""
    return list(
        Region.objects.filter(_subtree("path", path), level=RegionLevel.GRID, is_active=True)
        .order_by("path")
        .values("pk", "code", "name", "path", "center_lon", "center_lat", "parent__name")
    )


# ---------------------------------------------------------------- coverage


@dataclass(frozen=True)
class Window:
    week_start: datetime
    week_end: datetime
    month_start: datetime
    now: datetime


def window(now: datetime) -> Window:
    week_start, week_end = week_bounds(now)
    return Window(week_start, week_end, month_start(now), now)


def grid_patrol_stats(path: str, win: Window) -> dict[int, dict]:
    """Per grid of the subtree: counting patrols this week, this month and the last one's end. One query."""
    since = min(win.week_start, win.month_start)
    rows = (
        counted_patrols()
        .filter(_subtree("grid_path", path), ended_at__gte=since, ended_at__lt=win.week_end)
        .values("grid_id")
        .annotate(
            week=Count("id", filter=Q(ended_at__gte=win.week_start)),
            month=Count("id", filter=Q(ended_at__gte=win.month_start)),
            last=Max("ended_at"),
        )
    )
    return {r["grid_id"]: r for r in rows}


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def coverage(region: Region, now: datetime, *, grids: list[dict] | None = None) -> dict:
    """巡查覆盖率 — grids with at least one counting patrol / active grids, this week (Monday–Sunday) and this
    month, for the node and per child node (per grid at a village). Three queries, whatever the node (two when
    the caller has the node's `grids_in` already)."""
    win = window(now)
    grids = grids_in(region.path) if grids is None else grids
    stats = grid_patrol_stats(region.path, win)
    children = list(
        Region.objects.filter(parent=region, is_active=True).order_by("path").values("code", "name", "path", "level")
    )
    rows = []
    for child in children:
        mine = [g for g in grids if g["path"] == child["path"] or g["path"].startswith(child["path"] + ".")]
        week = sum(1 for g in mine if stats.get(g["pk"], {}).get("week"))
        month = sum(1 for g in mine if stats.get(g["pk"], {}).get("month"))
        last = max((stats[g["pk"]]["last"] for g in mine if g["pk"] in stats), default=None)
        rows.append(
            {
                "code": child["code"],
                "name": child["name"],
                "is_grid": child["level"] == RegionLevel.GRID,
                "grids": len(mine),
                "week": week,
                "month": month,
                "week_rate": _rate(week, len(mine)),
                "month_rate": _rate(month, len(mine)),
                "last": last,
            }
        )
    week = sum(1 for g in grids if stats.get(g["pk"], {}).get("week"))
    month = sum(1 for g in grids if stats.get(g["pk"], {}).get("month"))
    uncovered = [g for g in grids if not stats.get(g["pk"], {}).get("week")]
    return {
        "window": win,
        "grids": len(grids),
        "week": week,
        "month": month,
        "week_rate": _rate(week, len(grids)),
        "month_rate": _rate(month, len(grids)),
        "rows": rows,
        "uncovered": uncovered,
        "map": [
            {
                "code": g["code"],
                "name": g["name"],
                "village": g["parent__name"] or "",
                "lon": g["center_lon"],
                "lat": g["center_lat"],
                "week": stats.get(g["pk"], {}).get("week", 0),
                "month": stats.get(g["pk"], {}).get("month", 0),
            }
            for g in grids
            if g["center_lon"] is not None
        ],
    }


# ---------------------------------------------------------------- patrols


def patrol_list(
    user: User,
    *,
    grid: str | None = None,
    worker: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
) -> QuerySet[Patrol]:
    """The patrols under a supervisor's village or township, newest first, with grid, village and worker joined.
    The supervisor's own walks are not the point here: only the subtree (the same rows patrols_visible_to gives
    a supervisor, less their own)."""
    path = supervised_path(user)
    qs = patrols_visible_to(user).filter(_subtree("grid_path", path))
    if grid:
        qs = qs.filter(grid__code=grid)
    if worker:
        qs = qs.filter(worker_id=worker)
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    if until is not None:
        qs = qs.filter(started_at__lt=until)
    if status in PatrolStatus.values:
        qs = qs.filter(status=status)
    return (
        qs.select_related("grid__parent", "worker")
        .defer("grid__geometry", "grid__parent__geometry")
        .order_by("-started_at", "-id")
    )


def patrol_row(patrol: Patrol) -> dict:
    minutes = None
    if patrol.ended_at is not None:
        minutes = round((patrol.ended_at - patrol.started_at).total_seconds() / 60)
    return {
        "patrol": patrol,
        "client_id": patrol.client_id,
        "grid": patrol.grid.name,
        "village": patrol.grid.parent.name if patrol.grid.parent_id else "",
        "worker": patrol.worker.display_name or patrol.worker.username,
        "minutes": minutes,
        "distance_km": round(patrol.distance_m / 1000, 2),
        "counts": patrol_counts(patrol),
        "status_label": patrol.get_status_display(),
    }


def workers_supervised(path: str) -> list[dict]:
    """Grid workers with a grid under `path`, for the worker filter. One query."""
    return list(
        User.objects.filter(_subtree("grids__path", path), role=Role.GRID_WORKER, is_active=True)
        .distinct()
        .order_by("display_name", "username")
        .values("pk", "display_name", "username")
    )


def patrol_replay(patrol: Patrol, points: list[TrackPoint]) -> list[dict]:
    """The track as the replay plays it: in sequence order, time in ISO, flags kept (outside the grid, poor fix)."""
    return [
        {"seq": p.seq, "lon": p.lon, "lat": p.lat, "t": p.recorded_at.isoformat(), "flags": p.flags or []}
        for p in points
    ]


def patrol_visits(patrol: Patrol) -> list[PlaceVisit]:
    return list(patrol.visits.select_related("place").order_by("visited_at"))


NOW_WINDOW = timedelta(hours=12)  # a patrol still open after this is a lost end (phone gone), not someone walking


def on_patrol_now(user: User, now: datetime) -> list[dict]:
    """Workers on patrol now under a supervisor: the running patrols and each one's last GPS fix. An ended
    patrol is not in the filter, so no position of it is ever returned (privacy: 行踪 only while walking). One
    query (the last fix as correlated subqueries on the (patrol, seq) unique index)."""
    path = supervised_path(user)
    last = TrackPoint.objects.filter(patrol_id=OuterRef("pk")).order_by("-seq")
    patrols = (
        patrols_visible_to(user)
        .filter(_subtree("grid_path", path), status=PatrolStatus.ACTIVE, ended_at__isnull=True)
        .filter(started_at__gte=now - NOW_WINDOW)  # open longer: a lost end, not a walk now
        .select_related("grid__parent", "worker")
        .defer("grid__geometry", "grid__parent__geometry")
        .annotate(
            last_lon=Subquery(last.values("lon")[:1]),
            last_lat=Subquery(last.values("lat")[:1]),
            last_at=Subquery(last.values("recorded_at")[:1]),
        )
        .order_by("started_at", "id")
    )
    return [
        {
            "id": str(p.client_id),
            "worker": p.worker.display_name or p.worker.username,
            "grid": p.grid.name,
            "village": p.grid.parent.name if p.grid.parent_id else "",
            "started_at": p.started_at,
            "points": p.point_count,
            "lon": p.last_lon,
            "lat": p.last_lat,
            "last_at": p.last_at,
            "url": f"/supervision/patrols/{p.client_id}/",
        }
        for p in patrols
    ]


# ---------------------------------------------------------------- places


DUE_FILTERS = {
    "overdue": "已逾期",
    "due": "本周到期",
}


def place_list(
    user: User,
    now: datetime,
    *,
    domain: str | None = None,
    due: str | None = None,
    region_path: str | None = None,
    q: str | None = None,
) -> QuerySet[Place]:
    """Active places in the user's 辖区 by the filters, the most overdue first (never inspected with them)."""
    qs = places_visible_to(user).active()
    if region_path:
        qs = qs.filter(_subtree("region_path", region_path))
    if domain:
        qs = qs.filter(domain__code=domain)
    week_end = week_bounds(now)[1]
    if due == "overdue":
        qs = qs.filter(next_due_at__lt=now)
    elif due == "due":
        qs = qs.filter(
            Q(next_due_at__gte=now, next_due_at__lte=week_end)
            | Q(next_due_at__isnull=True)
            | Q(last_inspected_at__isnull=True, next_due_at__gte=now)
        )
    if q:
        qs = qs.filter(name__icontains=q.strip()[:50])
    return (
        qs.select_related("domain", "region__parent")
        .defer("region__geometry", "region__parent__geometry")
        .order_by(F("next_due_at").asc(nulls_first=True), "id")
    )


def place_summary(places: QuerySet[Place], now: datetime) -> list[dict]:
    """Per domain: places, overdue, due this week, open findings (open cases at these places). Two queries."""
    week_end = week_bounds(now)[1]
    rows = list(
        places.order_by()
        .values("domain__code", "domain__name", "domain__sort")
        .annotate(
            total=Count("id"),
            overdue=Count("id", filter=Q(next_due_at__lt=now)),
            due=Count(
                "id",
                filter=Q(next_due_at__gte=now, next_due_at__lte=week_end)
                | Q(next_due_at__isnull=True)
                | Q(last_inspected_at__isnull=True, next_due_at__gte=now),
            ),
        )
        .order_by("domain__sort", "domain__code")
    )
    findings = dict(
        Case.objects.open()
        .filter(place__in=places.order_by().values("pk"))
        .values_list("place__domain__code")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row["findings"] = findings.get(row["domain__code"], 0)
    return rows


def place_rows(places: list[Place], now: datetime) -> list[dict]:
    """The page's places with their open findings counted (one query for the page)."""
    week_end = week_bounds(now)[1]
    findings = dict(
        Case.objects.open().filter(place_id__in=[p.pk for p in places]).values_list("place_id").annotate(n=Count("id"))
    )
    return [
        {
            "place": p,
            "grid": p.region.name,
            "village": p.region.parent.name if p.region.parent_id else "",
            "due_state": place_due_state(p, now, week_end),
            "contact_name": mask_name(p.contact_name),
            "contact_phone": mask_phone(p.contact_phone),
            "findings": findings.get(p.pk, 0),
        }
        for p in places
    ]


def place_points(places: QuerySet[Place], now: datetime) -> list[dict]:
    """Map points of the filtered places, at most MAP_POINTS. One query; no contact data."""
    week_end = week_bounds(now)[1]
    out = []
    for p in (
        places.select_related(None)
        .select_related("domain")
        .only("pk", "name", "lon", "lat", "next_due_at", "last_inspected_at", "is_active", "domain__name")[:MAP_POINTS]
    ):
        out.append(
            {
                "id": p.pk,
                "name": p.name,
                "lon": p.lon,
                "lat": p.lat,
                "domain": p.domain.name,
                "state": place_due_state(p, now, week_end),
                "due": timezone.localtime(p.next_due_at).strftime("%Y-%m-%d") if p.next_due_at else "",
            }
        )
    return out


def place_history(user: User, place: Place) -> dict:
    """档案 — a place's visits (with the worker and the checklist's result), accepted edits and the hazard cases
    at it, each visible to the user. Three queries."""
    visits = list(
        visits_visible_to(user).filter(place=place).select_related("worker", "template").order_by("-visited_at")[:100]
    )
    revisions = list(place.revisions.order_by("-version")[:100])
    cases = list(
        cases_visible_to(user)
        .filter(place=place)
        .select_related("category", "holder_unit")
        .order_by("-created_at")[:100]
    )
    return {
        "visits": [
            {
                "visit": v,
                "worker": v.worker.display_name or v.worker.username,
                "failed": [a for a in v.answers if a.get("answer") == "fail"],
                "cases": list((v.case_ids or {}).values()),
            }
            for v in visits
        ],
        "revisions": [
            {
                "revision": r,
                "changes": [(_field_name(k), _shown(k, old), _shown(k, new)) for k, (old, new) in r.changes.items()],
            }
            for r in revisions
        ],
        "cases": [
            {
                "case": c,
                "state": state_text(c.state, c.closure),
                "open": c.state != "closed",
                "holder": c.holder_unit.name,
            }
            for c in cases
        ],
    }


PERSONAL_FIELDS = {"contact_name": mask_name, "contact_phone": mask_phone}


def _field_name(field: str) -> str:
    try:
        return str(Place._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a field since removed: its stored name
        return field


def _shown(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    mask = PERSONAL_FIELDS.get(field)
    return mask(str(value)) if mask and value != "***" else str(value)


# ---------------------------------------------------------------- publicity


def publicity_list(user: User, region: Region, *, since: datetime, until: datetime, kind: str | None = None):
    qs = publicity_visible_to(user).filter(_subtree("grid_path", region.path), held_at__gte=since, held_at__lt=until)
    if kind:
        qs = qs.filter(kind=kind)
    return (
        qs.select_related("grid__parent", "worker")
        .defer("grid__geometry", "grid__parent__geometry")
        .annotate(photo_count=Count("photos"))
        .order_by("-held_at", "-id")
    )


def publicity_by_child(user: User, region: Region, *, since: datetime, until: datetime) -> list[dict]:
    """Per child node (township at the county, village at a township): activities, of which 宣传周, people reached
    and leaflets. Two queries: the children and one aggregate over the activities' paths."""
    children = list(
        Region.objects.filter(parent=region, is_active=True).order_by("path").values("code", "name", "path")
    )
    rows = (
        publicity_visible_to(user)
        .filter(_subtree("grid_path", region.path), held_at__gte=since, held_at__lt=until)
        .order_by()
        .values("grid_path", "kind")
        .annotate(n=Count("id"), people=Sum("head_count"), leaflets=Sum("materials"))
    )
    out = {c["path"]: {**c, "total": 0, "week": 0, "people": 0, "leaflets": 0} for c in children}
    depth = region.path.count(".") + 1
    for r in rows:
        parts = r["grid_path"].split(".")
        key = ".".join(parts[: depth + 1])
        row = out.get(key)
        if row is None:
            continue
        row["total"] += r["n"]
        row["people"] += r["people"] or 0
        row["leaflets"] += r["leaflets"] or 0
        if r["kind"] == "campaign_week":
            row["week"] += r["n"]
    return list(out.values())
