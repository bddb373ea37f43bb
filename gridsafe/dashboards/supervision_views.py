"""巡查监督 pages: patrols (list, map, replay, who is on patrol now), coverage, supervised places and publicity.
Each view parses, checks the node or row is in the user's 辖区 (404 otherwise), calls the selectors of
`dashboards.supervision` and renders. Maps read their data from data-* attributes (no inline script, CSP)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.core.errors import NotFound
from gridsafe.core.http import client_ip
from gridsafe.core.jobs import job_start
from gridsafe.dashboards import supervision as sv
from gridsafe.dashboards.access import visible_region
from gridsafe.dashboards.downloads import place_filters
from gridsafe.dashboards.periods import today
from gridsafe.dashboards.views import page
from gridsafe.field.models import PatrolStatus, PublicityKind
from gridsafe.field.permissions import get_patrol_for_user
from gridsafe.field.services import patrol_track_view, track_retention_days
from gridsafe.places.permissions import get_place_for_user
from gridsafe.regions.basemap import basemap_config, with_basemap
from gridsafe.regions.models import Region
from gridsafe.web.exports import params_of
from gridsafe.web.paging import CappedPaginator

PER_PAGE = 30


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or date(2000, 1, 1) <= day <= date(2100, 1, 1) else None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _nav(request: HttpRequest, sub: str) -> dict:
    """What every 巡查监督 page needs for its sub-navigation: links only to what this user may open."""
    user = request.user
    return {
        "nav": "supervision",
        "sub": sub,
        "sv": {"may_patrols": sv.may_supervise_patrols(user), "may_coverage": sv.may_see_coverage(user)},
    }


def _map(data: dict) -> str:
    return _json({**data, "basemap": basemap_config()})


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def patrol_filters(data) -> dict:
    """巡查记录's filters from a query (the page's, or the one a background export saved): patrol_list's keywords."""
    start, end = _day(data.get("start")), _day(data.get("end"))
    return {
        "grid": (data.get("grid") or "").strip().split(" ")[0] or None,
        "worker": _int(data.get("worker")),
        "since": _start_of(start) if start else None,
        "until": _start_of(end + timedelta(days=1)) if end else None,
        "status": data.get("status") or None,
    }


# ---------------------------------------------------------------- coverage


@require_GET
@with_basemap
@page
def coverage(request: HttpRequest) -> HttpResponse:
    """巡查覆盖率 of a node: this week and this month, per child node, the grids not walked this week."""
    if not sv.may_see_coverage(request.user):
        raise NotFound("未找到")
    region = visible_region(request.user, request.GET.get("node"))
    report = sv.coverage(region, clock.now())
    return render(
        request,
        "dashboards/sv_coverage.html",
        {
            **_nav(request, "coverage"),
            "region": region,
            "parents": _parents(request.user, region),
            "report": report,
            "map_json": _map({"grids": report["map"]}),
            "may_patrols": sv.may_supervise_patrols(request.user),
        },
    )


def _parents(user, region: Region) -> list[Region]:
    """Breadcrumbs: the ancestors the user may open."""
    scope = jurisdiction_of(user)
    return [
        r
        for r in Region.objects.filter(path__in=region.ancestor_paths()[:-1]).defer("geometry").order_by("level")
        if scope.covers_path(r.path)
    ]


# ---------------------------------------------------------------- patrols


@require_GET
@with_basemap
@page
def patrol_list(request: HttpRequest) -> HttpResponse:
    """Patrols under a station officer's village or a township centre, filtered by grid, worker, dates."""
    path = sv.supervised_path(request.user)
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"))
    grid = (request.GET.get("grid") or "").strip().split(" ")[0]
    worker = _int(request.GET.get("worker"))
    status = request.GET.get("status") or None
    patrols = sv.patrol_list(request.user, **patrol_filters(request.GET))
    page_obj = CappedPaginator(patrols, PER_PAGE).get_page(request.GET.get("page"))
    grids = sv.grids_in(path)
    report = sv.coverage(request.user.unit.region, clock.now(), grids=grids)  # the supervised village/township
    return render(
        request,
        "dashboards/sv_patrols.html",
        {
            **_nav(request, "patrols"),
            "rows": [sv.patrol_row(p) for p in page_obj.object_list],
            "page": page_obj,
            "query": _query(request),
            "grids": grids,
            "workers": sv.workers_supervised(path),
            "statuses": PatrolStatus.choices,
            "values": {
                "grid": grid,
                "worker": worker,
                "start": start,
                "end": end,
                "status": status or "",
            },
            "report": report,
            "map_json": _map({"grids": report["map"]}),
        },
    )


@require_POST
@page
def patrol_export_start(request: HttpRequest) -> HttpResponse:
    """巡查记录 → 导出 Excel: the page's filters as a background job (dashboards/downloads.py), for a supervisor of
    patrols only (404 otherwise); the user watches its progress and finds the file under 我的下载."""
    sv.supervised_path(request.user)
    job = job_start(
        user=request.user,
        kind="patrols.xlsx",
        params={"query": params_of(QueryDict(request.POST.get("query", "")))},
        ip=client_ip(request),
    )
    return redirect("web:download_detail", job_id=job.pk)


@require_GET
@with_basemap
@page
def patrol_detail(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """One patrol and its track replay. Opening someone else's track is an audited view of personal data."""
    sv.supervised_path(request.user)
    patrol = get_patrol_for_user(request.user, client_id)
    points = patrol_track_view(actor=request.user, patrol=patrol, ip=client_ip(request))
    track = sv.patrol_replay(patrol, points)
    grid = patrol.grid
    return render(
        request,
        "dashboards/sv_patrol_detail.html",
        {
            **_nav(request, "patrols"),
            "row": sv.patrol_row(patrol),
            "patrol": patrol,
            "visits": sv.patrol_visits(patrol),
            "retention_days": track_retention_days(),
            "track_json": _map(
                {
                    "points": track,
                    "grid": {
                        "name": grid.name,
                        "geometry": grid.geometry,
                        "lon": grid.center_lon,
                        "lat": grid.center_lat,
                    },
                }
            ),
            "has_track": bool(track),
        },
    )


@require_GET
@with_basemap
@page
def patrols_now(request: HttpRequest) -> HttpResponse:
    """在巡人员 — who is on patrol now and where their last fix was. The map refreshes itself from now.json."""
    rows = sv.on_patrol_now(request.user, clock.now())
    return render(
        request,
        "dashboards/sv_now.html",
        {**_nav(request, "now"), "rows": rows, "now_json": _map({"patrols": rows})},
    )


@require_GET
@page
def patrols_now_json(request: HttpRequest) -> JsonResponse:
    now = clock.now()
    return JsonResponse({"patrols": sv.on_patrol_now(request.user, now), "at": now}, encoder=DjangoJSONEncoder)


# ---------------------------------------------------------------- places


@require_GET
@with_basemap
@page
def place_list(request: HttpRequest) -> HttpResponse:
    """Supervised places per domain: list and map, due and overdue visits, open findings."""
    now = clock.now()
    node = request.GET.get("node") or None
    region = visible_region(request.user, node) if node else None
    domain = request.GET.get("domain") or None
    due = request.GET.get("due") if request.GET.get("due") in sv.DUE_FILTERS else None
    q = (request.GET.get("q") or "").strip()
    scope = sv.place_list(request.user, now, region_path=region.path if region else None)
    places = sv.place_list(
        request.user, now, domain=domain, due=due, region_path=region.path if region else None, q=q or None
    )
    page_obj = CappedPaginator(places, PER_PAGE).get_page(request.GET.get("page"))
    summary = sv.place_summary(scope, now)
    return render(
        request,
        "dashboards/sv_places.html",
        {
            **_nav(request, "places"),
            "summary": summary,
            "totals": {k: sum(r[k] for r in summary) for k in ("total", "overdue", "due", "findings")},
            "rows": sv.place_rows(list(page_obj.object_list), now),
            "page": page_obj,
            "query": _query(request),
            "domains": Domain.objects.filter(is_active=True).order_by("sort", "code"),
            "due_filters": sv.DUE_FILTERS,
            "values": {"domain": domain or "", "due": due or "", "q": q, "node": node or ""},
            "region": region,
            "map_json": _map({"places": sv.place_points(places, now)}),
        },
    )


@require_POST
@page
def place_export_start(request: HttpRequest) -> HttpResponse:
    """监管对象 → 导出 Excel: the page's filters as a background job (contacts masked as on the page)."""
    data = QueryDict(request.POST.get("query", ""))
    place_filters(request.user, data)  # a region outside the 辖区: 404 now, not a failed job later
    job = job_start(user=request.user, kind="places.xlsx", params={"query": params_of(data)}, ip=client_ip(request))
    return redirect("web:download_detail", job_id=job.pk)


@require_GET
@with_basemap
@page
def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    place = get_place_for_user(request.user, place_id)
    now = clock.now()
    return render(
        request,
        "dashboards/sv_place_detail.html",
        {
            **_nav(request, "places"),
            "row": sv.place_rows([place], now)[0],
            "place": place,
            "history": sv.place_history(request.user, place),
            "map_json": _map({"places": [{"id": place.pk, "name": place.name, "lon": place.lon, "lat": place.lat}]}),
        },
    )


# ---------------------------------------------------------------- publicity


@require_GET
@page
def publicity(request: HttpRequest) -> HttpResponse:
    """宣传 per township (or village): activities, 安全生产宣传周, people reached, this year by default."""
    if not sv.may_see_coverage(request.user):  # a supervisor's page: the worker records publicity in the field app
        raise NotFound("未找到")
    region = visible_region(request.user, request.GET.get("node"))
    day = today()
    start = _day(request.GET.get("start")) or date(day.year, 1, 1)
    end = _day(request.GET.get("end")) or day
    if end < start:
        start, end = end, start
    kind = request.GET.get("kind") if request.GET.get("kind") in PublicityKind.values else None
    since, until = _start_of(start), _start_of(end + timedelta(days=1))
    activities = sv.publicity_list(request.user, region, since=since, until=until, kind=kind)
    page_obj = CappedPaginator(activities, PER_PAGE).get_page(request.GET.get("page"))
    labels = dict(PublicityKind.choices)
    for activity in page_obj.object_list:
        activity.kind_label = labels.get(activity.kind, activity.kind)
    by_child = sv.publicity_by_child(request.user, region, since=since, until=until)
    return render(
        request,
        "dashboards/sv_publicity.html",
        {
            **_nav(request, "publicity"),
            "region": region,
            "parents": _parents(request.user, region),
            "by_child": by_child,
            "totals": {k: sum(r[k] for r in by_child) for k in ("total", "week", "people", "leaflets")},
            "page": page_obj,
            "query": _query(request),
            "kinds": PublicityKind.choices,
            "values": {"start": start, "end": end, "kind": kind or ""},
        },
    )
