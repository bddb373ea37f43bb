"""群众上报审核 — the county and township centres' queue of citizens' requests (Open311, 随手拍): 受理 turns one into
a case through the desk's 登记, 不予受理 closes it with a reason the citizen sees. Only the reviewer's 辖区; a
request outside it is 404, as everywhere."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gridsafe.catalog.categories import category_choices
from gridsafe.channels.models import RequestState
from gridsafe.channels.services.citizen import (
    REVIEWERS,
    citizen_request_accept,
    citizen_request_reject,
    citizen_requests_visible_to,
)
from gridsafe.core.errors import DomainError, NotFound
from gridsafe.core.masking import mask_name, mask_phone

PAGE = 50


def _reviewer(request: HttpRequest) -> None:
    if request.user.role not in REVIEWERS and not request.user.is_superuser:
        raise Http404("未找到该页面")


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    _reviewer(request)
    state = request.GET.get("state", RequestState.PENDING)
    if state not in RequestState.values:
        state = RequestState.PENDING
    rows = (
        citizen_requests_visible_to(request.user)
        .filter(state=state)
        .select_related("category", "client", "case")
        .order_by("created_at" if state == RequestState.PENDING else "-created_at")[:PAGE]
    )
    items = [
        {"row": r, "name": mask_name(r.name), "phone": mask_phone(r.phone), "channel": r.get_channel_display()}
        for r in rows
    ]
    context = {
        "nav": "citizen_review",
        "items": items,
        "state": state,
        "states": RequestState.choices,
        "categories": category_choices(),
        "message": request.session.pop("citizen_review_message", None),
    }
    return render(request, "channels/review.html", context)


@login_required
@require_POST
def review_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    _reviewer(request)
    decision = request.POST.get("decision")
    try:
        if decision == "accept":
            row = citizen_request_accept(
                request_id=request_id, actor=request.user, category_code=request.POST.get("category") or None
            )
            text = f"{row.number} 已受理，转为隐患 #{row.case_id}"
        elif decision == "reject":
            row = citizen_request_reject(
                request_id=request_id, actor=request.user, reason=request.POST.get("reason", "")
            )
            text = f"{row.number} 不予受理"
        else:
            raise Http404("未找到该页面")
    except NotFound:
        raise Http404("该群众上报不存在") from None
    except DomainError as error:
        request.session["citizen_review_message"] = {"level": "error", "text": error.detail}
    else:
        request.session["citizen_review_message"] = {"level": "success", "text": text}
    response = HttpResponseRedirect(reverse("channels:review"))
    response.status_code = 303
    return response
