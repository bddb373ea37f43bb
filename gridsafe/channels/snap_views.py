"""随手拍 — citizens report a hazard from a phone without an account: photo, place (browser location or a point
picked on the map), description, a phone verified by an SMS code; they get a 受理编号 and look up its progress with
the phone's last four digits. Spam: a hidden honeypot field, limits per address and per phone, a code tried at
most five times, photos checked by content like every case photo."""

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from gridsafe.channels.models import CitizenRequest, RequestChannel
from gridsafe.channels.services.citizen import (
    PHONE_RE,
    Submission,
    citizen_categories,
    citizen_request_progress,
    citizen_request_submit,
    snap_code_check,
    snap_code_issue,
    snap_requests_today,
)
from gridsafe.core.errors import DomainError, RateLimited
from gridsafe.core.fields import blind_index
from gridsafe.core.http import client_ip
from gridsafe.core.ratelimit import ratelimit_hit
from gridsafe.messaging.sms import send_sms
from gridsafe.regions.basemap import basemap_config, with_basemap
from gridsafe.regions.models import Region

HONEYPOT = "website"


def _send_code(phone: str, code: str) -> None:
    result = send_sms(phone, "verify_code", {"code": code}, purpose="随手拍验证码")
    if not result.ok:
        raise DomainError("验证码短信发送失败，请稍后再试")


def _phone(raw: str) -> str:
    phone = re.sub(r"[\s-]", "", raw or "")
    if not re.fullmatch(PHONE_RE, phone):
        raise DomainError("请填写正确的 11 位手机号")
    return phone


@require_POST
def snap_code(request: HttpRequest) -> JsonResponse:
    """Send a verification code: limited per address and per phone (GRIDSAFE_SNAP_CODE_RATE)."""
    try:
        if request.POST.get(HONEYPOT):
            raise DomainError("提交失败")
        phone = _phone(request.POST.get("phone", ""))
        ratelimit_hit("snap_code_ip", client_ip(request), settings.GRIDSAFE_SNAP_CODE_RATE)
        ratelimit_hit("snap_code_phone", blind_index(phone)[:24], settings.GRIDSAFE_SNAP_CODE_RATE)
        snap_code_issue(phone=phone, ip=client_ip(request), send=_send_code)
    except RateLimited:
        return JsonResponse({"ok": False, "error": "发送太频繁，请稍后再试"}, status=429)
    except DomainError as error:
        return JsonResponse({"ok": False, "error": error.detail}, status=422)
    return JsonResponse({"ok": True, "message": "验证码已发送，10 分钟内有效"})


def _float(raw: str) -> float | None:
    try:
        return float(raw) if raw.strip() else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@with_basemap  # the configured tile hosts in img-src, as on every other map page
def snap_form(request: HttpRequest) -> HttpResponse:
    categories = list(citizen_categories())
    county = Region.objects.filter(code=settings.GRIDSAFE_COUNTY_CODE).values("center_lon", "center_lat").first() or {}
    context: dict = {
        "categories": categories,
        "values": request.POST,
        "honeypot": HONEYPOT,
        "map_lon": county.get("center_lon"),
        "map_lat": county.get("center_lat"),
        # The picker draws one plain XYZ layer, the GRIDSAFE_TILE_URL provider's (天地图 needs the full map script).
        "tile_url": next((layer["url"] for layer in basemap_config()["layers"] if layer["key"] == "custom"), ""),
    }
    if request.method == "GET":
        return render(request, "channels/snap.html", context)
    status = 422
    try:
        if request.POST.get(HONEYPOT):
            raise DomainError("提交失败，请稍后再试")
        ratelimit_hit("snap_submit", client_ip(request), settings.GRIDSAFE_SNAP_RATE)
        phone = _phone(request.POST.get("phone", ""))
        if snap_requests_today(phone) >= settings.GRIDSAFE_SNAP_PHONE_DAILY:
            raise DomainError("该手机号今天已提交多次，请明天再试或拨打 12345")
        photo = request.FILES.get("photo")
        if photo is None:
            raise DomainError("请拍摄或选择一张现场照片")
        lat, lon = _float(request.POST.get("lat", "")), _float(request.POST.get("lon", ""))
        address = request.POST.get("address", "").strip()
        if (lat is None or lon is None) and not address:
            raise DomainError("请定位或在地图上选择位置，或填写地址")
        if not snap_code_check(phone=phone, code=request.POST.get("code", "")):
            raise DomainError("验证码不正确或已过期，请重新获取")
        row = citizen_request_submit(
            submission=Submission(
                channel=RequestChannel.SNAP,
                service_code=request.POST.get("category", ""),
                description=request.POST.get("description", ""),
                lat=lat,
                lon=lon,
                address=address,
                phone=phone,
                ip=client_ip(request),
            ),
            photo=photo,
        )
    except RateLimited:
        context["error"] = "提交太频繁，请稍后再试"
        status = 429
    except DomainError as error:
        context["error"] = error.detail
    else:
        return render(request, "channels/snap_done.html", {"row": row}, status=201)
    return render(request, "channels/snap.html", context, status=status)


@require_http_methods(["GET", "POST"])
def snap_ticket_lookup(request: HttpRequest) -> HttpResponse:
    number = (request.POST.get("number") or request.GET.get("number") or "").strip().upper()
    return snap_ticket(request, number) if number else render(request, "channels/snap_ticket.html", {})


@require_http_methods(["GET", "POST"])
def snap_ticket(request: HttpRequest, number: str) -> HttpResponse:
    """进度查询: the 受理编号 and the last four digits of the phone that sent it; lookups limited per address."""
    last4 = (request.POST.get("last4") or "").strip()
    context: dict = {"number": number}
    if request.method == "POST":
        try:
            ratelimit_hit("snap_ticket", client_ip(request), "30/h")
        except RateLimited:
            context["error"] = "查询太频繁，请稍后再试"
            return render(request, "channels/snap_ticket.html", context, status=429)
        row = (
            CitizenRequest.objects.select_related("category", "case__department", "case__holder_unit")
            .filter(number=number)
            .first()
        )
        if row is None or not re.fullmatch(r"\d{4}", last4) or not row.phone.endswith(last4):
            context["error"] = "受理编号或手机号后四位不正确"  # one answer for both: no number is confirmed
            return render(request, "channels/snap_ticket.html", context)
        context.update(row=row, progress=citizen_request_progress(row))
    return render(request, "channels/snap_ticket.html", context)
