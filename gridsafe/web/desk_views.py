"""隐患登记 — the desk registers a case that reached it by another channel (12345 热线, 视频巡查, 领导交办, 部门移送):
caller (sealed, masked), location by map click or place/area search within the desk's 辖区, category, photos, the
level it starts at, and the nearby open cases of the same category before it is filed. One service (`case_report`
with the desk channel); a resubmit of the same form lands once (its client id)."""

import uuid

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Length
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from gridsafe.accounts.models import User
from gridsafe.cases.models import Level
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.services import DESK_ROLES, attachment_add, case_report
from gridsafe.cases.services.report import desk_reach
from gridsafe.core.errors import DomainError
from gridsafe.field.selectors import case_list_nearby
from gridsafe.places.permissions import places_visible_to
from gridsafe.regions.basemap import basemap_json, with_basemap
from gridsafe.regions.models import Region
from gridsafe.web.forms import CaseRegisterForm
from gridsafe.web.views import login_required_page

SEARCH_LIMIT = 12
SEARCH_CHARS = 80  # a caller's address as the desk types it


def _desk_only(user: User) -> None:
    if user.role not in DESK_ROLES:
        raise Http404("未找到该页面")  # a page a role cannot use is not there for it


def _levels(user: User) -> list[tuple[int, str]]:
    reach = desk_reach(user)
    return [(level.value, str(level.label)) for level in Level if level.value <= reach]


def _home_region(user: User) -> Region | None:
    """The desk's own area (its outline and centre open the map); the county's when it has none."""
    region = user.unit.region if user.unit_id is not None else None
    if region is None or region.center_lon is None:
        region = Region.objects.filter(code=settings.GRIDSAFE_COUNTY_CODE).first()
    return region


@login_required_page
@require_http_methods(["GET", "POST"])
@with_basemap
def case_register(request: HttpRequest) -> HttpResponse:
    """GET the form (a fresh client id); POST files the case and its photos, then opens it."""
    _desk_only(request.user)
    levels = _levels(request.user)
    message = None
    status = 200
    if request.method == "POST":
        form = CaseRegisterForm(request.POST, request.FILES, levels=levels)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case, _created = case_report(
                    actor=request.user,
                    client_id=data["client_id"],
                    category_code=data["category"],
                    description=data["description"],
                    lon=data["lon"],
                    lat=data["lat"],
                    address=data.get("address") or "",
                    urgent=data.get("urgent") or None,
                    source=data["source"],
                    channel="desk",
                    start_level=data["start_level"],
                    caller_name=data.get("caller_name") or "",
                    caller_phone=data.get("caller_phone") or "",
                )
                for index, upload in enumerate(data.get("photos") or []):
                    attachment_add(
                        case=case,
                        actor=request.user,
                        client_id=uuid.uuid5(data["client_id"], f"photo:{index}"),
                        upload=upload,
                        role="report",
                    )
            except DomainError as error:
                message = {"level": "error", "text": error.detail}
                status = error.status if error.status in (409, 422) else 422
            else:
                response = HttpResponseRedirect(reverse("web:case_detail", args=[case.pk]) + "?done=register")
                response.status_code = 303
                return response
        else:
            message = {"level": "error", "text": "请检查标红的项目"}
            status = 422
    else:
        form = CaseRegisterForm(levels=levels)
    region = _home_region(request.user)
    context = {
        "nav": "register",
        "form": form,
        "message": message,
        "map": {
            "lon": region.center_lon if region else None,
            "lat": region.center_lat if region else None,
            "basemap": basemap_json(),
            "outline": region.geometry if region else None,
        },
    }
    return render(request, "web/case_register.html", context, status=status)


def _point(request: HttpRequest, name: str) -> float | None:
    try:
        value = float(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if -180 <= value <= 180 else None


@login_required_page
@require_GET
def case_register_nearby(request: HttpRequest) -> HttpResponse:
    """The nearby-duplicate warning: open cases of the chosen category within 200 m that the desk can see (the
    field app's `case_list_nearby`). An htmx partial."""
    _desk_only(request.user)
    lon, lat, category = _point(request, "lon"), _point(request, "lat"), request.GET.get("category", "")[:64]
    rows = case_list_nearby(request.user, category=category, lon=lon, lat=lat) if lon and lat and category else []
    return render(request, "web/partials/register_nearby.html", {"rows": rows, "asked": bool(lon and lat)})


@login_required_page
@require_GET
def case_register_search(request: HttpRequest) -> HttpResponse:
    """Address search without a geocoder: supervised places (name, address) and areas (grid, village, township) by
    name, in the desk's 辖区 only. Each hit carries its point; picking one moves the map there. An htmx partial.
    A caller's whole address ("榜头镇南溪村后山路口…") contains no name but names several: when nothing holds the
    text, the places and areas named inside it are offered, the deepest first (as 12345 orders are located)."""
    _desk_only(request.user)
    q = request.GET.get("q", "").strip()[:SEARCH_CHARS]
    hits: list[dict] = []
    if len(q) >= 2:
        scope = Q(pk__in=[])
        for path in jurisdiction_of(request.user).paths or (settings.GRIDSAFE_COUNTY_CODE,):
            scope |= Q(path=path) | Q(path__startswith=path + ".")
        areas_in_reach = Region.objects.filter(scope, center_lon__isnull=False, is_active=True)
        places = (
            places_visible_to(request.user)
            .filter(Q(name__icontains=q) | Q(address__icontains=q), is_active=True)
            .only("name", "address", "lon", "lat")
            .order_by("name")[:SEARCH_LIMIT]
        )
        areas = (
            areas_in_reach.filter(name__icontains=q)
            .only("name", "level", "center_lon", "center_lat", "path")
            .order_by("level", "code")[:SEARCH_LIMIT]
        )
        hits = _hits(places, areas)
        if not hits:
            named = dict(_text=Value(q), _len=Length("name"))
            places = (
                places_visible_to(request.user)
                .filter(is_active=True)
                .annotate(**named)
                .filter(_len__gte=3, _text__contains=F("name"))
                .only("name", "address", "lon", "lat")
                .order_by("-_len", "name")[:SEARCH_LIMIT]
            )
            areas = (
                areas_in_reach.annotate(**named)
                .filter(_len__gte=2, _text__contains=F("name"))
                .only("name", "level", "center_lon", "center_lat", "path")
                .order_by("-level", "-_len", "code")[:SEARCH_LIMIT]
            )
            hits = _hits(places, areas)
    return render(request, "web/partials/register_search.html", {"hits": hits[:SEARCH_LIMIT], "q": q})


LEVEL_NAMES = {2: "乡镇/街道", 3: "村/社区", 4: "网格"}


def _hits(places, areas) -> list[dict]:
    hits = [{"name": p.name, "detail": p.address, "lon": p.lon, "lat": p.lat} for p in places]
    return hits + [
        {"name": r.name, "detail": LEVEL_NAMES.get(r.level, "区域"), "lon": r.center_lon, "lat": r.center_lat}
        for r in areas
    ]
