"""Register pages (台账): /places/registers/ (every domain's counts), /places/registers/<domain>/ (the objects of one
domain with filters), /places/registers/<domain>/<id>/ (one object's card), and the map layers the map page draws
(/places/map/objects.geojson per domain, /places/map/risk.geojson the township risk colours). Outside the 辖区: 404."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from gridsafe.accounts.jurisdiction import DEPARTMENT_STAFF, REVIEWERS
from gridsafe.accounts.models import Role
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.http import client_ip
from gridsafe.places import register_selectors as rs
from gridsafe.places import rules
from gridsafe.places.models import RiskLevel
from gridsafe.places.permissions import can_edit_place, get_place_for_user
from gridsafe.places.registers import FACTS, facts_of, place_facts_save

PER_PAGE = 50
# Who reads the registers: county and township centres, stations, departments, leaders (grid workers use the
# field app, where a visit shows the object's card).
READERS = frozenset(REVIEWERS | DEPARTMENT_STAFF | {Role.LEADER, Role.ADMIN, Role.GRID_WORKER})


def may_read_registers(user) -> bool:
    return user.is_authenticated and (user.role in READERS or user.is_superuser)


def page(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_read_registers(request.user):
            return render(request, "web/404.html", status=404)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "web/404.html", status=404)

    return login_required(wrapper)


def _today():
    return timezone.localtime(clock.now()).date()


@require_GET
@page
def registers_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "places/registers.html",
        {"nav": "registers", "summary": rs.register_summary(request.user, _today()), "days": rules.EXPIRY_REMIND_DAYS},
    )


@require_GET
@page
def register_list(request: HttpRequest, domain: str) -> HttpResponse:
    dom = rs.register_domain(domain)
    today = _today()
    node = rs.visible_node(request.user, request.GET.get("node") or None)
    risk = request.GET.get("risk") if request.GET.get("risk") in RiskLevel.values else ""
    state = request.GET.get("state") if request.GET.get("state") in rs.STATES else ""
    q = (request.GET.get("q") or "").strip()[:50]
    qs = rs.register_list(request.user, domain, today=today, node=node, risk=risk, state=state, q=q)
    page_obj = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    values = {"node": node.code if node else "", "risk": risk, "state": state, "q": q}
    return render(
        request,
        "places/register_list.html",
        {
            "nav": "registers",
            "domain": dom,
            "domains": rs.register_domains(),
            "headers": rs.list_headers(domain),
            "rows": rs.register_rows(list(page_obj.object_list), domain, today),
            "page": page_obj,
            "query": urlencode({k: v for k, v in values.items() if v}),
            "values": values,
            "node": node,
            "risks": RiskLevel.choices,
            "states": rs.STATES,
        },
    )


@require_GET
@page
def register_place(request: HttpRequest, domain: str, place_id: int) -> HttpResponse:
    place = get_place_for_user(request.user, place_id)
    if place.domain.code != domain:
        raise NotFound("未找到该监管对象")
    return render(
        request,
        "places/register_place.html",
        {
            "nav": "registers",
            "place": place,
            "card": rs.place_register(place, _today()),
            "risk_names": rules.RISK_NAMES,
        },
    )


def _form_fields(domain: str, facts, posted=None, errors=None) -> list[dict]:
    """The facts form of a domain: each fact's input, current (or re-posted) value and error."""
    rows = []
    errors = errors or {}
    for fact in FACTS.get(domain, []):
        if fact.kind == "secret":
            continue  # personal data is entered through the field app or the import, never shown back
        current = getattr(facts, fact.name, None) if facts is not None else None
        if posted is not None:
            value = posted.get(fact.name, "")
        elif fact.kind == "bool":
            value = "是" if current else "否"
        elif fact.kind == "choice" and current:
            value = next((label for label, v in fact.choices.items() if v == current), current)
        elif fact.kind == "date":
            value = current.isoformat() if current else ""
        else:
            value = "" if current is None else str(current)
        rows.append({"fact": fact, "value": value, "error": errors.get(fact.label, "")})
    return rows


@require_http_methods(["GET", "POST"])
@page
def register_facts_edit(request: HttpRequest, domain: str, place_id: int) -> HttpResponse:
    """修改台账信息 — the facts form for those who may edit the object (its grid worker, station, centre)."""
    place = get_place_for_user(request.user, place_id)
    if place.domain.code != domain or domain not in FACTS or not can_edit_place(request.user, place):
        raise NotFound("未找到该监管对象")
    facts = facts_of(place)
    posted, errors, message = None, {}, ""
    if request.method == "POST":
        posted = {f.name: request.POST.get(f.name, "") for f in FACTS[domain] if f.kind != "secret"}
        try:
            place_facts_save(actor=request.user, place=place, values=posted, ip=client_ip(request))
        except ValidationFailed as exc:
            errors = {e["field"]: e["message"] for e in exc.extra.get("errors", [])}
            message = str(exc.detail)
        else:
            return redirect("places:register_place", domain=domain, place_id=place.pk)
    return render(
        request,
        "places/register_facts_edit.html",
        {"nav": "registers", "place": place, "fields": _form_fields(domain, facts, posted, errors),
         "message": message},
        status=422 if message else 200,
    )  # fmt: skip


def _json_page(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "请先登录"}, status=401)
        if not may_read_registers(request.user):
            return JsonResponse({"detail": "未找到"}, status=404)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@_json_page
def objects_geojson(request: HttpRequest) -> JsonResponse:
    """The objects of one domain (?domain=lpg) or all register domains, as map points."""
    domain = request.GET.get("domain") or None
    if domain and domain not in rs.REGISTER_DOMAINS:
        return JsonResponse({"detail": "没有该领域的台账"}, status=404)
    features = rs.register_points(request.user, domain)
    layers = [{"code": d.code, "name": d.name, "colour": rules.DOMAIN_COLOURS.get(d.code, "#555")}
              for d in rs.register_domains()]  # fmt: skip
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "layers": layers, "capped": len(features) >= rs.MAP_LIMIT},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@_json_page
def risk_geojson(request: HttpRequest) -> JsonResponse:
    """Townships coloured by their worst active risk point (红橙黄蓝), with counts per grade."""
    legend = [{"grade": g, "label": rules.RISK_NAMES[g], "colour": rules.RISK_COLOURS[g]} for g in rules.RISK_ORDER]
    return JsonResponse(
        {"type": "FeatureCollection", "features": rs.risk_by_township(request.user), "legend": legend},
        json_dumps_params={"ensure_ascii": False},
    )
