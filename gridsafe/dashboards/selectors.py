"""Reads with a shape: KPI reports per region node, department and grid worker, rankings of the units below,
trends, red lists and the drill-down behind every figure. Dashboards read only rollups (StatCell, StatGauge,
WatchedCase); only the drill-down and the latest-reports list read the case table, one page at a time.

Query cost of a region report: the children (1), their grid counts (1), domains (1), weights (1), the cells of the
node and its children for the period (1) and their gauges (1), whatever the number of cases."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Q, Sum

from gridsafe.accounts.models import Unit, User
from gridsafe.cases.transitions import State, state_text
from gridsafe.catalog.categories import active_domains
from gridsafe.core.cache import VersionedCache
from gridsafe.core.errors import ValidationFailed
from gridsafe.dashboards import config
from gridsafe.dashboards.access import departments_visible_at, workers_in
from gridsafe.dashboards.kpis import GRADE_LABELS, KPIS, composite, grade_capped, has_activity, kpi_values, valid
from gridsafe.dashboards.models import (
    CELL_COUNTERS,
    FLOW_COUNTERS,
    GAUGES,
    Grain,
    Scope,
    StatCell,
    StatGauge,
    WatchedCase,
)
from gridsafe.dashboards.patrols import worker_patrol_weeks
from gridsafe.dashboards.periods import Period, month_period, today
from gridsafe.regions.cities import city_counties, subtree_q
from gridsafe.regions.models import Region, RegionLevel

# A region's level, and the level of its children (ranked under it), by the catalogue's names.
LEVEL_NAMES = {level.value: level.label for level in RegionLevel}
CHILD_NAMES = {level.value: (RegionLevel(level + 1).label if level < RegionLevel.GRID else "") for level in RegionLevel}


@dataclass(frozen=True)
class DomainInfo:
    id: int
    code: str
    name: str


def domains() -> list[DomainInfo]:
    """The active domains, in their order, from the catalogue's cache (catalog.categories): no query when warm."""
    return [DomainInfo(*row) for row in active_domains()]


def _period_q(period: Period) -> Q:
    if period.start is None or period.end is None:
        return Q(grain=Grain.MONTH)
    months, days = period.slices()
    q = Q(pk__in=[])
    if months:
        q |= Q(grain=Grain.MONTH, period__in=months)
    for first, last in days:
        q |= Q(grain=Grain.DAY, period__gte=first, period__lte=last)
    return q


_SUMS_SQL = ", ".join(f"CAST(SUM({c}) AS BIGINT)" for c in CELL_COUNTERS)


def cell_sums(scope: str, nodes: list[int], period: Period, *, domain: int | None = None) -> dict[int, dict]:
    """{node: {domain id: tuple of sums in CELL_COUNTERS order}} for the period. One query: (scope, node IN …) and the period's
    month rows plus the day rows at its ragged ends, summed by node and domain. Plain SQL, because this is the
    hot path of every dashboard and the ORM spends longer building 39 SUM()s than PostgreSQL spends on them."""
    if not nodes:
        return {}
    where = ["scope = %s", f"node IN ({', '.join(['%s'] * len(nodes))})"]
    params: list = [scope, *nodes]
    if period.start is None or period.end is None:
        where.append("grain = 'm'")
    else:
        months, days = period.slices()
        parts = []
        if months:
            parts.append(f"(grain = 'm' AND period IN ({', '.join(['%s'] * len(months))}))")
            params += months
        for first, last in days:
            parts.append("(grain = 'd' AND period BETWEEN %s AND %s)")
            params += [first, last]
        where.append("(" + " OR ".join(parts) + ")")
    if domain is not None:
        where.append("domain = %s")
        params.append(domain)
    sql = (
        f"SELECT node, domain, {_SUMS_SQL} FROM {StatCell._meta.db_table} "
        f"WHERE {' AND '.join(where)} GROUP BY node, domain"
    )
    out: dict[int, dict] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            out[row[0]][row[1]] = row[2:]
    return out


def gauge_sums(scope: str, nodes: list[int], *, domain: int | None = None) -> dict[int, dict]:
    """{node: {domain id: tuple of GAUGES}}: what is open now. One query."""
    if not nodes:
        return {}
    sql = (
        f"SELECT node, domain, {', '.join(GAUGES)} FROM {StatGauge._meta.db_table} "
        f"WHERE scope = %s AND node IN ({', '.join(['%s'] * len(nodes))})"
    )
    params: list = [scope, *nodes]
    if domain is not None:
        sql += " AND domain = %s"
        params.append(domain)
    out: dict[int, dict] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            out[row[0]][row[1]] = row[2:]
    return out


def _total(by_domain: dict, names: tuple[str, ...] = CELL_COUNTERS) -> dict:
    """{name: sum over the domains} from the tuples of cell_sums or gauge_sums."""
    rows = list(by_domain.values())
    if not rows:
        return {}
    values = rows[0] if len(rows) == 1 else [sum(column) for column in zip(*rows, strict=True)]
    return dict(zip(names, values, strict=True))


def _named(row: tuple | None, names: tuple[str, ...] = CELL_COUNTERS) -> dict:
    return dict(zip(names, row, strict=True)) if row else {}


# ---------------------------------------------------------------- drill-down links


def drill_base(*, scope: str, node: int, period: Period, domain: str | None = None) -> str:
    params = {"scope": scope, "node": node, "period": period.key}
    if domain:
        params["domain"] = domain
    return "/dashboards/drill/?" + urlencode(params) + "&metric="


def drill_url(*, scope: str, node: int, period: Period, metric: str, domain: str | None = None) -> str:
    return drill_base(scope=scope, node=node, period=period, domain=domain) + _quote_metric(metric)


def _quote_metric(metric: str) -> str:
    """Metric names are [a-z_] joined by + and -, or now:<gauge>; only + and : need escaping in a query."""
    return metric.replace("+", "%2B").replace(":", "%3A")


COUNT_LABELS = {
    "reported": "上报数",
    "valid": "应处置数",
    "handled": "处置数",
    "handled_on_time": "按期处置数",
    "overdue_unhandled": "超期未处置数",
    "resolved": "结案数(已整改销号)",
    "closed_on_time": "按期结案数",
    "overdue_unclosed": "超期未结案数",
    "invalid": "作废",
    "duplicate": "并单",
    "transferred": "移交",
    "suspended": "挂账",
    "reworks": "返工次数",
    "major": "重大隐患",
    "major_resolved": "重大隐患销号",
    "src_grid_worker": "网格员上报",
    "src_patrol": "巡查发现",
    "src_hotline": "12345热线",
    "src_video": "视频发现",
    "src_department": "部门检查",
    "src_leader": "领导交办",
    "src_walk_in": "群众来访",
    "src_citizen": "群众上报",
}
# Open cases by state are named by the state itself (the catalogue's label, as on every page and export).
GAUGE_LABELS = {
    **{f"open_{state.value}": state.label for state in State if state != State.CLOSED},
    "overdue": "超期",
    "supervised": "督办中",
    "red_cards": "红牌",
    "major_open": "重大隐患在办",
}
_QUOTED = {k.code: (_quote_metric(k.num_metric), _quote_metric(k.den_metric)) for k in KPIS.values() if k.num_metric}


def _figures(counts: dict, gauges: dict, *, scope, node, period, domain_code, exclude_suspended) -> dict:
    """Counts, gauges and KPIs of one unit. `drill` + a metric name (see LABELS["metrics"] for a KPI's numerator and
    denominator, the count's own name, or now%3A<gauge>) is the URL of the cases behind any figure."""
    count_values = {k: counts.get(k, 0) for k in COUNT_LABELS if k != "valid"}
    count_values["valid"] = valid(counts, exclude_suspended)
    return {
        "counts": count_values,
        "flows": {c: counts.get(c, 0) for c in FLOW_COUNTERS},
        "gauges": {g: gauges.get(g, 0) for g in GAUGES},
        "kpis": kpi_values(counts, exclude_suspended=exclude_suspended),
        "drill": drill_base(scope=scope, node=node, period=period, domain=domain_code),
    }


LABELS = {
    "counts": COUNT_LABELS,
    "gauges": GAUGE_LABELS,
    "kpis": {**{code: k.label for code, k in KPIS.items()}, "avg_handle_hours": "平均处置时长(小时)"},
    "metrics": {code: {"num": num, "den": den} for code, (num, den) in _QUOTED.items()},
}


def _build_grid_counts() -> dict[str, int]:
    counts: Counter = Counter()
    for path in Region.objects.filter(level=RegionLevel.GRID, is_active=True).values_list("path", flat=True):
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            counts[".".join(parts[:i])] += 1
    for city, counties in city_counties.get().items():  # a city's grids are its counties'
        counts[city] = sum(counts[county] for county in counties)
    return dict(counts)


# Grids under every path (for 立案数 per grid per month). Paths are stable; rechecked every 5 minutes.
grid_counts = VersionedCache(
    "dashboards_grid_counts", _build_grid_counts, check_seconds=300, follows=("grid_index",)
)  # an import of the region tree (a new city, new grids) reaches it at once


def _grid_counts(region: Region) -> dict[str, int]:
    return grid_counts.get()


def _scored(figures: dict, counts: dict, weights, *, grids: int, months: int, exclude_suspended: bool) -> dict:
    values = figures["kpis"]
    result = composite(counts, weights, grids=grids, months=months, exclude_suspended=exclude_suspended, values=values)
    result["grade_label"] = GRADE_LABELS.get(result["grade"], "")
    return result


def _domain_filter(domain_code: str | None, all_domains: list[DomainInfo]) -> DomainInfo | None:
    if not domain_code:
        return None
    for d in all_domains:
        if d.code == domain_code:
            return d
    raise ValidationFailed(f"领域不存在：{domain_code}")


def region_report(region: Region, period: Period, *, domain_code: str | None = None, children: bool = True) -> dict:
    """KPIs of a node for a period: totals, each domain (module), and the ranking of the nodes below it."""
    all_domains = domains()
    dom = _domain_filter(domain_code, all_domains)
    kids = (
        list(Region.objects.filter(parent=region, is_active=True).defer("geometry").order_by("code"))
        if children
        else []
    )
    key = int(region.code)
    keys = [key] + [int(k.code) for k in kids]
    sums = cell_sums(Scope.REGION, keys, period, domain=dom.id if dom else None)
    gauges = gauge_sums(Scope.REGION, keys, domain=dom.id if dom else None)
    weights = config.weights_for("region")
    grid_counts = _grid_counts(region)
    excl = config.exclude_suspended()
    months = period.months

    def entry(node: Region) -> dict:
        node_key = int(node.code)
        counts, gauge = _total(sums.get(node_key, {})), _total(gauges.get(node_key, {}), GAUGES)
        figures = _figures(
            counts, gauge, scope=Scope.REGION, node=node_key, period=period, domain_code=domain_code,
            exclude_suspended=excl,
        )  # fmt: skip
        score = _scored(
            figures, counts, weights, grids=grid_counts.get(node.path, 1), months=months, exclude_suspended=excl
        )
        return {
            "code": node.code,
            "name": node.name,
            "level": node.level,
            "path": node.path,
            "grids": grid_counts.get(node.path, 0),
            **figures,
            **score,
        }

    report = entry(region)
    report["labels"] = LABELS
    report["period"] = {"key": period.key, "label": period.label, "start": period.start, "end": period.end}
    report["domain"] = domain_code or ""
    report["level_name"] = str(LEVEL_NAMES.get(region.level, ""))
    report["child_name"] = str(CHILD_NAMES.get(region.level, ""))
    by_domain = sums.get(key, {})
    gauge_by_domain = gauges.get(key, {})
    report["domains"] = [
        {
            "code": d.code,
            "name": d.name,
            **_figures(
                _named(by_domain.get(d.id)),
                _named(gauge_by_domain.get(d.id), GAUGES),
                scope=Scope.REGION,
                node=key,
                period=period,
                domain_code=d.code,
                exclude_suspended=excl,
            ),
        }  # fmt: skip
        for d in all_domains
        if dom is None or d.id == dom.id
    ]
    report["children"] = rank([entry(k) for k in kids])
    return report


def rank(rows: list[dict]) -> list[dict]:
    """Best composite score first; units with no score last, by name. Ties share a rank."""
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r.get("code", "")))
    previous, position = None, 0
    for i, row in enumerate(rows, start=1):
        if row["score"] != previous:
            position, previous = i, row["score"]
        row["rank"] = position if row["score"] is not None else None
    return rows


def department_rows(units: list[Unit], period: Period, *, domain_code: str | None = None) -> list[dict]:
    all_domains = domains()
    dom = _domain_filter(domain_code, all_domains)
    keys = [u.pk for u in units]
    sums = cell_sums(Scope.UNIT, keys, period, domain=dom.id if dom else None)
    gauges = gauge_sums(Scope.UNIT, keys, domain=dom.id if dom else None)
    weights = config.weights_for("department")
    excl = config.exclude_suspended()
    rows = []
    for unit in units:
        counts, gauge = _total(sums.get(unit.pk, {})), _total(gauges.get(unit.pk, {}), GAUGES)
        figures = _figures(
            counts, gauge, scope=Scope.UNIT, node=unit.pk, period=period, domain_code=domain_code,
            exclude_suspended=excl,
        )  # fmt: skip
        scored = _scored(figures, counts, weights, grids=1, months=period.months, exclude_suspended=excl)
        if not has_activity("department", counts):
            scored.update(score=None, grade="", grade_label="")
        grade_capped("department", scored, figures["kpis"])
        scored["grade_label"] = GRADE_LABELS.get(scored["grade"], "")
        rows.append({"id": unit.pk, "code": unit.code, "name": unit.name, **figures, **scored})
    return rank(rows)


def department_report(unit: Unit, period: Period, *, domain_code: str | None = None) -> dict:
    row = department_rows([unit], period, domain_code=domain_code)[0]
    row["labels"] = LABELS
    all_domains = domains()
    sums = cell_sums(Scope.UNIT, [unit.pk], period).get(unit.pk, {})
    gauges = gauge_sums(Scope.UNIT, [unit.pk]).get(unit.pk, {})
    excl = config.exclude_suspended()
    row["period"] = {"key": period.key, "label": period.label, "start": period.start, "end": period.end}
    row["domains"] = [
        {
            "code": d.code,
            "name": d.name,
            **_figures(
                _named(sums.get(d.id)),
                _named(gauges.get(d.id), GAUGES),
                scope=Scope.UNIT,
                node=unit.pk,
                period=period,
                domain_code=d.code,
                exclude_suspended=excl,
            ),
        }  # fmt: skip
        for d in all_domains
        if d.id in sums or d.id in gauges
    ]
    return row


def departments_for_region(region: Region, period: Period, *, domain_code: str | None = None) -> list[dict]:
    return department_rows(list(departments_visible_at(region)), period, domain_code=domain_code)


def worker_rows(workers: list[User], period: Period) -> list[dict]:
    """网格员 composite: 有效上报率 from their own reports; 漏报率, 按时核实率 and 按时核查率 from their grids."""
    keys = [w.pk for w in workers]
    own = cell_sums(Scope.WORKER, keys, period)
    grid_codes: dict[int, list[int]] = defaultdict(list)
    grid_ids: dict[int, list[int]] = {w.pk: [] for w in workers}
    through = User.grids.through
    for user_id, grid_id, code in through.objects.filter(user_id__in=keys).values_list(
        "user_id", "region_id", "region__code"
    ):
        grid_codes[user_id].append(int(code))
        grid_ids[user_id].append(grid_id)
    all_grids = sorted({c for codes in grid_codes.values() for c in codes})
    grids = cell_sums(Scope.REGION, all_grids, period)
    patrols = worker_patrol_weeks(grid_ids, period)
    weights = config.weights_for("grid_worker")
    excl = config.exclude_suspended()
    rows = []
    for worker in workers:
        mine = {**_total(own.get(worker.pk, {})), **patrols.get(worker.pk, {})}
        area: Counter = Counter()
        for grid_code in grid_codes.get(worker.pk, []):
            area.update(_total(grids.get(grid_code, {})))  # a worker's grids: their 漏报, 核实 and 核查
        values = kpi_values(mine, exclude_suspended=excl)
        area_values = kpi_values(area, exclude_suspended=excl)
        for code in ("missed_report_rate", "confirm_on_time", "check_on_time"):
            values[code] = area_values[code]
        score = composite(mine, weights, values=values, exclude_suspended=excl)
        if not has_activity("grid_worker", mine):  # no report, no patrol: "—", not the 100 of its grids' rates
            score = {**score, "score": None, "grade": ""}
        rows.append(
            {
                "id": worker.pk,
                "code": worker.username,
                "name": worker.display_name or worker.username,
                "reported": mine.get("reported", 0),
                "patrols": mine.get("patrols", 0),
                "kpis": values,
                "drill": drill_base(scope=Scope.WORKER, node=worker.pk, period=period),
                **score,
                "grade_label": GRADE_LABELS.get(score["grade"], ""),
            }
        )
    return rank(rows)


def workers_for_region(region: Region, period: Period, limit: int = 200) -> list[dict]:
    return worker_rows(list(workers_in(region)[:limit]), period)


# ---------------------------------------------------------------- trends


def _months_back(end: date, count: int) -> list[date]:
    first = end.replace(day=1)
    months = [first]
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months[::-1]


def trend(scope: str, node: int, *, end: date | None = None, months: int = 12, days: int = 30) -> dict:
    """Monthly cohort (reported, handled, resolved, 处置率) and daily flows (reported, handled, resolved). Two
    queries, one per grain."""
    end = end or today()
    month_list = _months_back(end, months)
    monthly: dict[date, Counter] = defaultdict(Counter)
    for row in (
        StatCell.objects.filter(scope=scope, node=node, grain=Grain.MONTH, period__in=month_list)
        .values("period")
        .annotate(**{f"s_{c}": Sum(c) for c in CELL_COUNTERS})
    ):
        monthly[row["period"]] = Counter({c: row[f"s_{c}"] or 0 for c in CELL_COUNTERS})
    start = end - timedelta(days=days - 1)
    daily: dict[date, Counter] = defaultdict(Counter)
    for row in (
        StatCell.objects.filter(scope=scope, node=node, grain=Grain.DAY, period__gte=start, period__lte=end)
        .values("period")
        .annotate(reported=Sum("reported"), f_handled=Sum("f_handled"), f_resolved=Sum("f_resolved"))
    ):
        daily[row["period"]] = Counter(row)
    day_list = [start + timedelta(days=i) for i in range(days)]
    return {
        "months": [f"{m:%Y-%m}" for m in month_list],
        "reported": [monthly[m]["reported"] for m in month_list],
        "handled": [monthly[m]["handled"] for m in month_list],
        "resolved": [monthly[m]["resolved"] for m in month_list],
        "handling_rate": [kpi_values(monthly[m])["handling_rate"]["value"] for m in month_list],
        "closure_rate": [kpi_values(monthly[m])["closure_rate"]["value"] for m in month_list],
        "days": [f"{d:%m-%d}" for d in day_list],
        "day_reported": [daily[d]["reported"] for d in day_list],
        "day_handled": [daily[d]["f_handled"] for d in day_list],
        "day_resolved": [daily[d]["f_resolved"] for d in day_list],
    }


# ---------------------------------------------------------------- red lists


# The case columns `case_row` reads (light_at: state, due_at, yellow_at), and no more: a full Case is ~60 columns,
# and building them for the two red lists was a quarter of the region page's CPU.
CASE_ROW_FIELDS = (
    *("state", "closure", "supervision", "due_at", "yellow_at", "created_at", "description", "lon", "lat"),
    *("category__name", "region__name", "holder_unit__name"),
)


def watched_cases(
    *,
    path: str | None = None,
    department: int | None = None,
    kind: str = "overdue",
    limit: int = 20,
    levels: tuple[str, ...] = ("red", "yellow", "normal"),
):
    """Open cases that are overdue now (`overdue`) or under 督办 (`supervised`, of the given `levels`, red cards
    first)."""
    qs = WatchedCase.objects.select_related("case__category", "case__region", "case__holder_unit").only(
        *(f"case__{name}" for name in CASE_ROW_FIELDS)
    )
    if path is not None:
        qs = qs.filter(subtree_q("region_path", path))  # a city: its counties' cases
    if department is not None:
        qs = qs.filter(department=department)
    if kind == "overdue":
        return [w.case for w in qs.filter(overdue=True).order_by("due_at", "case_id")[:limit]]
    # Red cards first, then yellow, then normal 督办; each level most overdue first (one indexed query each).
    rows: list = []
    for level in levels:
        if len(rows) < limit:
            rows += list(qs.filter(supervision=level).order_by("due_at", "case_id")[: limit - len(rows)])
    return [w.case for w in rows]


def case_row(case, now) -> dict:
    return {
        "id": case.pk,
        "url": f"/cases/{case.pk}/",
        "category": case.category.name,
        "region": case.region.name,
        "holder": case.holder_unit.name,
        "state": case.state,
        "state_label": state_text(case.state, case.closure),
        "closure": case.closure,
        "supervision": case.supervision,
        "light": case.light_at(now),
        "due_at": case.due_at,
        "created_at": case.created_at,
        "description": case.description[:80],
        "lon": case.lon,
        "lat": case.lat,
    }


def latest_period_choices(count: int = 12) -> list[Period]:
    months = []
    first = today().replace(day=1)
    for _ in range(count):
        months.append(month_period(first))
        first = (first - timedelta(days=1)).replace(day=1)
    return months
