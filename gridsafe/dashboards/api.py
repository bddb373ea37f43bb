"""GET /api/v1/stats/…: KPIs, rankings, trends, red lists, drill-down and the big-screen feed. Thin: parse, check
the node is in the user's 辖区 (404 otherwise), call one selector."""

from ninja import Query, Router, Schema
from ninja.security import django_auth

from gridsafe.api_auth import BearerAuth
from gridsafe.cases.models import Case
from gridsafe.cases.permissions import cases_visible_to
from gridsafe.core import clock
from gridsafe.core.input import Id, InputSchema, QueryDay
from gridsafe.core.paging import page_window
from gridsafe.core.problem import Problem
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.access import (
    departments_visible_at,
    visible_department,
    visible_region,
    visible_worker,
    workers_in,
)
from gridsafe.dashboards.bulletins import bulletins_visible_to
from gridsafe.dashboards.display import display_auth, display_jurisdiction, display_region
from gridsafe.dashboards.drill import cases_page, drill_case_ids, metric_label
from gridsafe.dashboards.inforeports import report_status
from gridsafe.dashboards.inspections import compliance, default_window
from gridsafe.dashboards.models import Scope
from gridsafe.dashboards.periods import parse_period
from gridsafe.dashboards.screen import region_features, screen_feed

router = Router(tags=["stats"])
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem}


class PeriodQuery(InputSchema):
    period: str | None = None  # 2026-11 · 2026-Q3 · 2026 · 2026-01-05..2026-02-10 · all (default: this month)
    start: QueryDay | None = None
    end: QueryDay | None = None
    domain: str | None = None  # a domain (module) code: only that module


class NodeQuery(PeriodQuery):
    node: str | None = None  # region code; default: the user's own node


class ReportOut(Schema):
    """One unit's figures. `counts`, `gauges`, `flows` map names to numbers and `kpis` codes to {value (percent or
    null), num, den}; `labels` names them once. `drill` + a metric name is the URL of the cases behind a figure:
    the count's own name, now%3A<gauge>, or a KPI's labels.metrics[code].num / .den. `domains` and `children`
    are entries of the same shape (without labels)."""

    code: str
    name: str
    level: int | None = None
    period: dict
    counts: dict[str, int]
    gauges: dict[str, int]
    kpis: dict[str, dict]
    flows: dict[str, int]
    drill: str
    score: float | None
    grade: str
    grade_label: str
    terms: list[dict]
    labels: dict
    domains: list[dict]
    children: list[dict] = []


class RankingOut(Schema):
    node: str
    period: dict
    rows: list[dict]


def _period(q: PeriodQuery):
    return parse_period(q.period, start=q.start, end=q.end)


def _period_dict(period) -> dict:
    return {"key": period.key, "label": period.label, "start": period.start, "end": period.end}


@router.get("/kpis", response={200: ReportOut, **ERRORS}, operation_id="region_report")
def region_kpis(request, q: Query[NodeQuery]):
    """KPIs of a region node (county, township, village or grid) with its modules and the ranking below it."""
    region = visible_region(request.user, q.node)
    return sel.region_report(region, _period(q), domain_code=q.domain)


@router.get("/departments", response={200: RankingOut, **ERRORS}, operation_id="departments_for_region")
def department_ranking(request, q: Query[NodeQuery]):
    """Ranking of the departments of a node (county departments at the county, 安监站/村建站 at a township)."""
    region = visible_region(request.user, q.node)
    period = _period(q)
    units = list(departments_visible_at(region))
    return {
        "node": region.code,
        "period": _period_dict(period),
        "rows": sel.department_rows(units, period, domain_code=q.domain),
    }


@router.get("/departments/{unit_id}", response={200: ReportOut, **ERRORS}, operation_id="department_report")
def department_kpis(request, unit_id: Id, q: Query[PeriodQuery]):
    unit = visible_department(request.user, unit_id)
    return sel.department_report(unit, _period(q), domain_code=q.domain)


@router.get("/workers", response={200: RankingOut, **ERRORS}, operation_id="workers_for_region")
def worker_ranking(request, q: Query[NodeQuery]):
    """网格员 composite scores for the grid workers of a node."""
    region = visible_region(request.user, q.node)
    period = _period(q)
    return {
        "node": region.code,
        "period": _period_dict(period),
        "rows": sel.worker_rows(list(workers_in(region)[:500]), period),
    }


@router.get("/workers/{user_id}", response={200: dict, **ERRORS}, operation_id="worker_report")
def worker_kpis(request, user_id: Id, q: Query[PeriodQuery]):
    worker = visible_worker(request.user, user_id)
    period = _period(q)
    return {"period": _period_dict(period), **sel.worker_rows([worker], period)[0]}


class TrendQuery(InputSchema):
    node: str | None = None
    unit: int | None = None
    months: int = 12
    days: int = 30


@router.get("/trend", response={200: dict, **ERRORS}, operation_id="trend")
def trend(request, q: Query[TrendQuery]):
    """Monthly cohort series (reported, handled, resolved, 处置率) and daily flows, for a node or a department."""
    if q.unit is not None:
        unit = visible_department(request.user, q.unit)
        scope, node = Scope.UNIT, unit.pk
    else:
        region = visible_region(request.user, q.node)
        scope, node = Scope.REGION, int(region.code)
    return sel.trend(scope, node, months=max(1, min(q.months, 36)), days=max(1, min(q.days, 92)))


class WatchQuery(InputSchema):
    node: str | None = None
    unit: int | None = None
    kind: str = "overdue"  # overdue | supervised
    limit: int = 20


@router.get("/watched", response={200: list[dict], **ERRORS}, operation_id="watched_cases")
def watched(request, q: Query[WatchQuery]):
    """Open cases overdue now, or under 督办 (red cards first): the red lists of a node or a department."""
    limit, _ = page_window(q.limit, 0, max_limit=200)
    if q.unit is not None:
        unit = visible_department(request.user, q.unit)
        cases = sel.watched_cases(department=unit.pk, kind=q.kind, limit=limit)
    else:
        region = visible_region(request.user, q.node)
        cases = sel.watched_cases(path=region.path, kind=q.kind, limit=limit)
    now = clock.now()
    return [sel.case_row(c, now) for c in cases]


class DrillQuery(InputSchema):
    scope: str = "r"
    node: int
    metric: str
    period: str | None = None
    start: QueryDay | None = None
    end: QueryDay | None = None
    domain: str | None = None
    page: int = 1


@router.get("/drill", response={200: dict, **ERRORS}, operation_id="drill_cases")
def drill(request, q: Query[DrillQuery]):
    """The cases behind a figure: the same predicate as the rollup counter, on the cases the user may see."""
    period = parse_period(q.period, start=q.start, end=q.end)
    ids = drill_case_ids(request.user, scope=q.scope, node=q.node, period=period, metric=q.metric, domain=q.domain)
    size = 50
    page = max(1, q.page)
    now = clock.now()
    return {
        "metric": q.metric,
        "label": metric_label(q.metric),
        "period": _period_dict(period),
        "count": len(ids),
        "page": page,
        "cases": [sel.case_row(c, now) for c in cases_page(ids[(page - 1) * size : page * size])],
    }


class ScreenQuery(InputSchema):
    node: str | None = None


# The two screen feeds also answer a big-screen display session (dashboards.display), scoped to its region.
SCREEN_AUTH = [BearerAuth(), django_auth, display_auth]


def _screen_scope(request, node: str | None):
    """(region, visible cases) for a person (their 辖区) or a display session (its region's subtree)."""
    display = getattr(request, "display", None)
    if display is not None and not request.user.is_authenticated:
        return display_region(display, node), Case.objects.filter(display_jurisdiction(display).q())
    return visible_region(request.user, node), cases_visible_to(request.user)


@router.get("/screen", response={200: dict, **ERRORS}, operation_id="screen_feed", auth=SCREEN_AUTH)
def screen(request, q: Query[ScreenQuery]):
    """The big screen's feed, polled every 30 s: counters, modules, trend, ranking, latest reports, live cases.
    A poll: it does not extend a person's session (send `X-GridSafe-Poll: 1`)."""
    region, visible = _screen_scope(request, q.node)
    return screen_feed(region, visible=visible)


@router.get("/screen/regions", response={200: dict, **ERRORS}, operation_id="screen_regions", auth=SCREEN_AUTH)
def screen_regions(request, q: Query[ScreenQuery]):
    """GeoJSON of the node's children (and the node) for the big-screen map. Fetched once per page load."""
    region, _visible = _screen_scope(request, q.node)
    return region_features(region)


class ComplianceQuery(InputSchema):
    node: str | None = None
    start: QueryDay | None = None
    end: QueryDay | None = None


@router.get("/inspections/compliance", response={200: dict, **ERRORS}, operation_id="inspection_compliance")
def inspection_compliance(request, q: Query[ComplianceQuery]):
    """Leaders' inspection and meeting cadence in the node's subtree: every missed period is listed."""
    region = visible_region(request.user, q.node)
    start, end = default_window(q.start, q.end)
    return compliance(region, start, end)


class MonthQuery(InputSchema):
    node: str | None = None
    month: str | None = None  # 2026-11; default this month


@router.get("/reports/shortfall", response={200: dict, **ERRORS}, operation_id="report_shortfall")
def report_shortfall(request, q: Query[MonthQuery]):
    """信息材料: each responsible unit of the node's subtree, how many it sent this month, and who is short."""
    region = visible_region(request.user, q.node)
    return report_status(region, parse_period(q.month or None))


@router.get("/bulletins", response={200: list[dict], **ERRORS}, operation_id="bulletin_list")
def bulletin_list(request):
    """通报 and 督导 reports the user may read: those of the county (or township) the user's unit belongs to."""
    return [
        {
            "id": b.pk,
            "kind": b.kind,
            "title": b.title,
            "period_start": b.period_start,
            "period_end": b.period_end,
            "generated_at": b.generated_at,
            "docx_url": f"/bulletins/{b.pk}/docx/",
            "xlsx_url": f"/bulletins/{b.pk}/xlsx/",
        }
        for b in bulletins_visible_to(request.user)[:100]
    ]
