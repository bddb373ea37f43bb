"""The cases behind a figure (下钻). Every count and every numerator and denominator of a KPI has a metric name;
the drill-down applies the same predicate the rollups use (`cohort_vector`, `gauge_vector`) to the cases the user
can see, so the list is exactly the figure.

Metric names: a cohort counter (`handled`, `overdue_unhandled`, `src_hotline` …, or `valid`), combined with `+`
(either) and `-` (but not): `handled+overdue_unhandled`, `reported-invalid`; `now:<gauge>` for what is open now
(`now:overdue`, `now:red_cards`); a flow counter (`f_handled` …) for the cases with such an event in the period."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.permissions import cases_visible_to
from gridsafe.core.errors import ValidationFailed
from gridsafe.dashboards.access import visible_department, visible_region, visible_worker
from gridsafe.dashboards.models import COHORT_COUNTERS, FLOW_COUNTERS, GAUGES, Scope
from gridsafe.dashboards.periods import Period
from gridsafe.dashboards.rollups import EXCLUDED, FACT_FIELDS, OPEN, cohort_vector, gauge_vector
from gridsafe.dashboards.selectors import GAUGE_LABELS

FLOW_EVENTS = {
    "f_handled": ["case.submitted"],
    "f_handle_seconds": ["case.submitted"],
    "f_resolved": ["case.verified"],
    "f_closed_other": ["case.voided", "case.merged", "case.transferred"],
    "f_reworks": ["case.rework"],
    "f_escalations": ["case.escalated"],
    "f_dispatches": ["case.dispatched"],
    "f_misdispatches": ["case.returned"],
    "f_extensions": ["case.extension_approved"],
    "f_reopens": ["case.reopened"],
    "f_overdue": ["case.overdue"],
    "f_supervisions": ["case.supervised"],
    "f_red_cards": ["case.supervised"],
}
METRIC_LABELS = {
    "valid": "应处置",
    "reported": "上报",
    "handled": "已处置",
    "handled_on_time": "按期处置",
    "overdue_unhandled": "超期未处置",
    "resolved": "已结案(整改销号)",
    "closed_on_time": "按期结案",
    "overdue_unclosed": "超期未结案",
    "invalid": "作废",
    "duplicate": "并单",
    "transferred": "移交",
    "suspended": "挂账",
    "reworks": "有返工",
    "reopens": "重新打开过",
    "misdispatches": "有错派",
    "confirm_due": "应核实",
    "confirm_on_time": "按时核实",
    "check_due": "应核查",
    "check_on_time": "按时核查",
    "major": "重大隐患",
    "major_resolved": "重大隐患已销号",
    "src_grid_worker": "网格员上报",
    "src_patrol": "巡查发现",
    "src_hotline": "12345热线",
    "src_video": "视频发现",
    "src_department": "部门检查",
    "src_leader": "领导交办",
    "src_walk_in": "群众来访",
    "src_citizen": "群众上报",
}
_TERM = re.compile(r"([+-]?)([a-z_]+)")


def _terms(metric: str) -> list[tuple[str, str]]:
    terms = [(sign or "+", name) for sign, name in _TERM.findall(metric)]
    if not terms or "".join(s + n for s, n in terms).lstrip("+") != metric.lstrip("+"):
        raise ValidationFailed(f"无效的指标：{metric}")
    for _sign, name in terms:
        if name != "valid" and name not in COHORT_COUNTERS:
            raise ValidationFailed(f"无效的指标：{name}")
    return terms


FLOW_LABELS = {
    "f_handled": "本期提交整改",
    "f_handle_seconds": "本期提交整改",
    "f_resolved": "本期核查通过",
    "f_closed_other": "本期作废、并单或移交",
    "f_reworks": "本期返工",
    "f_escalations": "本期上报",
    "f_dispatches": "本期派遣",
    "f_misdispatches": "本期错派退回",
    "f_extensions": "本期批准延期",
    "f_reopens": "本期重新打开",
    "f_overdue": "本期超期",
    "f_supervisions": "本期督办",
    "f_red_cards": "本期红牌督办",
}


def metric_label(metric: str) -> str:
    """The figure's name as the page shows it, in Chinese: never the metric's code (`resolved`, `now:overdue`)."""
    if metric.startswith("now:"):
        gauge = metric[4:]
        if gauge not in GAUGE_LABELS:
            raise ValidationFailed("无效的指标")
        return f"当前{GAUGE_LABELS[gauge]}"
    if metric in FLOW_COUNTERS:
        return FLOW_LABELS[metric]
    parts = []
    for sign, name in _terms(metric):
        label = METRIC_LABELS.get(name, name)
        parts.append(label if not parts else ("或" if sign == "+" else "除去") + label)
    return "".join(parts)


def _matches(terms: list[tuple[str, str]], vector: dict[str, int]) -> bool:
    result = False
    for i, (sign, name) in enumerate(terms):
        value = (
            (vector.get("reported", 0) > 0 and not any(vector.get(x) for x in EXCLUDED))
            if name == "valid"
            else (vector.get(name, 0) > 0)
        )
        if i == 0:
            result = value
        elif sign == "+":
            result = result or value
        else:
            result = result and not value
    return result


def scoped_cases(user: User, *, scope: str, node: int) -> QuerySet[Case]:
    """The cases of a scope node, within what the user may see; 404 for a node outside the 辖区."""
    qs = cases_visible_to(user)
    if scope == Scope.REGION:
        region = visible_region(user, str(node))
        return qs.in_subtree(region.path)
    if scope == Scope.UNIT:
        unit = visible_department(user, node)
        return (
            Case.objects.filter(department_id=unit.pk) if user.unit_id == unit.pk else qs.filter(department_id=unit.pk)
        )
    if scope == Scope.WORKER:
        worker = visible_worker(user, node)
        return Case.objects.filter(reporter_id=worker.pk)
    raise ValidationFailed("scope 应为 r、u 或 w")


def drill_case_ids(
    user: User, *, scope: str, node: int, period: Period, metric: str, domain: str | None = None, limit: int = 5000
) -> list[int]:
    """Ids of the cases behind a figure, newest first (at most `limit`)."""
    qs = scoped_cases(user, scope=scope, node=node)
    if domain:
        qs = qs.filter(domain__code=domain)
    if metric.startswith("now:"):
        gauge = metric[4:]
        if gauge not in GAUGES:
            raise ValidationFailed(f"无效的指标：{metric}")
        qs = qs.filter(state__in=OPEN)
        return _filter(qs, lambda f: gauge_vector(f).get(gauge, 0) > 0, limit)
    if metric in FLOW_COUNTERS:
        events = CaseEvent.objects.filter(kind__in=FLOW_EVENTS[metric])
        if period.start:
            events = events.filter(created_at__gte=period.start_at(), created_at__lt=period.end_before())
        if metric == "f_red_cards":
            events = events.filter(payload__level="red")
        if metric == "f_misdispatches":
            events = events.filter(payload__reason_code="not_our_duty")
        return list(
            qs.filter(pk__in=events.values("case_id"))
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)[:limit]
        )
    terms = _terms(metric)
    if period.start:
        qs = qs.filter(created_at__gte=period.start_at(), created_at__lt=period.end_before())
    qs = qs.filter(_prefilter(terms))
    return _filter(qs, lambda f: _matches(terms, cohort_vector(f)), limit)


def _prefilter(terms: list[tuple[str, str]]) -> Q:
    """A coarse SQL filter that keeps every match (so the Python predicate scans fewer rows)."""
    if len(terms) != 1:
        return Q()
    name = terms[0][1]
    simple = {
        "resolved": Q(closure="resolved"),
        "closed_on_time": Q(closure="resolved"),
        "major_resolved": Q(closure="resolved", grade="major"),
        "invalid": Q(closure="invalid"),
        "duplicate": Q(closure="duplicate"),
        "transferred": Q(closure="transferred"),
        "suspended": Q(state="suspended"),
        "handled": Q(state="pending_verification") | Q(closure="resolved"),
        "handled_on_time": Q(state="pending_verification") | Q(closure="resolved"),
        "overdue_unhandled": Q(state__in=OPEN),
        "overdue_unclosed": Q(state__in=OPEN),
        "reworks": Q(rework_count__gt=0),
        "reopens": Q(reopen_count__gt=0),
        "misdispatches": Q(misdispatch_count__gt=0),
        "major": Q(grade="major"),
    }
    if name.startswith("src_"):
        return Q(source=name[4:])
    return simple.get(name, Q())


def _filter(qs: QuerySet[Case], predicate, limit: int) -> list[int]:
    ids = []
    for row in qs.order_by("-created_at", "-id").values_list(*FACT_FIELDS).iterator(chunk_size=2000):
        facts = dict(zip(FACT_FIELDS, row, strict=True))
        if predicate(facts):
            ids.append(facts["id"])
            if len(ids) >= limit:
                break
    return ids


def cases_page(ids: list[int]) -> list[Case]:
    by_id = {
        c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("category", "region", "holder_unit", "domain")
    }
    return [by_id[i] for i in ids if i in by_id]
