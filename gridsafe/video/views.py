"""Pages of the video app: a camera (live view, recent alarms, precision), the review queue at the desk (立案 or
误报), and an alarm's snapshot. Every page is scoped by the reader's 辖区: out of it is 404, as missing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gridsafe.catalog.models import Category
from gridsafe.core.errors import DomainError, NotFound
from gridsafe.video import selectors, services
from gridsafe.video.models import Outcome
from gridsafe.video.streams import GatewayUnavailable, backend

REVIEW_PAGE = 50


def _reviewer(request: HttpRequest) -> None:
    if not services.may_review(request.user):
        raise Http404


@login_required
@require_GET
def camera_detail(request: HttpRequest, camera_id: int) -> HttpResponse:
    try:
        camera = selectors.get_camera_for_user(request.user, camera_id)
    except NotFound:
        raise Http404 from None
    alarms = list(camera.alarms.select_related("case").order_by("-occurred_at")[:20])
    context = {
        "nav": "map",
        "camera": camera,
        "alarms": alarms,
        "precision": selectors.camera_precision(camera),
        "play_url": reverse("video:camera_play", args=[camera.pk]),
    }
    response = render(request, "video/camera_detail.html", context)
    origins = list(settings.GRIDSAFE_VIDEO_MEDIA_ORIGINS)
    if origins:  # the player fetches the playlist and segments from the gateway's media server
        response._csp_update = {"connect-src": origins, "media-src": origins}  # type: ignore[attr-defined]
    return response


@login_required
@require_GET
def camera_play(request: HttpRequest, camera_id: int) -> JsonResponse:
    """The camera's live play address from the gateway (the page's player asks when opened)."""
    try:
        camera = selectors.get_camera_for_user(request.user, camera_id)
    except NotFound:
        raise Http404 from None
    try:
        address = backend().play(device_id=camera.device_id, channel_id=camera.channel_id)
    except GatewayUnavailable as error:
        return JsonResponse({"ok": False, "detail": error.detail}, status=502)
    if address is None:
        return JsonResponse({"ok": False, "detail": "未配置视频网关（GRIDSAFE_VIDEO_GATEWAY_URL），无法播放实时视频"})
    return JsonResponse({"ok": True, "hls": address.hls, "flv": address.flv, "ws_flv": address.ws_flv})


@login_required
@require_GET
def alarm_snapshot(request: HttpRequest, alarm_id: int) -> FileResponse:
    alarm = selectors.alarms_visible_to(request.user).filter(pk=alarm_id).first()
    if alarm is None or not alarm.snapshot:
        raise Http404
    response = FileResponse(alarm.snapshot.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    _reviewer(request)
    visible = selectors.alarms_visible_to(request.user)
    waiting = visible.filter(outcome=Outcome.REVIEW)
    context = {
        "nav": "video_review",
        "waiting_count": waiting.count(),
        "alarms": list(waiting.select_related("camera").order_by("-occurred_at")[:REVIEW_PAGE]),
        "categories": list(
            Category.objects.filter(is_active=True).select_related("domain").order_by("domain__sort", "sort", "code")
        ),
        "by_type": selectors.precision_by(visible, "type"),
        "by_camera": selectors.precision_by(visible, "camera__name", limit=20),
        "message": request.GET.get("done"),
    }
    return render(request, "video/review_queue.html", context)


def _error(request: HttpRequest, error: DomainError) -> HttpResponse:
    if error.status == 404:
        raise Http404
    return render(request, "video/review_error.html", {"detail": error.detail}, status=error.status)


@login_required
@require_POST
def alarm_false(request: HttpRequest, alarm_id: int) -> HttpResponse:
    _reviewer(request)
    try:
        services.alarm_mark_false(actor=request.user, alarm_id=alarm_id, note=request.POST.get("note", ""))
    except DomainError as error:
        return _error(request, error)
    return HttpResponseRedirect(reverse("video:review_queue") + "?done=false", status=303)


@login_required
@require_POST
def alarm_case(request: HttpRequest, alarm_id: int) -> HttpResponse:
    _reviewer(request)
    try:
        alarm = services.alarm_open_case(
            actor=request.user,
            alarm_id=alarm_id,
            category_code=request.POST.get("category", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        return _error(request, error)
    return HttpResponseRedirect(reverse("web:case_detail", args=[alarm.case_id]), status=303)
