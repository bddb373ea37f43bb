"""我的上报 on the web — a grid worker's own reports, open and closed, each linking to its case page (which shows
the whole timeline). The same selector as the field app's 我的上报 (field/reports.py), scoped to the reporter."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridsafe.accounts.models import Role
from gridsafe.core import clock
from gridsafe.core.paging import page_window
from gridsafe.field.reports import FILTERS, report_list_for_reporter

PAGE = 50


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    if request.user.role != Role.GRID_WORKER:
        raise Http404("未找到该页面")  # a page a role does not use is not there for it
    status = request.GET.get("status") if request.GET.get("status") in FILTERS else "all"
    try:
        offset = int(request.GET.get("offset") or 0)
    except ValueError:
        offset = 0
    limit, offset = page_window(PAGE, offset, max_limit=PAGE)
    data = report_list_for_reporter(request.user, status=status, now=clock.now(), limit=limit, offset=offset)
    return render(
        request,
        "web/my_reports.html",
        {
            "nav": "my_reports",
            "status": status,
            "filters": [("all", "全部"), ("open", "未结案"), ("closed", "已结案")],
            "offset": offset,
            "next_offset": offset + limit if offset + limit < data["total"] else None,
            **data,
        },
    )
