"""The map (/map/): region polygons by level, case points by traffic light, a grid's stats panel.

Every endpoint has a fixed number of queries, whatever the number of rows:

- ``regions.json``: the user's 辖区 polygons of one level, simplified for the zoom with `shapely.coverage_simplify`
  (siblings keep identical shared edges) and cached per level + zoom bucket + scope. A warm request costs only the
  session, user and jurisdiction look-ups; a cold one adds one query.
- ``cases.geojson``: points of `cases_visible_to` (via `case_list_visible`), newest first, capped at
  ``GRIDSAFE_MAP_CASE_LIMIT``; the total comes from a window function in the same query.
- ``grid/<code>/``: an htmx partial with the grid's counts by domain and latest cases; 404 outside the 辖区.

The base map (天地图 from its key, another provider, or none) comes from `regions/basemap.py`; without tiles the
polygons on a light background are the map. No inline script: the page passes its settings in ``data-config``.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from functools import wraps

import shapely
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Q, Window
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET
from shapely.geometry import shape

from gridsafe.cases.models import Case, Light
from gridsafe.cases.permissions import cases_visible_to, jurisdiction_of
from gridsafe.cases.selectors import CaseFilters, case_list_visible
from gridsafe.cases.transitions import Closure, State, state_text
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.core.input import InputForm
from gridsafe.regions.basemap import basemap_config, with_basemap
from gridsafe.regions.geometry import to_geojson
from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import Region, RegionLevel

LATEST_IN_PANEL = 8
REGION_CACHE_SECONDS = 24 * 3600
# Below these zooms a level is not drawn for a county- or township-wide 辖区 (it would be clutter, and heavy).
LEVEL_MIN_ZOOM = {RegionLevel.COUNTY: 0, RegionLevel.TOWNSHIP: 0, RegionLevel.VILLAGE: 11, RegionLevel.GRID: 12}
# Layer names: a level's own name (the catalogue's), except the county, whose layer is its boundary.
LEVEL_NAMES = {**{level: level.label for level in RegionLevel}, RegionLevel.COUNTY: "县界"}
# Zoom buckets: a request at zoom z gets the geometry simplified for the top of its bucket.
ZOOM_BUCKETS = (8, 10, 12, 14, 16)
FULL_DETAIL_ZOOM = 16
LIGHT_COLOURS = {Light.GREEN: "#2f9e44", Light.YELLOW: "#f2a900", Light.RED: "#e03131", Light.NONE: "#868e96"}


def case_limit() -> int:
    return settings.GRIDSAFE_MAP_CASE_LIMIT


# ---------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class MapScope:
    """The region subtrees a user's map shows: the 辖区 roots (a department works county-wide)."""

    paths: tuple[str, ...]

    @property
    def key(self) -> str:
        return hashlib.sha1("|".join(sorted(self.paths)).encode()).hexdigest()[:16]

    @property
    def top_level(self) -> int | None:
        return min(len(p.split(".")) for p in self.paths) if self.paths else None

    def q(self) -> Q:
        query = Q(pk__in=[])
        for path in self.paths:
            query |= Q(path=path) | Q(path__startswith=path + ".")
        return query

    def covers(self, path: str) -> bool:
        return any(path == p or path.startswith(p + ".") for p in self.paths)

    def levels(self) -> list[dict]:
        """The levels the map may draw, each with the zoom it appears at. The 辖区's own level and the one below are
        always drawn; deeper levels only when zoomed in, and then limited to the viewport."""
        top = self.top_level
        if top is None:
            return []
        result = []
        for level in range(top, RegionLevel.GRID + 1):
            min_zoom = 0 if level <= top + 1 else LEVEL_MIN_ZOOM[level]
            result.append(
                {
                    "level": level,
                    "name": str(LEVEL_NAMES[level]),
                    "minZoom": min_zoom,
                    "bbox": min_zoom > 0,
                    "top": level == top,
                }
            )
        return result


def map_scope(user) -> MapScope:
    scope = jurisdiction_of(user)
    if scope.paths:
        return MapScope(paths=tuple(sorted(scope.paths)))
    if scope.department_id is not None:
        # A department works anywhere in the county it is dispatched to; its cases are still cases_visible_to.
        return MapScope(paths=(settings.GRIDSAFE_COUNTY_CODE,))
    return MapScope(paths=())


def regions_version() -> str:
    """Changes whenever the grid index is invalidated (seeding, admin edits of regions): no query most of the time."""
    return grid_index.version()


# ---------------------------------------------------------------------------------------------- helpers


def json_login_required(view):
    """Like login_required, but a fetch or htmx request gets 401 instead of a redirect to the login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "登录已过期，请重新登录"}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


def zoom_bucket(zoom: int) -> int:
    for bucket in ZOOM_BUCKETS:
        if zoom <= bucket:
            return bucket
    return ZOOM_BUCKETS[-1]


def simplify_tolerance(bucket: int) -> float:
    """About half a screen pixel at that zoom, in degrees (0: full detail)."""
    if bucket >= FULL_DETAIL_ZOOM:
        return 0.0
    return 0.5 * 360.0 / (256 * 2**bucket)


def coordinate_precision(tolerance: float) -> int:
    if tolerance <= 0:
        return 6
    return min(6, max(3, math.ceil(-math.log10(tolerance))))


def _simplified(geometries: list, tolerance: float) -> list:
    if tolerance <= 0 or not geometries:
        return geometries
    try:
        # Siblings are a coverage (shared edges, no overlaps): simplify the edges once, so neighbours still meet.
        return list(shapely.coverage_simplify(geometries, tolerance))
    except shapely.errors.GEOSException:
        return [g.simplify(tolerance, preserve_topology=True) for g in geometries]


def _short_name(name: str, parent_name: str | None) -> str:
    if parent_name and name.startswith(parent_name) and len(name) > len(parent_name):
        return name[len(parent_name) :]
    return name


def _tints(geometries: list, colours: int = 8) -> list[int]:
    """Greedy map colouring: neighbours (sharing an edge or a corner) get different tint indexes."""
    tree = shapely.STRtree(geometries)
    tints: list[int] = []
    for i, geom in enumerate(geometries):
        used = {tints[j] for j in tree.query(geom, predicate="intersects") if j < i}
        tints.append(next((c for c in range(colours) if c not in used), i % colours))
    return tints


def _build_level(scope: MapScope, level: int, bucket: int) -> list[tuple[float, float, float, float, str]]:
    """One query: every region of `level` in the scope, as (minx, miny, maxx, maxy, feature JSON)."""
    rows = list(
        Region.objects.filter(scope.q(), level=level, is_active=True, geometry__isnull=False)
        .order_by("path")
        .values_list("code", "name", "parent__name", "center_lon", "center_lat", "geometry")
    )
    if not rows:
        return []
    tolerance = simplify_tolerance(bucket)
    precision = coordinate_precision(tolerance)
    originals = [shape(row[5]) for row in rows]
    geometries = _simplified(originals, tolerance)
    tints = _tints(originals) if level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE) else [0] * len(rows)
    result = []
    for (code, name, parent_name, lon, lat, _geometry), geom, tint in zip(rows, geometries, tints, strict=True):
        if lon is None or lat is None:
            point = geom.representative_point()
            lon, lat = point.x, point.y
        feature = {
            "type": "Feature",
            "id": code,
            "properties": {
                "code": code,
                "name": name,
                "short": _short_name(name, parent_name),
                "level": level,
                "tint": tint,
                "label": [round(lon, 5), round(lat, 5)],
            },
            "geometry": to_geojson(geom, precision),
        }
        minx, miny, maxx, maxy = geom.bounds
        result.append((minx, miny, maxx, maxy, json.dumps(feature, ensure_ascii=False, separators=(",", ":"))))
    return result


def level_features(scope: MapScope, level: int, bucket: int) -> list[tuple[float, float, float, float, str]]:
    key = f"gridsafe:map:regions:{regions_version()}:{level}:{bucket}:{scope.key}"
    features = cache.get(key)
    if features is None:
        features = _build_level(scope, level, bucket)
        cache.set(key, features, timeout=REGION_CACHE_SECONDS)
    return features


def _parse_bbox(value: str) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or west > east or south > north:
        return None
    return west, south, east, north


# ---------------------------------------------------------------------------------------------- views


@login_required
@require_GET
@with_basemap
def map_page(request):
    scope = map_scope(request.user)
    centre = None
    if scope.paths:
        centre = (
            Region.objects.filter(path__in=scope.paths, center_lon__isnull=False)
            .order_by("level", "path")
            .values_list("center_lat", "center_lon")
            .first()
        )
    config = {
        "regionsUrl": reverse("map:regions"),
        "casesUrl": reverse("map:cases"),
        "gridUrl": reverse("map:grid_panel", args=["000000000000000"]),
        "caseUrl": reverse("web:case_detail", args=[0]),
        "version": regions_version(),
        "levels": scope.levels(),
        "centre": list(centre) if centre else [25.36, 118.69],
        "basemap": basemap_config(),
        "colours": LIGHT_COLOURS,
        "lights": {value: str(label) for value, label in Light.choices},
        "limit": case_limit(),
    }
    filters = CaseFilterForm(request.GET or None)
    context = {
        "nav": "map",
        "config_json": json.dumps(config, ensure_ascii=False),
        "has_tiles": bool(config["basemap"]["layers"]),
        "filters": filters,
        "domains": Domain.objects.filter(is_active=True).order_by("sort", "code"),
        "states": [("open", "未结案"), ("", "全部状态")] + list(State.choices),
        "lights": Light.choices,
        "light_colours": LIGHT_COLOURS,
        "values": filters.data if filters.is_bound else {"state": "open"},
        "no_scope": not scope.paths,
    }
    return render(request, "web/map.html", context)


@require_GET
@json_login_required
@gzip_page
def regions_json(request):
    """GeoJSON of one level of the user's 辖区. ?level=1..4&zoom=&bbox=west,south,east,north."""
    try:
        level = int(request.GET.get("level", ""))
        zoom = int(float(request.GET.get("zoom", "10")))
    except (ValueError, OverflowError):  # int(float("inf")) overflows
        return JsonResponse({"detail": "level 与 zoom 必须是整数"}, status=400)
    if level not in RegionLevel.values:
        return JsonResponse({"detail": "level 必须是 1–4"}, status=400)
    bbox = None
    if request.GET.get("bbox"):
        bbox = _parse_bbox(request.GET["bbox"])
        if bbox is None:
            return JsonResponse({"detail": "bbox 应为 西,南,东,北 四个数"}, status=400)
    scope = map_scope(request.user)
    bucket = zoom_bucket(zoom)
    features = []
    if scope.top_level is not None and level >= scope.top_level:
        features = level_features(scope, level, bucket)
    if bbox is not None:
        west, south, east, north = bbox
        features = [f for f in features if f[0] <= east and f[2] >= west and f[1] <= north and f[3] >= south]
    head = json.dumps({"type": "FeatureCollection", "level": level, "zoom": bucket, "count": len(features)})
    body = head[:-1] + ',"features":[' + ",".join(f[4] for f in features) + "]}"
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["Cache-Control"] = "private, max-age=600"
    return response


class CaseFilterForm(InputForm):
    domain = forms.SlugField(required=False, max_length=30)
    state = forms.ChoiceField(required=False, choices=[("", ""), ("open", "open"), *State.choices])
    light = forms.ChoiceField(required=False, choices=[("", ""), *Light.choices])
    date_from = forms.DateField(required=False, label="开始日期")
    date_to = forms.DateField(required=False, label="结束日期")
    future_fields = ("date_from", "date_to")
    ranges = (("date_from", "date_to"),)


@require_GET
@json_login_required
@gzip_page
def cases_geojson(request):
    """Points of the visible cases matching the filters, newest first, at most GRIDSAFE_MAP_CASE_LIMIT of them."""
    form = CaseFilterForm(request.GET)
    if not form.is_valid():
        errors = [str(message) for messages in form.errors.values() for message in messages]
        return JsonResponse({"detail": "；".join(errors), "errors": form.errors}, status=400)
    data = form.cleaned_data
    state = data["state"] or None
    filters = CaseFilters(
        domain=data["domain"] or None,
        state=None if state == "open" else state,
        light=data["light"] or None,
        created_from=data["date_from"],
        created_to=data["date_to"],
    )
    qs = case_list_visible(request.user, filters, order="newest")
    if state == "open":
        qs = qs.exclude(state=State.CLOSED)
    limit = case_limit()
    rows = list(
        qs.annotate(total=Window(Count("id"))).values_list(
            "id", "lon", "lat", "state", "closure", "due_at", "yellow_at", "category__name", "created_at", "total"
        )[:limit]
    )
    now = clock.now()
    tz = timezone.get_current_timezone()
    features = []
    for case_id, lon, lat, case_state, closure, due_at, yellow_at, category, created_at, _total in rows:
        light = Case(state=case_state, due_at=due_at, yellow_at=yellow_at).light_at(now)
        features.append(
            {
                "type": "Feature",
                "id": case_id,
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {
                    "id": case_id,
                    "light": str(light),
                    "state": state_text(case_state, closure),
                    "category": category,
                    "created": created_at.astimezone(tz).strftime("%Y-%m-%d"),
                },
            }
        )
    total = rows[0][-1] if rows else 0
    body = {
        "type": "FeatureCollection",
        "total": total,
        "limit": limit,
        "truncated": total > len(rows),
        "features": features,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Content-Type"] = "application/geo+json; charset=utf-8"
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@json_login_required
def grid_panel(request, code: str):
    """The htmx side panel of one unit grid: open / overdue / closed-resolved by domain, and the latest cases."""
    grid = (
        Region.objects.filter(code=code, level=RegionLevel.GRID, is_active=True)
        .select_related("parent__parent")
        .first()
    )
    scope = map_scope(request.user)
    if grid is None or not scope.covers(grid.path):
        raise Http404("未找到该网格")
    now = clock.now()
    cases = cases_visible_to(request.user).in_subtree(grid.path)
    red = ~Q(state__in=[State.CLOSED, State.SUSPENDED]) & Q(due_at__lt=now)
    by_domain = list(
        cases.values("domain__name", "domain__sort", "domain__code")
        .annotate(
            open=Count("id", filter=~Q(state=State.CLOSED)),
            overdue=Count("id", filter=red),
            resolved=Count("id", filter=Q(state=State.CLOSED, closure=Closure.RESOLVED)),
            total=Count("id"),
        )
        .order_by("domain__sort", "domain__code")
    )
    totals = {key: sum(row[key] for row in by_domain) for key in ("open", "overdue", "resolved", "total")}
    latest = []
    for case in cases.select_related("category").order_by("-created_at", "-id")[:LATEST_IN_PANEL]:
        light = case.light_at(now)
        latest.append(
            {
                "id": case.pk,
                "category": case.category.name,
                "state": state_text(case.state, case.closure),
                "light": str(light),
                "light_text": Light(light).label if light in Light.values else "",
                "created_at": case.created_at,
                "url": reverse("web:case_detail", args=[case.pk]),
            }
        )
    # The case list offers grids as a filter only to a village station or a grid worker; others filter by village.
    list_region = grid.code if (scope.top_level or 0) >= RegionLevel.VILLAGE else grid.parent.code
    workers = [u.display_name or u.username for u in grid.grid_workers.filter(is_active=True).order_by("username")]
    village = grid.parent
    township = village.parent if village else None
    context = {
        "grid": grid,
        "village": village,
        "township": township,
        "by_domain": by_domain,
        "totals": totals,
        "latest": latest,
        "workers": workers,
        "list_url": f"{reverse('web:case_list')}?region={list_region}",
    }
    return render(request, "web/map_grid_panel.html", context)
