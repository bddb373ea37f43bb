"""The command-centre pages: parse, call one service or selector, render. htmx requests get partials; every
action posts to `case_action`, which calls the same service as the API (`ACTION_SERVICES`). (Over 600 lines: thin
views, one per page, each a few lines; a split by page would add files, not clarity.)"""

import functools
import io
import uuid
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST

from gridsafe.accounts.forms import LoginForm
from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.accounts.routing import default_department_id
from gridsafe.cases.models import Attachment, AttachmentRole, Case, Level, Light, PartState, SupervisionLevel
from gridsafe.cases.permissions import allowed_actions, cases_visible_to, get_case_for_action, get_case_for_user
from gridsafe.cases.selectors import case_timeline
from gridsafe.cases.services import ACTION_SERVICES, attachment_add
from gridsafe.cases.timeline import event_detail
from gridsafe.cases.transitions import Action, State, state_text
from gridsafe.catalog.calendar import DAYS, MINUTES, WORK_HOURS, current_calendar
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import Step
from gridsafe.core import clock
from gridsafe.core.errors import CaseNotFound, DomainError, RateLimited, StaleVersion
from gridsafe.core.http import client_ip
from gridsafe.core.jobs import job_start
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.core.ratelimit import ratelimit_request
from gridsafe.notifications.models import Notification, NotificationKind
from gridsafe.notifications.services import inbox_catch_up
from gridsafe.places.models import Place
from gridsafe.regions.basemap import basemap_json, with_basemap
from gridsafe.regions.coords import LocationFlag
from gridsafe.web import exports
from gridsafe.web.exports import EXPORT_COLUMNS  # noqa: F401  (the columns' old home: tests read them here)
from gridsafe.web.forms import ACTION_FORMS, ActionForm, CaseFilterForm
from gridsafe.web.paging import CappedPaginator
from gridsafe.web.selectors import (
    QUEUES,
    for_rows,
    home_queues,
    home_urgent,
    nearby_open_cases,
)

PAGE_SIZE = 50
MORE_FILTERS = ("domain", "category", "closure", "grade", "source", "created_from", "created_to", "queue")
STALE_MESSAGE = "该隐患已被他人更新，请刷新后再操作"

# The order in which a case page offers actions: the next step of the loop first, flags and closures last.
ACTION_ORDER = [
    Action.SUPPLY_INFO,
    Action.START,
    Action.ASSIST_START,
    Action.ASSIST_REPORT,
    Action.SUBMIT,
    Action.VERIFY_PASS,
    Action.DISPATCH,
    Action.ESCALATE,
    Action.ASSIGN,
    Action.APPROVE_EXTENSION,
    Action.REJECT_EXTENSION,
    Action.RESUME,
    Action.REPLY_SUPERVISION,
    Action.VERIFY_FAIL,
    Action.RETURN,
    Action.REQUEST_EXTENSION,
    Action.SUSPEND,
    Action.SUPERVISE,
    Action.URGE,
    Action.MERGE,
    Action.TRANSFER,
    Action.VOID,
    Action.REOPEN,
    Action.REGRADE,
    Action.REQUEST_INFO,
    Action.CORRECT,
    Action.COMMENT,
]
PRIMARY_ACTIONS = {
    Action.START,
    Action.SUBMIT,
    Action.VERIFY_PASS,
    Action.DISPATCH,
    Action.ESCALATE,
    Action.ASSIGN,
    Action.SUPPLY_INFO,
    Action.ASSIST_START,
    Action.ASSIST_REPORT,
}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def login_required_page(view):
    """login_required, except that an htmx request gets HX-Redirect (a swapped-in login form would be nonsense)."""

    protected = login_required(view)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and is_htmx(request):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = (
                f"{settings.LOGIN_URL}?{urlencode({'next': request.headers.get('HX-Current-URL', '/')})}"
            )
            return response
        return protected(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- 登录 / 退出


class LoginView(auth_views.LoginView):
    """Django's LoginView with a Chinese template; every attempt is audited by the authentication backend."""

    form_class = LoginForm
    template_name = "web/login.html"
    redirect_authenticated_user = True
    next_page = "web:home"


class LogoutView(auth_views.LogoutView):
    next_page = "web:login"


# ---------------------------------------------------------------- 首页 / 待办

# Roles whose home is not the to-do list: a leader works from the cockpit, not from an overdue queue.
HOME_ELSEWHERE = {Role.LEADER: "dashboards:cockpit", Role.ENTERPRISE: "hazards:enterprise"}  # 企业: its own pages


@login_required_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """待办 — queues with counts (one aggregate query) and the cases that run out first (one query). A leader
    lands on the cockpit instead (key figures, red list, 督办: dashboards:cockpit)."""
    if request.user.role in HOME_ELSEWHERE and not is_htmx(request):
        return redirect(HOME_ELSEWHERE[request.user.role])
    now = clock.now()
    context = {
        "nav": "home",
        "queues": home_queues(request.user, now),
        "urgent": _rows(home_urgent(request.user, now=now), now),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "home-queues":
        return render(request, "web/partials/home_queues.html", context)
    return render(request, "web/home.html", context)


# ---------------------------------------------------------------- 隐患列表 and its exports


def _filter_form(request: HttpRequest) -> CaseFilterForm:
    return exports.filter_form(request.user, request.GET)


def _filtered(request: HttpRequest, form: CaseFilterForm):
    return exports.filtered_cases(request.user, form)


_label = exports.choice_label


def _rows(cases, now: datetime) -> list[dict]:
    """A list's rows with what their cells show worked out here, once: a template resolves each `row.case.x.y`
    lookup, filter and `{% url %}` through the engine per row, which was half of a 50-row page's CPU. A label is
    looked up once per value (a page has a handful of states, lights and levels, not 50)."""
    labels: dict[tuple, str] = {}

    def label(find, *args) -> str:
        key = (find, *args)
        if key not in labels:
            labels[key] = find(*args)
        return labels[key]

    rows = []
    for case in cases:
        light = case.light_at(now)
        created = timezone.localtime(case.created_at)
        rows.append(
            {
                "case": case,
                "url": reverse("web:case_detail", args=[case.pk]),
                "state_text": label(state_text, case.state, case.closure),
                "light": light,
                "light_text": label(_label, Light, light),
                "level_text": label(_label, Level, case.level),
                "due_text": timezone.localtime(case.due_at).strftime("%m-%d %H:%M") if case.due_at else "",
                "created_date": created.strftime("%Y-%m-%d"),
                "created_time": created.strftime("%H:%M"),
                "summary": Truncator(case.description).chars(48),
                "category_name": case.category.name,
                "region_name": case.region.name,
                "holder_name": case.holder_unit.name if case.holder_unit_id else "",
            }
        )
    return rows


@login_required_page
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """隐患列表 — filters, sort, 50 a page. Queries: auth, jurisdiction, regions/domains/categories for the form,
    one COUNT (capped: "10000+" beyond, see web.paging) and one page (joined to category, domain, region, units)
    whatever the number of rows."""
    form = _filter_form(request)
    qs = _filtered(request, form)
    page = CappedPaginator(for_rows(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    context = {
        "nav": "cases",
        "form": form,
        "page": page,
        "rows": _rows(page.object_list, now),
        "query": query,
        "queue": QUEUES.get(form.queue_key or ""),
        "more_open": any(form.cleaned_data.get(name) for name in MORE_FILTERS),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "case-results":
        return render(request, "web/partials/case_table.html", context)
    return render(request, "web/case_list.html", context)


@login_required_page
@require_GET
def case_export_xlsx(request: HttpRequest) -> HttpResponse:
    """导出 Excel at once — a small filtered list (up to GRIDSAFE_EXPORT_INLINE_ROWS rows) as a write-only workbook:
    one COUNT, one query for the rows with their 签收/处置/核查 times, one audit row with the filters and the count.
    A larger list is offered to the background (a page with the button that starts case_export_start)."""
    form = _filter_form(request)
    total = _filtered(request, form).count()
    if total > exports.inline_rows():
        context = {"nav": "cases", "total": total, "limit": exports.inline_rows(), "query": request.GET.urlencode()}
        return render(request, "web/download_start.html", context)
    buffer = io.BytesIO()
    rows = exports.export_cases(request.user, form).iterator(chunk_size=exports.CHUNK)
    count = exports.write_xlsx(buffer, rows, total=total)
    buffer.seek(0)
    exports.audit_export(user=request.user, form=form, fmt="xlsx", rows=count, ip=client_ip(request))
    return FileResponse(
        buffer, as_attachment=True, filename=exports.export_name("xlsx"), content_type=exports.XLSX_TYPE
    )


@login_required_page
@require_POST
def case_export_start(request: HttpRequest) -> HttpResponse:
    """导出 Excel in the background — the list's filters (the form posts the page's query string) become a job; the
    user watches its progress on the job's page, and finds the file under 我的下载."""
    data = QueryDict(request.POST.get("query", ""))
    job = job_start(
        user=request.user,
        kind="cases.xlsx",
        params={"query": exports.params_of(data)},
        ip=client_ip(request),
    )
    return redirect("web:download_detail", job_id=job.pk)


@login_required_page
@require_GET
def case_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """导出 CSV — UTF-8 with a BOM so that Excel opens the Chinese; streamed row by row. The audit row is written
    before streaming starts, with the row count from one COUNT query."""
    form = _filter_form(request)
    rows = exports.export_cases(request.user, form)
    count = min(_filtered(request, form).count(), exports.EXPORT_MAX_ROWS)
    exports.audit_export(user=request.user, form=form, fmt="csv", rows=count, ip=client_ip(request))
    response = StreamingHttpResponse(
        exports.csv_lines(rows.iterator(chunk_size=exports.CHUNK)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.export_name("csv")}"'
    return response


# ---------------------------------------------------------------- 隐患详情 and actions


def _case_or_404(user: User, case_id: int) -> Case:
    try:
        return get_case_for_user(user, case_id)
    except CaseNotFound:
        raise Http404("未找到该隐患") from None


def _time_left(case: Case, now: datetime) -> str:
    """剩余 x 工作时 / 已超时 x 工作时, on the working calendar; natural time for minute and day limits."""
    if case.due_at is None or case.state in (State.CLOSED, State.SUSPENDED):
        return ""
    if case.limit_unit in (MINUTES, DAYS):
        minutes = (case.due_at - now).total_seconds() / 60
        amount = abs(minutes)
        text = f"{amount:.0f} 分钟" if amount < 120 else f"{amount / 60:.1f} 小时".replace(".0 ", " ")
    else:
        hours = current_calendar().elapsed(now, case.due_at, WORK_HOURS)
        minutes = hours * 60
        text = f"{abs(hours):.1f}".rstrip("0").rstrip(".") + " 工作时"
    return f"剩余 {text}" if minutes >= 0 else f"已超时 {text}"


def _people(ids: set[int]) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("unit")}


def _action_forms(request: HttpRequest, case: Case, actions: list[str], bound: dict | None = None) -> list[dict]:
    """One small form per allowed action, each with a fresh request id (a double submit is then a repeat)."""
    forms = []
    for action in sorted(actions, key=ACTION_ORDER.index):
        form_class = ACTION_FORMS[action]
        extra = _form_extras(request.user, case, action)
        if bound and bound.get("action") == action:
            form = bound["form"]
        else:
            form = form_class(case=case, actor=request.user, auto_id=f"id_{action}_%s", **extra)
        forms.append(
            {
                "action": action,
                "label": Action(action).label,
                "form": form,
                "primary": action in PRIMARY_ACTIONS,
                "multipart": form_class.files_field is not None,
                "open": bool(bound and bound.get("action") == action),
            }
        )
    return forms


def _form_extras(user: User, case: Case, action: str) -> dict:
    """Choices some forms need: the unit's people for 交办, the departments of the actor's tier for 派遣."""
    if action == Action.ASSIGN:
        return {
            "handlers": list(
                User.objects.filter(unit_id=user.unit_id, is_active=True).exclude(pk=user.pk).select_related("unit")
            )
        }
    if action == Action.DISPATCH and user.unit_id:
        departments = list(
            Unit.objects.filter(kind=UnitKind.DEPARTMENT, region_id=user.unit.region_id, is_active=True).order_by(
                "code"
            )
        )
        default = default_department_id(
            region_path=case.region_path,
            level=case.level,
            domain_id=case.domain_id,
            category_department_id=case.category.department_id,
        )
        limit = limit_for(category_id=case.category_id, urgent=case.urgent or case.is_major, step=Step.HANDLE)
        default_due = current_calendar().deadlines(clock.now(), *limit)[1] if limit else None
        return {"departments": departments, "default_department": default, "default_due": default_due}
    if action == Action.REQUEST_INFO:
        workers = User.objects.filter(role=Role.GRID_WORKER, is_active=True, grids=case.region_id).order_by("pk")
        return {"workers": list(workers)}
    return {}


def _case_context(request: HttpRequest, case: Case, *, message: dict | None = None, bound: dict | None = None) -> dict:
    """Everything the case page shows. Fixed queries: attachments, events (with their unit), 督办 orders, people,
    nearby cases, place; plus the choices of the forms shown."""
    now = clock.now()
    attachments = list(case.attachments.all())
    by_event: dict[int, list[Attachment]] = {}
    for att in attachments:
        if att.event_id:
            by_event.setdefault(att.event_id, []).append(att)
    events = list(case_timeline(case).select_related("holder_unit"))
    timeline = [
        {
            "event": e,
            "from_text": _label(State, e.from_state),
            "to_text": state_text(e.to_state, case.closure if e.to_state == State.CLOSED else "") if e.to_state else "",
            "moved": e.from_state != e.to_state or e.from_level != e.to_level,
            "level_move": (
                f"{_label(Level, e.from_level)} → {_label(Level, e.to_level)}"
                if e.from_level and e.to_level and e.from_level != e.to_level
                else ""
            ),
            "detail": event_detail(e),
            "attachments": by_event.get(e.pk, []),
        }
        for e in events
    ]
    people = _people({case.handler_id, case.reporter_id, case.last_handler_id, case.with_worker_id})
    parts = (
        list(case.parts.exclude(state=PartState.WITHDRAWN).select_related("department")) if case.department_id else []
    )
    before = [a for a in attachments if a.role in (AttachmentRole.REPORT, AttachmentRole.BEFORE)]
    after = [a for a in attachments if a.role in (AttachmentRole.AFTER, AttachmentRole.VERIFICATION)]
    place = None
    if case.place_id:
        place = Place.objects.filter(pk=case.place_id).first()
    light = case.light_at(now)
    actions = allowed_actions(request.user, case)
    return {
        "nav": "cases",
        "case": case,
        "state_text": state_text(case.state, case.closure),
        "closure_text": case.get_closure_display() if case.closure else "",
        "light": light,
        "light_text": _label(Light, light),
        "time_left": _time_left(case, now),
        "grade_text": case.get_grade_display(),
        "level_text": case.get_level_display(),
        "source_text": case.get_source_display(),
        "supervision_text": _label(SupervisionLevel, case.supervision),
        "flags": [_label(LocationFlag, f) for f in case.location_flags or []],
        "handler": people.get(case.handler_id),
        "with_worker": people.get(case.with_worker_id) if case.with_worker_id else None,
        "clock_step": _label(Step, case.step) if case.step else "",
        "parts": parts,
        "caller_name": mask_name(case.caller_name),
        "caller_phone": mask_phone(case.caller_phone),
        "reporter": people.get(case.reporter_id),
        "before": before,
        "after": after,
        "timeline": timeline,
        "supervisions": [
            {"order": s, "label": _label(SupervisionLevel, s.level)}
            for s in case.supervisions.select_related("issued_unit", "target_unit")
        ],
        "nearby": nearby_open_cases(request.user, case),
        "place": place,
        "actions": _action_forms(request, case, actions, bound),
        "message": message,
        "map_geometry_id": f"case-grid-{case.pk}",
        "map": {
            "lon": case.lon,
            "lat": case.lat,
            "basemap": basemap_json(),
            "grid": case.region.geometry,
            "label": f"#{case.pk} {case.category.name}",
        },
    }


@login_required_page
@require_GET
@with_basemap
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request.user, case_id)
    if request.user.role == Role.ENTERPRISE:  # 企业: its own case page (no reporter, caller or staff actions)
        return redirect("hazards:enterprise_case", case_id=case.pk)
    return render(request, "web/case_detail.html", _case_context(request, case))


@login_required_page
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One action on one case through the same service as the API. Order: rate (per user, shared with the API's
    actions) → jurisdiction (404, audited) → form → stored photos → service (which checks repeat, permission, state,
    payload and version). Errors become a message: StaleVersion never overwrites, it asks the user to reload."""
    if action not in ACTION_FORMS or request.user.role == Role.ENTERPRISE:  # 企业 takes no staff action
        raise Http404("未知的操作")
    try:
        ratelimit_request(request, "case_action", settings.GRIDSAFE_ACTION_RATE)
    except RateLimited as error:
        return _rate_limited(request, case_id, action, error)
    case = _case_for_action(request, case_id, action)
    form_class = ACTION_FORMS[action]
    form = form_class(
        request.POST,
        request.FILES,
        case=case,
        actor=request.user,
        auto_id=f"id_{action}_%s",
        **_form_extras(request.user, case, action),
    )
    if not form.is_valid():
        errors = "；".join(
            f"{form.fields[name].label}：{error}" if name in form.fields else str(error)
            for name, field_errors in form.errors.items()
            for error in field_errors
        )
        return _action_failed(request, case, action, form, errors or "表单填写有误", status=422)
    try:
        kwargs = form.service_kwargs()
        if form_class.files_field:
            kwargs["attachment_ids"] = _store_photos(request, case, form)
        updated = ACTION_SERVICES[action](
            case=case,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            request_id=form.cleaned_data["request_id"],
            **kwargs,
        )
    except StaleVersion:
        return _action_failed(request, case, action, form, STALE_MESSAGE, status=409)
    except CaseNotFound:
        raise Http404("未找到该隐患") from None
    except DomainError as error:
        return _action_failed(request, case, action, form, error.detail, status=error.status)
    state = state_text(updated.state, updated.closure)
    message = {"level": "success", "text": f"已{Action(action).label}：#{updated.pk} 现为“{state}”"}
    try:
        fresh = get_case_for_user(request.user, updated.pk)
    except CaseNotFound:
        # The action took the case out of my 辖区 (a department's 回退 clears its dispatch): back to the inbox.
        fresh = None
    target = reverse("web:case_detail", args=[updated.pk]) + f"?done={action}" if fresh else reverse("web:home")
    if not is_htmx(request):
        response = HttpResponseRedirect(target)
        response.status_code = 303  # see other: the browser follows with a GET
        return response
    if fresh is None:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return render(request, "web/partials/case_body.html", _case_context(request, fresh, message=message))


def _rate_limited(request: HttpRequest, case_id: int, action: str, error: RateLimited) -> HttpResponse:
    """429 with Retry-After, as a message where the action's answer would go; a full page when not htmx (the case
    page, if the case is still mine to see)."""
    message = {"level": "error", "text": f"{error.detail}（约 {error.headers['Retry-After']} 秒后可再操作）"}
    if is_htmx(request):
        response = render(request, "web/partials/message.html", {"message": message}, status=429)
        response["HX-Retarget"] = f"#msg-{action}"
        response["HX-Reswap"] = "innerHTML"
    else:
        case = _case_for_action(request, case_id, action)
        response = render(request, "web/case_detail.html", _case_context(request, case, message=message), status=429)
    response["Retry-After"] = error.headers["Retry-After"]
    return response


def _case_for_action(request: HttpRequest, case_id: int, action: str) -> Case:
    """The case in my 辖区 (`get_case_for_action`): a double submit after the action took the case out of my view is
    404 like any other case I may not see. A 404 is audited there."""
    try:
        request_id = uuid.UUID(request.POST.get("request_id", ""))
    except ValueError:
        request_id = None  # no repeat to recognise (the form then fails), but an attempt all the same
    try:
        return get_case_for_action(request.user, case_id, action=action, request_id=request_id)
    except CaseNotFound:
        raise Http404("未找到该隐患") from None


def _store_photos(request: HttpRequest, case: Case, form: ActionForm) -> list[int]:
    """Store each uploaded file through `attachment_add`. The client id is derived from the form's request id, so a
    repeated submit stores nothing twice."""
    ids = []
    for index, upload in enumerate(form.cleaned_data.get(form.files_field) or []):
        client_id = uuid.uuid5(form.cleaned_data["request_id"], f"photo:{index}")
        attachment, _created = attachment_add(
            case=case, actor=request.user, client_id=client_id, upload=upload, role=form.files_role
        )
        ids.append(attachment.pk)
    return ids


def _action_failed(request, case: Case, action: str, form, text: str, *, status: int) -> HttpResponse:
    message = {"level": "error", "text": text, "stale": status == 409 and text == STALE_MESSAGE}
    if is_htmx(request):
        response = render(request, "web/partials/message.html", {"message": message}, status=status)
        response["HX-Retarget"] = f"#msg-{action}"
        response["HX-Reswap"] = "innerHTML"
        return response
    context = _case_context(request, case, message=message, bound={"action": action, "form": form})
    return render(request, "web/case_detail.html", context, status=status)


# ---------------------------------------------------------------- 消息


@login_required_page
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """My inbox, newest first, 30 a page; the case of each message is one click away."""
    inbox_catch_up(request.user)
    qs = Notification.objects.filter(user=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    gone = request.GET.get("gone", "")
    return render(
        request,
        "web/notifications.html",
        {
            "nav": "notifications",
            "page": page,
            "only_unread": only_unread,
            "unread": _unread(request.user),
            "gone_case": int(gone) if gone.isdigit() and len(gone) < 12 else None,
        },
    )


def _unread(user: User) -> int:
    """One indexed COUNT (notification_inbox: user, read_at, -created_at)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@login_required_page
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    Notification.objects.filter(pk=notification_id, user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return _back_to_inbox(request)


@login_required_page
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    inbox_catch_up(request.user)  # "all" is what the badge counted, the desk's newest included
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return _back_to_inbox(request)


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("web:notifications")


@login_required_page
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open a message: mark it read and go to its case (or the inbox)."""
    note = Notification.objects.filter(pk=notification_id, user=request.user).first()
    if note is None:
        raise Http404("未找到该消息")
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    if note.case_id:
        # A case that left the user's 辖区 since (a department's 回退, a 协办 part withdrawn, a re-route) would be a
        # 404: the inbox says so instead.
        if cases_visible_to(request.user).filter(pk=note.case_id).exists():
            return redirect("web:case_detail", case_id=note.case_id)
        return redirect(f"{reverse('web:notifications')}?gone={note.case_id}")
    if note.kind == NotificationKind.DOWNLOAD:
        return redirect("web:downloads")
    return redirect("web:notifications")


@require_GET
def notification_poll(request: HttpRequest) -> HttpResponse:
    """The nav badge, polled every 15 s: the desk's catch-up (its cursor and one INSERT … SELECT) and one indexed
    COUNT. When the count grew since the last poll, a toast with the newest title is added out of band (one more
    query) and `gridsafe:notified` is triggered so that open queues refresh themselves."""
    if not request.user.is_authenticated:
        response = HttpResponse(status=286)  # htmx: stop polling
        return response
    inbox_catch_up(request.user)
    count = _unread(request.user)
    try:
        seen = int(request.GET.get("seen", "-1"))
    except ValueError:
        seen = -1
    latest = None
    if 0 <= seen < count:
        latest = (
            Notification.objects.filter(user=request.user, read_at__isnull=True).order_by("-created_at", "-id").first()
        )
    response = render(
        request, "web/partials/nav_badge.html", {"unread": count, "latest": latest, "new": count - max(seen, 0)}
    )
    if latest is not None:
        response["HX-Trigger"] = "gridsafe:notified"
    return response
