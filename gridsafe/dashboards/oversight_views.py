"""Pages of the oversight calendar: a bulletin as issued (its tables, the same as the DOCX), 季度督导 records (list
with the quarter's coverage, record, detail with follow-up cases) and the annual 责任制考评 (list and one unit's
sheet, each with an XLSX export). Each view parses, checks the 辖区 (404 otherwise), calls one service or
selector and renders."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotFound
from gridsafe.core.http import client_ip
from gridsafe.dashboards.access import default_region
from gridsafe.dashboards.appraisal import appraisal_list, appraisal_sheet, appraisal_unit, list_xlsx, sheet_xlsx
from gridsafe.dashboards.bulletins import bulletin_for_user
from gridsafe.dashboards.documents import RANK_COLUMNS, overview_rows, rank_cells, visit_cells
from gridsafe.dashboards.oversight import (
    LinkCaseForm,
    VisitFindingForm,
    VisitForm,
    may_record_visit,
    oversight_visit_add_case,
    oversight_visit_link_case,
    oversight_visit_record,
    quarter_coverage,
    visit_cases,
    visit_for_user,
    visits_visible_to,
)
from gridsafe.dashboards.periods import parse_period, quarter_period, today
from gridsafe.dashboards.views import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
@page
def bulletin_detail(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    """The bulletin as issued: 文号, title and every table of the DOCX, read from what was stored when generated."""
    bulletin = bulletin_for_user(request.user, bulletin_id)
    doc = (bulletin.summary or {}).get("doc")
    context = {"nav": "bulletins", "bulletin": bulletin, "doc": doc}
    if doc:
        context.update(
            overview=overview_rows(doc),
            rank_headers=[h for h, _k in RANK_COLUMNS],
            townships=[rank_cells(r) for r in doc["townships"]],
            departments=[rank_cells(r) for r in doc["departments"]],
            visits=[visit_cells(v) for v in doc.get("visits") or []],
        )
    return render(request, "dashboards/bulletin_detail.html", context)


# ---------------------------------------------------------------- 季度督导


@require_GET
@page
def visit_list(request: HttpRequest) -> HttpResponse:
    quarter = parse_period(request.GET.get("quarter") or quarter_period(today()).key)
    if "Q" not in quarter.key:
        quarter = quarter_period(quarter.start)
    visits = visits_visible_to(request.user).filter(visited_on__gte=quarter.start, visited_on__lte=quarter.end)
    region = default_region(request.user)
    coverage = quarter_coverage(region, quarter) if region is not None and region.level <= 2 else []
    quarters = [quarter_period(today())]
    for _ in range(3):
        quarters.append(quarters[-1].previous())
    return render(
        request,
        "dashboards/visits.html",
        {
            "nav": "visits",
            "quarter": quarter,
            "quarters": quarters,
            "page_obj": Paginator(visits, 30).get_page(request.GET.get("page")),
            "coverage": coverage,
            "uncovered": [c for c in coverage if not c["visits"]],
            "may_record": region is not None and may_record_visit(request.user, region),
        },
    )


@require_http_methods(["GET", "POST"])
@page
def visit_new(request: HttpRequest) -> HttpResponse:
    region = default_region(request.user)
    if region is None or not may_record_visit(request.user, region):
        raise NotFound("未找到")
    form = VisitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        visit = oversight_visit_record(actor=request.user, **form.service_kwargs())
        return redirect("dashboards:visit_detail", visit_id=visit.pk)
    return render(request, "dashboards/visit_form.html", {"nav": "visits", "form": form})


@require_http_methods(["GET", "POST"])
@page
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = visit_for_user(request.user, visit_id)
    may_edit = may_record_visit(request.user, visit.region)
    link_form, finding_form, message = LinkCaseForm(), VisitFindingForm(visit=visit), None
    if request.method == "POST":
        if not may_edit:
            raise NotFound("未找到该督导记录")
        if "case_id" in request.POST:
            link_form = LinkCaseForm(request.POST)
            if link_form.is_valid():
                case = oversight_visit_link_case(
                    actor=request.user, visit=visit, case_id=link_form.cleaned_data["case_id"]
                )
                message, link_form = f"已关联隐患 #{case.pk}", LinkCaseForm()
        else:
            finding_form = VisitFindingForm(request.POST, visit=visit)
            if finding_form.is_valid():
                case = oversight_visit_add_case(actor=request.user, visit=visit, **finding_form.cleaned_data)
                message, finding_form = f"已生成隐患 #{case.pk}", VisitFindingForm(visit=visit)
    cases = visit_cases(visit)
    return render(
        request,
        "dashboards/visit_detail.html",
        {
            "nav": "visits",
            "visit": visit,
            "cases": cases,
            "fixed": sum(1 for c in cases if c.closure == "resolved"),
            "may_edit": may_edit,
            "link_form": link_form,
            "finding_form": finding_form,
            "message": message,
        },
    )


# ---------------------------------------------------------------- 责任制考评


def _xlsx(request: HttpRequest, content: bytes, filename: str, target: str) -> HttpResponse:
    audit_record(actor=request.user, action="appraisal.export", target=target, ip=client_ip(request))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@require_GET
@page
def appraisal_index(request: HttpRequest) -> HttpResponse:
    data = appraisal_list(request.user, request.GET.get("year"))  # no rows: the user's unit is not appraised
    if request.GET.get("format") == "xlsx":
        return _xlsx(request, list_xlsx(data), f"{data['period'].label}安全生产责任制考评.xlsx", "appraisal:all")
    return render(request, "dashboards/appraisal.html", {"nav": "appraisal", **data, "now": clock.now()})


@require_GET
@page
def appraisal_unit_sheet(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit, minimum = appraisal_unit(request.user, unit_id)
    sheet = appraisal_sheet(unit, minimum, request.GET.get("year"))
    if request.GET.get("format") == "xlsx":
        name = f"{unit.name}{sheet['period'].label}责任制考评表.xlsx"
        return _xlsx(request, sheet_xlsx(sheet), name, f"appraisal:{unit.pk}")
    return render(request, "dashboards/appraisal_sheet.html", {"nav": "appraisal", **sheet})
