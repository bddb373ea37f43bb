"""Pages of the hazards app: the 重大隐患 list and steps, the documents, the public notice list, the statistics
table and the 存量/新增 view, and the enterprise account's pages. Views parse, call one service or selector, render."""

from __future__ import annotations

import functools
import uuid
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from gridsafe.accounts.models import Unit, UnitKind
from gridsafe.cases.models import Attachment, AttachmentRole
from gridsafe.cases.permissions import cases_visible_to
from gridsafe.cases.services import attachment_add
from gridsafe.core import clock
from gridsafe.core.errors import DomainError, NotFound
from gridsafe.hazards import documents, services
from gridsafe.hazards.models import FIVE_PARTS, PLAN_PARTS, EnterpriseRecord, MajorHazard, SelfFinding, StopOrder
from gridsafe.hazards.permissions import (
    can_act_major,
    can_see_findings,
    can_see_hazard_list,
    can_see_statistics,
    enterprise_id_of,
    get_major_hazard_for_user,
    is_enterprise,
    major_hazards_visible_to,
    reported_findings_visible_to,
)
from gridsafe.hazards.selectors import checklist_for_place
from gridsafe.hazards.statistics import Period, render_xlsx, statistics_table, stock_and_new
from gridsafe.hazards.transitions import MajorAction, MajorState
from gridsafe.places.models import Place


def _guard(check):
    def wrap(view):
        @functools.wraps(view)
        @login_required
        def inner(request, *args, **kwargs):
            if not check(request.user):
                raise Http404("未找到页面")
            try:
                return view(request, *args, **kwargs)
            except NotFound as error:
                raise Http404(str(error)) from None

        return inner

    return wrap


def _request_id(request: HttpRequest) -> uuid.UUID:
    try:
        return uuid.UUID(request.POST.get("request_id", ""))
    except ValueError:
        return uuid.uuid4()


def _files(request: HttpRequest, case, role: str = AttachmentRole.DOCUMENT) -> list[int]:
    ids = []
    for upload in request.FILES.getlist("files"):
        attachment, _created = attachment_add(
            case=case, actor=request.user, client_id=uuid.uuid4(), upload=upload, role=role
        )
        ids.append(attachment.pk)
    return ids


# ---------------------------------------------------------------- 重大隐患 (departments, centres, leaders)


@_guard(can_see_hazard_list)
def hazard_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    hazards = major_hazards_visible_to(request.user).select_related("case__category", "case__region", "case__place")
    if state in MajorState.values:
        hazards = hazards.filter(state=state)
    return render(request, "hazards/list.html", {"hazards": hazards[:300], "states": MajorState.choices,
                                                 "state": state, "nav": "major_hazards"})  # fmt: skip


STEP_FORMS = {
    MajorAction.LIST: "挂牌督办",
    MajorAction.PLAN: "治理方案",
    MajorAction.STOP: "停产停用",
    MajorAction.PROGRESS: "进展报告",
    MajorAction.FIVE: "五落实",
    MajorAction.EVALUATE: "评估",
}


def _detail_context(request: HttpRequest, hazard: MajorHazard, message: str = "", error: str = "") -> dict:
    events = list(hazard.events.all())
    done = {e.action for e in events}
    from gridsafe.hazards.transitions import next_state

    steps = [
        (action, label) for action, label in STEP_FORMS.items()
        if next_state(hazard.state, action) is not None and can_act_major(request.user, hazard, action)
    ]  # fmt: skip
    files = {a.pk: a for a in Attachment.objects.filter(case=hazard.case, role=AttachmentRole.DOCUMENT)}
    timeline = [(e, [files[i] for i in e.payload.get("attachment_ids", []) if i in files]) for e in events]
    return {
        "hazard": hazard,
        "case": hazard.case,
        "timeline": timeline,
        "steps": steps,
        "plan_parts": PLAN_PARTS,
        "five_parts": FIVE_PARTS,
        "stop_orders": StopOrder.choices,
        "documents": documents.available(hazard, done),
        "units": Unit.objects.filter(is_active=True, kind__in=[UnitKind.DEPARTMENT, UnitKind.LEADERSHIP]),
        "message": message,
        "error": error,
        "request_id": uuid.uuid4(),
        "nav": "major_hazards" if not is_enterprise(request.user) else "enterprise",
        "closing": hazard.state == MajorState.EVALUATED and can_act_major(request.user, hazard, MajorAction.CLOSE),
    }


@login_required
def hazard_detail(request: HttpRequest, hazard_id: int) -> HttpResponse:
    try:
        hazard = get_major_hazard_for_user(request.user, hazard_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    return render(request, "hazards/detail.html", _detail_context(request, hazard))


def _date_of(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@login_required
@require_POST
def hazard_step(request: HttpRequest, hazard_id: int, action: str) -> HttpResponse:
    """One step of the process through its service; errors come back on the page, nothing typed is lost."""
    try:
        hazard = get_major_hazard_for_user(request.user, hazard_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    if action not in STEP_FORMS:
        raise Http404("未知的操作")
    post = request.POST
    common = {"hazard": hazard, "actor": request.user, "request_id": _request_id(request)}
    try:
        common["expected_version"] = int(post.get("version", ""))
    except ValueError:
        common["expected_version"] = -1
    try:
        if action == MajorAction.LIST:
            lead = post.get("lead_unit") or None
            services.major_hazard_list(
                **common, supervising_body=post.get("supervising_body", ""), public_title=post.get("public_title", ""),
                rectify_by=_date_of(post.get("rectify_by", "")), lead_unit_id=int(lead) if lead else None,
            )  # fmt: skip
        elif action == MajorAction.PLAN:
            services.major_hazard_plan(
                **common, plan={k: post.get(f"plan_{k}", "") for k, _ in PLAN_PARTS}, funds_wan=post.get("funds_wan")
            )
        elif action == MajorAction.STOP:
            services.major_hazard_stop(**common, order=post.get("order", ""), scope=post.get("scope", ""))
        elif action == MajorAction.FIVE:
            services.major_hazard_five(**common, five={k: post.get(f"five_{k}", "") for k, _ in FIVE_PARTS})
        elif action == MajorAction.PROGRESS:
            percent = post.get("percent") or None
            services.major_hazard_progress(
                **common, text=post.get("text", ""), attachment_ids=_files(request, hazard.case),
                percent=int(percent) if percent and percent.isdigit() else None,
            )  # fmt: skip
        elif action == MajorAction.EVALUATE:
            services.major_hazard_evaluate(
                **common, evaluator=post.get("evaluator", ""), conclusion=post.get("conclusion", ""),
                attachment_ids=_files(request, hazard.case),
            )  # fmt: skip
    except DomainError as error:
        fresh = get_major_hazard_for_user(request.user, hazard_id)
        context = _detail_context(request, fresh, error=error.args[0] if error.args else str(error))
        context["posted"] = post
        return render(request, "hazards/detail.html", context, status=error.status)
    return redirect("hazards:detail", hazard_id=hazard.pk)


@login_required
@require_POST
def hazard_open(request: HttpRequest, case_id: int) -> HttpResponse:
    case = cases_visible_to(request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404("未找到该隐患")
    try:
        hazard = services.major_hazard_open(
            case=case, actor=request.user, basis=request.POST.get("basis", ""), request_id=_request_id(request)
        )
    except DomainError as error:
        return HttpResponse(str(error.args[0] if error.args else error), status=error.status)
    return redirect("hazards:detail", hazard_id=hazard.pk)


@login_required
def hazard_document(request: HttpRequest, hazard_id: int, kind: str) -> HttpResponse:
    try:
        hazard = get_major_hazard_for_user(request.user, hazard_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    events = list(hazard.events.all())
    if kind not in dict(documents.available(hazard, {e.action for e in events})):
        raise Http404("该文书尚未生成")
    body = documents.render_docx(hazard, kind, events)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = f"attachment; filename=major-{hazard.pk}-{kind}.docx"
    return response


def public_list(request: HttpRequest) -> HttpResponse:
    """重大事故隐患挂牌督办公示 — anonymous. Only what the county publishes: 文号, the published title, township,
    unit (an enterprise's name, never a person's), supervising body, deadline, state. No contacts, no reporter."""
    hazards = (
        MajorHazard.objects.published()
        .select_related("case__region", "case__place__enterprise", "case__domain")
        .order_by("-listed_at", "-id")[:500]
    )
    rows = []
    for h in hazards:
        place = h.case.place
        rows.append({
            "notice_no": h.notice_no, "title": h.public_title, "domain": h.case.domain.name,
            "region": h.case.region.name.split("网格")[0] if h.case.region_id else "",
            "unit": place.enterprise.name if place is not None and place.enterprise_id else "",
            "body": h.supervising_body, "listed_at": h.listed_at, "rectify_by": h.rectify_by,
            "state": h.get_state_display(), "closed_at": h.closed_at, "closed": h.state == MajorState.CLOSED,
        })  # fmt: skip
    return render(request, "hazards/public.html", {"rows": rows})


def _period(request: HttpRequest) -> Period:
    today = timezone.localdate(clock.now())
    try:
        year = int(request.GET.get("year", today.year))
        quarter = request.GET.get("quarter", str((today.month - 1) // 3 + 1))
        q = int(quarter) if quarter not in ("", "year") else None
    except ValueError:
        raise Http404("统计期间无效") from None
    if not 2000 <= year <= 2100 or (q is not None and q not in (1, 2, 3, 4)):
        raise Http404("统计期间无效")
    return Period(year, q)


@_guard(can_see_statistics)
def statistics(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    data = statistics_table(request.user, period)
    if request.GET.get("format") == "xlsx":
        unit = request.user.unit.name if request.user.unit_id else "仙游县"
        response = HttpResponse(
            render_xlsx(data, unit=unit),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f"attachment; filename=hazard-statistics-{period.year}-{period.quarter or 'year'}.xlsx"
        )
        return response
    return render(request, "hazards/statistics.html", {"data": data, "period": period, "nav": "hazard_stats",
                                                       "years": range(period.year - 2, period.year + 1)})  # fmt: skip


@_guard(can_see_statistics)
def stock(request: HttpRequest) -> HttpResponse:
    year = _period(request).year
    data = stock_and_new(request.user, year, now=clock.now())
    return render(request, "hazards/stock.html", {"data": data, "nav": "hazard_stock"})


# ---------------------------------------------------------------- the enterprise's pages (双重预防)


def _own_places(user):
    return Place.objects.filter(enterprise_id=enterprise_id_of(user), is_active=True).select_related("domain")


@_guard(is_enterprise)
def enterprise_home(request: HttpRequest) -> HttpResponse:
    ent = enterprise_id_of(request.user)
    cases = cases_visible_to(request.user).select_related("category", "place").order_by("-created_at")[:100]
    findings = SelfFinding.objects.filter(inspection__enterprise_id=ent).select_related("place")[:100]
    majors = major_hazards_visible_to(request.user)
    return render(request, "hazards/enterprise_home.html", {
        "enterprise": request.user.enterprise, "places": _own_places(request.user), "cases": cases,
        "findings": findings, "majors": majors, "nav": "enterprise",
        "inspections": request.user.enterprise.self_inspections.select_related("place")[:20],
    })  # fmt: skip


@_guard(is_enterprise)
def enterprise_inspect(request: HttpRequest, place_id: int) -> HttpResponse:
    place = _own_places(request.user).filter(pk=place_id).first()
    if place is None:
        raise Http404("未找到该监管对象")
    template = checklist_for_place(place)
    items = template.items_for(place.kind) if template is not None else []
    error = ""
    if request.method == "POST" and template is not None:
        answers = [
            {"code": item.code, "answer": request.POST.get(f"answer_{item.code}", ""),
             "note": request.POST.get(f"note_{item.code}", "")}
            for item in items
        ]  # fmt: skip
        try:
            client_id = uuid.UUID(request.POST.get("client_id", ""))
        except ValueError:
            client_id = uuid.uuid4()
        try:
            services.self_inspection_record(
                actor=request.user, client_id=client_id, place=place, template_id=template.pk, answers=answers,
                report_codes=request.POST.getlist("report"),
            )  # fmt: skip
        except DomainError as exc:
            error = exc.args[0] if exc.args else str(exc)
        else:
            return redirect("hazards:enterprise")
    return render(request, "hazards/enterprise_inspect.html", {
        "place": place, "template": template, "items": items, "error": error, "client_id": uuid.uuid4(),
        "posted": request.POST if request.method == "POST" else {}, "nav": "enterprise",
    }, status=422 if error else 200)  # fmt: skip


@_guard(is_enterprise)
@require_POST
def enterprise_finding_rectify(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = SelfFinding.objects.filter(
        pk=finding_id, inspection__enterprise_id=enterprise_id_of(request.user)
    ).first()
    if finding is None:
        raise Http404("未找到该隐患")
    try:
        version = int(request.POST.get("version", "0"))
        services.self_finding_rectify(actor=request.user, finding=finding, expected_version=version,
                                      text=request.POST.get("text", ""))  # fmt: skip
    except (DomainError, ValueError) as exc:
        return HttpResponse(str(exc.args[0] if exc.args else exc), status=getattr(exc, "status", 422))
    return redirect("hazards:enterprise")


@_guard(is_enterprise)
def enterprise_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """One of the enterprise's cases: what it is, what the enterprise recorded; evidence upload while open."""
    case = cases_visible_to(request.user).select_related("category", "place").filter(pk=case_id).first()
    if case is None:
        raise Http404("未找到该隐患")
    error = ""
    if request.method == "POST":
        try:
            ids = _files(request, case, role=AttachmentRole.AFTER)
            services.enterprise_evidence_add(
                actor=request.user, case=case, request_id=_request_id(request), text=request.POST.get("text", ""),
                attachment_ids=ids,
            )  # fmt: skip
        except DomainError as exc:
            error = exc.args[0] if exc.args else str(exc)
        else:
            return redirect("hazards:enterprise_case", case_id=case.pk)
    major = MajorHazard.objects.filter(case=case).first()
    return render(request, "hazards/enterprise_case.html", {
        "case": case, "records": EnterpriseRecord.objects.filter(case=case), "major": major, "error": error,
        "request_id": uuid.uuid4(), "nav": "enterprise",
    }, status=422 if error else 200)  # fmt: skip


# ---------------------------------------------------------------- 企业自报隐患 for stations and centres


@_guard(can_see_findings)
def findings(request: HttpRequest) -> HttpResponse:
    """What enterprises reported from their self-inspections in the user's 辖区; open ones can be registered."""
    rows = reported_findings_visible_to(request.user).select_related("place", "inspection", "case").order_by("-id")
    return render(request, "hazards/findings.html", {"findings": rows[:200], "nav": "enterprise_findings"})


@_guard(can_see_findings)
@require_POST
def finding_register(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = reported_findings_visible_to(request.user).select_related("place", "inspection").filter(pk=finding_id)
    row = finding.first()
    if row is None:
        raise Http404("未找到该隐患")
    try:
        case = services.self_finding_register(actor=request.user, finding=row)
    except DomainError as exc:
        return HttpResponse(str(exc.args[0] if exc.args else exc), status=exc.status)
    return redirect("web:case_detail", case_id=case.pk)
