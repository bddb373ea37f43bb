"""Oversight pages: dashboards per level, drill-down, the big screen, bulletins, leaders' inspections, information
reports and work archives. Each view parses, checks the node is in the user's 辖区 (404 otherwise), calls one
selector or service and renders. No inline scripts: charts read their data from data-* attributes."""

from __future__ import annotations

import functools
import json
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.core.errors import DomainError, NotFound
from gridsafe.core.http import audited_download, client_ip
from gridsafe.core.input import check_day
from gridsafe.core.jobs import job_start
from gridsafe.dashboards import config
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.access import (
    default_region,
    departments_visible_at,
    visible_department,
    visible_region,
    workers_in,
)
from gridsafe.dashboards.archives import archive_build, archive_target, archive_units
from gridsafe.dashboards.bulletins import bulletin_check, bulletin_for_user, bulletins_visible_to, may_generate
from gridsafe.dashboards.cockpit import cockpit_for
from gridsafe.dashboards.display import display_region
from gridsafe.dashboards.downloads import BULLETIN_KINDS, archive_period
from gridsafe.dashboards.drill import cases_page, drill_case_ids, metric_label
from gridsafe.dashboards.inforeports import (
    InfoReportForm,
    info_report_submit,
    report_for_user,
    report_status,
    reports_visible_to,
)
from gridsafe.dashboards.inspections import (
    ActivityForm,
    FindingForm,
    activities_visible_to,
    activity_add_finding,
    activity_add_photo,
    activity_for_user,
    activity_record,
    compliance,
    default_window,
    photo_for_user,
)
from gridsafe.dashboards.models import Scope
from gridsafe.dashboards.periods import parse_period, quarter_period, today
from gridsafe.dashboards.schedule import next_runs
from gridsafe.regions.models import Region
from gridsafe.web.downloads import may_check_rollups


def page(view):
    """login_required, and domain errors as pages: 404 for anything outside the 辖区, the message otherwise."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "web/404.html", status=404)
        except DomainError as exc:
            return render(request, "dashboards/error.html", {"message": exc.detail}, status=exc.status)

    return login_required(wrapper)


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _date(value: str | None) -> date | None:
    """A date from the query string; unreadable or outside the input window (2000 to a few years ahead, where a
    period would overflow) is ignored like a missing one."""
    try:
        return check_day(date.fromisoformat(value), future=True) if value else None
    except ValueError:
        return None


def _period_from(request: HttpRequest):
    return parse_period(
        request.GET.get("period"), start=_date(request.GET.get("start")), end=_date(request.GET.get("end"))
    )


def _period_choices() -> list[dict]:
    day = today()
    months = sel.latest_period_choices(12)
    quarters = [quarter_period(day)]
    quarters.append(quarters[0].previous())
    return [
        *({"key": p.key, "label": p.label} for p in months),
        *({"key": q.key, "label": q.label} for q in quarters),
        {"key": str(day.year), "label": f"{day.year}年"},
        {"key": str(day.year - 1), "label": f"{day.year - 1}年"},
        {"key": "all", "label": "累计(全部)"},
    ]


def _filters_context(request, period, domain: str | None) -> dict:
    return {
        "period": period,
        "period_choices": _period_choices(),
        "domains": sel.domains(),
        "domain": domain or "",
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
    }


@require_GET
@page
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """Open the dashboard of the user's own level: a node, or a department for department staff."""
    region = default_region(request.user)
    if region is not None:
        return redirect("dashboards:region", code=region.code)
    if request.user.unit_id and request.user.unit.kind == "department":
        return redirect("dashboards:department", unit_id=request.user.unit_id)
    raise NotFound("没有可查看的统计")


@require_GET
@page
def cockpit(request: HttpRequest) -> HttpResponse:
    """驾驶舱 — a leader's landing page for their own node (the county): key figures, red list, 督办, where the
    overdue cases are, rankings in brief; this month unless ?period= says otherwise (dashboards/cockpit.py)."""
    region = visible_region(request.user, request.GET.get("node"))
    period = _period_from(request)
    context = {
        "nav": "cockpit",
        "region": region,
        "period": period,
        "is_county": region.level == 1,
        **cockpit_for(request.user, region, period, clock.now()),
    }
    return render(request, "dashboards/cockpit.html", context)


@require_GET
@page
def region_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    region = visible_region(request.user, code)
    period = _period_from(request)
    domain = request.GET.get("domain") or None
    report = sel.region_report(region, period, domain_code=domain)
    departments = (
        sel.department_rows(list(departments_visible_at(region)), period, domain_code=domain)
        if region.level <= 2
        else []
    )
    workers = sel.worker_rows(list(workers_in(region)[:200]), period) if region.level >= 2 else []
    series = sel.trend(Scope.REGION, int(region.code), end=min(period.end or today(), today()))
    ancestors = [r for r in _ancestors(request.user, region)]
    context = {
        "nav": "dashboards",
        "region": region,
        "ancestors": ancestors,
        "report": report,
        "departments": departments,
        "workers": workers,
        "overdue": [sel.case_row(c, clock.now()) for c in sel.watched_cases(path=region.path, limit=15)],
        "supervised": [
            sel.case_row(c, clock.now()) for c in sel.watched_cases(path=region.path, kind="supervised", limit=15)
        ],
        "trend_json": _json(series),
        "modules_json": _json(
            [
                {
                    "name": d["name"],
                    "rate": d["kpis"]["handling_rate"]["value"],
                    "reported": d["counts"]["reported"],
                }
                for d in report["domains"]
            ]
        ),
        "is_county": region.level == 1,
        **_filters_context(request, period, domain),
    }
    return render(request, "dashboards/region.html", context)


def _ancestors(user, region):
    """Breadcrumbs: the ancestors the user may open."""
    scope = jurisdiction_of(user)
    paths = region.ancestor_paths()[:-1]
    return [
        r
        for r in Region.objects.filter(path__in=paths).defer("geometry").order_by("level")
        if scope.covers_path(r.path)
    ]


@require_GET
@page
def department_dashboard(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = visible_department(request.user, unit_id)
    period = _period_from(request)
    domain = request.GET.get("domain") or None
    report = sel.department_report(unit, period, domain_code=domain)
    series = sel.trend(Scope.UNIT, unit.pk, end=min(period.end or today(), today()))
    context = {
        "nav": "dashboards",
        "unit": unit,
        "report": report,
        "overdue": [sel.case_row(c, clock.now()) for c in sel.watched_cases(department=unit.pk, limit=15)],
        "supervised": [
            sel.case_row(c, clock.now()) for c in sel.watched_cases(department=unit.pk, kind="supervised", limit=15)
        ],
        "trend_json": _json(series),
        "modules_json": _json(
            [
                {
                    "name": d["name"],
                    "rate": d["kpis"]["handling_rate"]["value"],
                    "reported": d["counts"]["reported"],
                }
                for d in report["domains"]
            ]
        ),
        **_filters_context(request, period, domain),
    }
    return render(request, "dashboards/department.html", context)


@require_GET
@page
def drill(request: HttpRequest) -> HttpResponse:
    """The cases behind a figure, 50 to a page, each linking to its case page."""
    scope = request.GET.get("scope", Scope.REGION)
    try:
        node = int(request.GET.get("node", ""))
    except ValueError:
        raise Http404 from None
    metric = request.GET.get("metric", "reported")
    period = _period_from(request)
    domain = request.GET.get("domain") or None
    ids = drill_case_ids(request.user, scope=scope, node=node, period=period, metric=metric, domain=domain)
    page_obj = Paginator(ids, 50).get_page(request.GET.get("page"))
    now = clock.now()
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav": "dashboards",
        "label": metric_label(metric),
        "metric": metric,
        "period": period,
        "count": len(ids),
        "capped": len(ids) >= 5000,
        "rows": [sel.case_row(c, now) for c in cases_page(list(page_obj.object_list))],
        "page_obj": page_obj,
        "query": params.urlencode(),
        "domain": domain,
        "domain_name": Domain.objects.filter(code=domain).values_list("name", flat=True).first() if domain else "",
        "back": request.headers.get("Referer", ""),
    }
    return render(request, "dashboards/drill.html", context)


@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The county big screen (1920×1080, dark). All data comes from /api/v1/stats/screen, polled by screen.js.
    Opened by a signed-in person or by a display session (dashboards.display), which sees its own region only."""
    if getattr(request, "display", None) is not None:
        try:
            region = display_region(request.display, request.GET.get("node"))
        except NotFound:
            return render(request, "web/404.html", status=404)
        return _screen_page(request, region, display=request.display)
    return _screen_person(request)


@page
def _screen_person(request: HttpRequest) -> HttpResponse:
    return _screen_page(request, visible_region(request.user, request.GET.get("node")), display=None)


def _screen_page(request: HttpRequest, region, *, display) -> HttpResponse:
    context = {
        "region": region,
        "poll_seconds": config.screen_poll_seconds(),
        "cameras": config.camera_count(region.path if region is not None else None),
        "display": display,
    }
    return render(request, "dashboards/screen.html", context)


# ---------------------------------------------------------------- 通报 / 督导


@require_GET
@page
def bulletin_list(request: HttpRequest) -> HttpResponse:
    page_obj = Paginator(bulletins_visible_to(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/bulletins.html",
        {
            "nav": "bulletins",
            "page_obj": page_obj,
            "may_generate": may_generate(request.user),
            "next": next_runs(),  # what the oversight calendar will do, and any run that is late or failed
            "month_choices": sel.latest_period_choices(12)[1:],
            "quarter_choices": [quarter_period(today()).previous(), quarter_period(today()).previous().previous()],
        },
    )


@require_POST
@page
def bulletin_generate(request: HttpRequest) -> HttpResponse:
    if not may_generate(request.user):
        raise NotFound("未找到")
    kind = request.POST.get("kind", "monthly")
    period = parse_period(request.POST.get("period"))
    bulletin_check(kind, period)  # a wrong kind or period: 422 now, not a failed job later
    job = job_start(
        user=request.user,
        kind="bulletins.generate",
        params={"kind": kind, "period": period.key},
        label=f"{BULLETIN_KINDS[kind]}生成：{period.label}",
        ip=client_ip(request),
    )
    return redirect("web:download_detail", job_id=job.pk)  # its progress, then a link to the bulletin


@require_GET
@page
def bulletin_download(request: HttpRequest, bulletin_id: int, fmt: str) -> HttpResponse:
    bulletin = bulletin_for_user(request.user, bulletin_id)
    field = {"docx": bulletin.docx, "xlsx": bulletin.xlsx}.get(fmt)
    if not field:
        raise Http404
    return audited_download(
        request,
        field,
        action="bulletin.download",
        target=f"bulletin:{bulletin.pk}",
        payload={"format": fmt},
        filename=f"{bulletin.title}.{fmt}",
    )


# ---------------------------------------------------------------- 领导带队检查 / 例会


@require_GET
@page
def inspection_list(request: HttpRequest) -> HttpResponse:
    region = visible_region(request.user, request.GET.get("node"))
    start, end = default_window(_date(request.GET.get("start")), _date(request.GET.get("end")))
    report = compliance(region, start, end)
    activities = Paginator(activities_visible_to(request.user, region), 30).get_page(request.GET.get("page"))
    missed = Paginator(report["missed"], 50).get_page(request.GET.get("mpage"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("mpage", None)
    return render(
        request,
        "dashboards/inspections.html",
        {
            "nav": "inspections",
            "region": region,
            "report": report,
            "page_obj": activities,
            "missed_page": missed,
            "query": params.urlencode(),
            "start": start,
            "end": end,
        },
    )


@require_http_methods(["GET", "POST"])
@page
def inspection_new(request: HttpRequest) -> HttpResponse:
    form = ActivityForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        activity = activity_record(actor=request.user, **form.service_kwargs())
        return redirect("dashboards:inspection_detail", activity_id=activity.pk)
    return render(request, "dashboards/inspection_form.html", {"nav": "inspections", "form": form})


@require_http_methods(["GET", "POST"])
@page
def inspection_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = activity_for_user(request.user, activity_id)
    finding_form = FindingForm(activity=activity)
    message = None
    if request.method == "POST":
        if request.FILES.get("photo"):
            activity_add_photo(activity=activity, actor=request.user, upload=request.FILES["photo"])
            message = "照片已上传"
        else:
            finding_form = FindingForm(request.POST, activity=activity)
            if finding_form.is_valid():
                case = activity_add_finding(activity=activity, actor=request.user, **finding_form.cleaned_data)
                message = f"已生成隐患 #{case.pk}"
                finding_form = FindingForm(activity=activity)
    return render(
        request,
        "dashboards/inspection_detail.html",
        {"nav": "inspections", "activity": activity, "finding_form": finding_form, "message": message},
    )


@require_GET
@page
def inspection_photo(request: HttpRequest, photo_id: int) -> HttpResponse:
    photo = photo_for_user(request.user, photo_id)
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


# ---------------------------------------------------------------- 信息材料


@require_GET
@page
def report_list(request: HttpRequest) -> HttpResponse:
    region = default_region(request.user)
    month = parse_period(request.GET.get("month") or None)
    status = report_status(region, month) if region is not None else None
    reports = Paginator(reports_visible_to(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/reports.html",
        {
            "nav": "reports",
            "status": status,
            "month": month,
            "page_obj": reports,
            "month_choices": sel.latest_period_choices(6),
            "may_submit": request.user.unit_id is not None,
        },
    )


@require_http_methods(["GET", "POST"])
@page
def report_new(request: HttpRequest) -> HttpResponse:
    form = InfoReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        info_report_submit(actor=request.user, **form.cleaned_data)
        return redirect("dashboards:reports")
    return render(request, "dashboards/report_form.html", {"nav": "reports", "form": form})


@require_GET
@page
def report_file(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_user(request.user, report_id)
    if not report.file:
        raise Http404
    return audited_download(
        request,
        report.file,
        action="inforeport.download",
        target=f"inforeport:{report.pk}",
        payload={"unit": report.unit_id, "month": report.month, "name": report.original_name},
        filename=report.original_name or "report",
    )


# ---------------------------------------------------------------- 工作档案


@require_GET
@page
def archive(request: HttpRequest) -> HttpResponse:
    """工作档案: pick a unit and a period; the download is one ZIP with an index DOCX (汇总成册)."""
    units = archive_units(request.user)
    return render(
        request,
        "dashboards/archive.html",
        {"nav": "archives", "units": units, "period_choices": _period_choices()},
    )


@require_GET
@page
def archive_download(request: HttpRequest) -> HttpResponse:
    target = archive_target(request.user, request.GET.get("target", ""))
    period = _period_from(request)
    if period.start is None:
        period = parse_period(str(today().year))
    handle, name = archive_build(target=target, period=period, actor=request.user, ip=client_ip(request))
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")


@require_POST
@page
def rollups_check_start(request: HttpRequest) -> HttpResponse:
    """核对统计汇总 (我的下载, the 系统管理员): the rollups check on the worker, its differences as a sheet."""
    if not may_check_rollups(request.user):
        raise NotFound("未找到")
    job = job_start(user=request.user, kind="rollups.check", params={}, ip=client_ip(request))
    return redirect("web:download_detail", job_id=job.pk)


@require_POST
@page
def archive_start(request: HttpRequest) -> HttpResponse:
    """下载档案 in the background: the 辖区 is checked here (404 outside) and again on the worker; the user watches
    the job's progress and finds the ZIP under 我的下载."""
    target = archive_target(request.user, request.POST.get("target", ""))
    period = archive_period(request.POST.get("period"))
    job = job_start(
        user=request.user,
        kind="archives.zip",
        params={"target": target.key, "period": period.key},
        label=f"工作档案：{target.name} {period.label}",
        ip=client_ip(request),
    )
    return redirect("web:download_detail", job_id=job.pk)
