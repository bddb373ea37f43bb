"""Open311 GeoReport v2 at /open311/v2/ (docs/open311.md; spec: wiki.open311.org/GeoReport_v2): discovery,
services, service definitions, service requests (GET, and POST with an API key), a request, a token. Every answer in
XML (required by the spec) and JSON; errors are the spec's list of {code, description} with HTTP 400, 403 or 404.

One jurisdiction: `jurisdiction_id` is optional and, when sent, must be the county code. Requests are citizens'
reports waiting for the desk's review (群众上报); `status`/`status_notes` follow the review and then the case.
Personal data (name, phone, e-mail) is never in an answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from gridsafe.channels.models import CitizenRequest, RequestChannel
from gridsafe.channels.services.citizen import (
    Submission,
    citizen_categories,
    citizen_request_progress,
    citizen_request_submit,
    open311_key_check,
)
from gridsafe.core.errors import DomainError, RateLimited
from gridsafe.core.http import client_ip
from gridsafe.core.ratelimit import ratelimit_hit

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00Z"
LIST_LIMIT = 1000  # the spec's default volume: 1000 requests or 90 days
SERVICE_NOTICE = "已收到，网格化中心审核后转有关单位办理"


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status, self.description = status, description


# ---------------------------------------------------------------- output


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _when(value) or ""
    return str(value)


def _element(name: str, value) -> ET.Element:
    node = ET.Element(name)
    if isinstance(value, list):
        child_name = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}[name]
        for item in value:
            node.append(_element(child_name, item))
    elif isinstance(value, dict):
        for key, item in value.items():
            node.append(_element(key, item))
    else:
        node.text = _text(value)
    return node


def _render(fmt: str, root: str, item: str | None, data, status: int = 200) -> HttpResponse:
    """`data` a list of dicts (root/item, e.g. services/service) or one dict (root only)."""
    if fmt == "json":
        return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    top = ET.Element(root)
    for entry in data if isinstance(data, list) else [data]:
        holder = ET.SubElement(top, item) if item else top
        for key, value in entry.items():
            holder.append(_element(key, value))
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _errors(fmt: str, status: int, description: str) -> HttpResponse:
    return _render(fmt, "errors", "error", [{"code": status, "description": description}], status=status)


def _when(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def open311_view(view):
    """Format from the URL (.json/.xml), the jurisdiction check, and errors in the spec's shape."""

    def wrapper(request: HttpRequest, *args, fmt: str, **kwargs):
        try:
            jurisdiction = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
            if jurisdiction and jurisdiction != settings.GRIDSAFE_COUNTY_CODE:
                raise Open311Error(
                    404, f"jurisdiction_id not found: {jurisdiction}（本接口只服务 {settings.GRIDSAFE_COUNTY_CODE}）"
                )
            if request.method == "GET":
                ratelimit_hit("open311_read", client_ip(request), settings.GRIDSAFE_OPEN311_READ_RATE)
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return _errors(fmt, error.status, error.description)
        except RateLimited as error:
            response = _errors(fmt, 429, error.detail)
            response["Retry-After"] = str(getattr(error, "retry_after", 60))
            return response
        except DomainError as error:  # a 404 stays 404; any other refusal is the spec's 400
            return _errors(fmt, 404 if error.status == 404 else 400, error.detail)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# ---------------------------------------------------------------- discovery and services


@require_GET
@open311_view
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("channels:open311_root"))
    doc = {
        "changeset": CHANGESET,
        "contact": settings.GRIDSAFE_OPEN311_CONTACT,
        "key_service": "向县网格化中心申请 API 密钥（gridsafe open311_key create NAME）",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base.rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _render(fmt, "discovery", None, doc)


@require_GET
@open311_view
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.name + (f"（{c.legal_basis}）" if c.legal_basis else ""),
            "metadata": False,
            "type": "realtime",
            "keywords": ", ".join(c.keywords.split()),
            "group": c.domain.name,
        }
        for c in citizen_categories()
    ]
    return _render(fmt, "services", "service", rows)


@require_GET
@open311_view
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not citizen_categories().filter(code=code).exists():
        raise Open311Error(404, f"service_code not found: {code}")
    return _render(fmt, "service_definition", None, {"service_code": code, "attributes": []})


# ---------------------------------------------------------------- requests


def _request_doc(row: CitizenRequest) -> dict:
    progress = citizen_request_progress(row)
    return {
        "service_request_id": row.number,
        "status": progress.status,
        "status_notes": progress.notes,
        "service_name": row.category.name if row.category else "",
        "service_code": row.category.code if row.category else "",
        "description": row.description,
        "agency_responsible": progress.agency,
        "service_notice": SERVICE_NOTICE,
        "requested_datetime": _when(row.created_at),
        "updated_datetime": _when(progress.updated_at),
        "expected_datetime": _when(progress.expected_at),
        "address": row.address,
        "address_id": "",
        "zipcode": "",
        "lat": row.lat,
        "long": row.lon,
        "media_url": row.media_url,
    }


def _requests_query():
    return CitizenRequest.objects.select_related("category", "case__department", "case__holder_unit").order_by(
        "-created_at", "-id"
    )


def _date_param(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))  # a + left unescaped in a query string arrives as a space
    if value is None or value.tzinfo is None:
        raise Open311Error(400, f"{name} must be a w3 datetime with a time zone, e.g. 2026-12-01T00:00:00+08:00")
    return value


@csrf_exempt  # an API: the POST carries an api_key, not a browser session
@require_http_methods(["GET", "POST"])
@open311_view
def requests_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    rows = _requests_query()
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        rows = rows.filter(number__in=ids[:LIST_LIMIT])
    else:
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            rows = rows.filter(category__code__in=codes)
        start, end = _date_param(request, "start_date"), _date_param(request, "end_date")
        if start:
            rows = rows.filter(created_at__gte=start)
        if end:
            rows = rows.filter(created_at__lte=end)
        if not start and not end:
            rows = rows.filter(created_at__gte=timezone.now() - timedelta(days=90))
    docs = [_request_doc(r) for r in rows[: LIST_LIMIT * 2]]
    statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    if statuses:
        docs = [d for d in docs if d["status"] in statuses]  # status follows the case: decided per row
    return _render(fmt, "service_requests", "request", docs[:LIST_LIMIT])


def _float(request: HttpRequest, name: str) -> float | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    client = open311_key_check(request.POST.get("api_key") or request.GET.get("api_key"))
    if client is None:
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.（API 密钥无效）")
    ratelimit_hit("open311", f"k{client.pk}", settings.GRIDSAFE_OPEN311_RATE)
    code = request.POST.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    lat, lon = _float(request, "lat"), _float(request, "long")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long must be sent together")
    media_url = request.POST.get("media_url", "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, "media_url is not a valid http(s) URL") from None
    first, last = request.POST.get("first_name", "").strip(), request.POST.get("last_name", "").strip()
    row = citizen_request_submit(
        submission=Submission(
            channel=RequestChannel.OPEN311,
            service_code=code,
            description=request.POST.get("description", ""),
            lat=lat,
            lon=lon,
            address=request.POST.get("address_string", ""),
            media_url=media_url,
            name=(last + first) if last and _is_cjk(last) else " ".join(p for p in (first, last) if p),
            phone=request.POST.get("phone", ""),
            email=request.POST.get("email", ""),
            ip=client_ip(request),
        ),
        client=client,
    )
    doc = {"service_request_id": row.number, "service_notice": SERVICE_NOTICE, "account_id": None}
    return _render(fmt, "service_requests", "request", [doc])


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@require_GET
@open311_view
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    row = _requests_query().filter(number=number).first()
    if row is None:
        raise Open311Error(404, f"service_request_id not found: {number}")
    return _render(fmt, "service_requests", "request", [_request_doc(row)])


@require_GET
@open311_view
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    row = CitizenRequest.objects.filter(token=token).values("number", "token").first()
    if row is None:
        raise Open311Error(404, f"token not found: {token}")
    return _render(fmt, "service_requests", "request", [{"service_request_id": row["number"], "token": row["token"]}])


def open311_root(request: HttpRequest) -> HttpResponse:
    """The endpoint's base URL: points to the discovery document."""
    return _render("json", "", None, {"discovery": request.build_absolute_uri("discovery.json")})
