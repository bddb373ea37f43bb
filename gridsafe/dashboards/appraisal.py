"""年度安全生产责任制考评 — the annual appraisal sheet of each responsible unit (domain.md §1.7: assessment results
feed the annual 责任制考评), built from the KPIs the dashboards already compute: the year's and each quarter's
composite score and grade (§5 weights, the department cap included), and the work the county checks besides the
cases — leaders' inspections and meetings, 信息材料, patrol coverage (townships), 督导 visits and their follow-up
cases, red cards. The figures are shown side by side, not folded into a second score the county has not set.

Responsible units are those with a 信息材料 quota (township centres and county departments, `responsible_units`);
a unit is visible to its own staff and to whoever's 辖区 covers its region (the same rule as its dashboard)."""

from __future__ import annotations

import io
from datetime import date

from django.db.models import Count, Q

from gridsafe.accounts.models import Unit, UnitKind, User
from gridsafe.cases.models import Supervision
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.bulletins import county_region, kpi_row, patrol_coverage
from gridsafe.dashboards.documents import PERCENT, RANK_COLUMNS, RATE_KEYS, fmt
from gridsafe.dashboards.inforeports import responsible_units
from gridsafe.dashboards.inspections import compliance
from gridsafe.dashboards.models import InfoReport, OversightVisit
from gridsafe.dashboards.periods import Period, parse_period, quarter_period, today


def _year(value: str | int | None) -> Period:
    year = int(value) if str(value or "").isdigit() else today().year
    if not 2000 <= year <= today().year + 1:
        raise ValidationFailed("考评年度超出范围")
    return parse_period(str(year))


def appraisal_units(user: User) -> list[tuple[Unit, int]]:
    """(unit, monthly 信息材料 minimum) of the responsible units the user may see."""
    scope = jurisdiction_of(user)
    return [
        (u, m)
        for u, m in responsible_units(county_region())
        if user.unit_id == u.pk or scope.covers_path(u.region.path)
    ]


def appraisal_unit(user: User, unit_id: int) -> tuple[Unit, int]:
    for unit, minimum in appraisal_units(user):
        if unit.pk == unit_id:
            return unit, minimum
    raise NotFound("未找到该单位")


def _kpi_row(unit: Unit, period: Period) -> dict:
    if unit.kind == UnitKind.DEPARTMENT:
        row = sel.department_rows([unit], period)[0]
    else:
        row = sel.region_report(unit.region, period, children=False)
    return {**kpi_row(row), "label": period.label}


def _until(period: Period) -> date:
    return min(period.end, today())


def appraisal_list(user: User, year: str | int | None = None) -> dict:
    """Every visible responsible unit's year in one row: composite score and grade, 信息材料 months met, 督导
    visits. Queries: the KPI reads (one region report for the townships, one department read) and two counts."""
    period = _year(year)
    units = appraisal_units(user)
    county = county_region()
    townships = {r["code"]: r for r in sel.region_report(county, period)["children"]} if units else {}
    departments = {
        r["id"]: r for r in sel.department_rows([u for u, _m in units if u.kind == UnitKind.DEPARTMENT], period)
    }
    months_met = _months_met([u for u, _m in units], period, dict((u.pk, m) for u, m in units))
    visits = _visit_counts(units, period)
    rows = []
    for unit, _minimum in units:
        kpi = departments.get(unit.pk) if unit.kind == UnitKind.DEPARTMENT else townships.get(unit.region.code)
        rows.append(
            {
                "id": unit.pk,
                "name": unit.name,
                "kind": "职能部门" if unit.kind == UnitKind.DEPARTMENT else "乡镇(街道)",
                "score": kpi["score"] if kpi else None,
                "grade": kpi["grade"] if kpi else "",
                "grade_capped": (kpi or {}).get("grade_capped", ""),
                "reports_met": months_met.get(unit.pk, 0),
                "months": _months_due(period),
                "visits": visits.get(unit.pk, 0),
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
    return {"period": period, "rows": rows, "years": list(range(today().year, today().year - 4, -1))}


def _months_due(period: Period) -> int:
    until = _until(period)
    return 0 if until < period.start else until.month - period.start.month + (until.year - period.start.year) * 12 + 1


def _months_met(units: list[Unit], period: Period, minimum: dict[int, int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for unit_id, _month, n in (
        InfoReport.objects.filter(unit__in=units, month__gte=period.start, month__lte=period.end)
        .values("unit", "month")
        .annotate(n=Count("pk"))
        .values_list("unit", "month", "n")
    ):
        if n >= minimum.get(unit_id, 2):
            counts[unit_id] = counts.get(unit_id, 0) + 1
    return counts


def _visit_q(unit: Unit) -> Q:
    if unit.kind == UnitKind.DEPARTMENT:
        return Q(unit=unit)
    return Q(region_path=unit.region.path) | Q(region_path__startswith=unit.region.path + ".")


def _visit_counts(units: list[tuple[Unit, int]], period: Period) -> dict[int, int]:
    rows = list(
        OversightVisit.objects.filter(visited_on__gte=period.start, visited_on__lte=period.end).values_list(
            "unit_id", "region_path"
        )
    )
    out = {}
    for unit, _m in units:
        if unit.kind == UnitKind.DEPARTMENT:
            out[unit.pk] = sum(1 for unit_id, _p in rows if unit_id == unit.pk)
        else:
            path = unit.region.path
            out[unit.pk] = sum(1 for unit_id, p in rows if not unit_id and (p == path or p.startswith(path + ".")))
    return out


def appraisal_sheet(unit: Unit, minimum: int, year: str | int | None = None) -> dict:
    """考评表 of one unit for a year: the year's KPIs and each quarter's, then the work items."""
    period = _year(year)
    quarters = [quarter_period(date(period.start.year, m, 1)) for m in (1, 4, 7, 10)]
    quarters = [q for q in quarters if q.start <= today()]
    kpis = [_kpi_row(unit, period), *(_kpi_row(unit, q) for q in quarters)]
    is_department = unit.kind == UnitKind.DEPARTMENT
    items: list[tuple[str, str, str]] = []  # (项目, 情况, 说明)
    if not is_department and _until(period) >= period.start:
        insp = compliance(unit.region, period.start, _until(period))
        for s in insp["summary"]:
            if s["level"] == unit.region.level:
                items.append((s["rule"], f"应开展 {s['due']} 次，已开展 {s['done']} 次，缺漏 {s['missed']} 次",
                              "落实率 " + fmt(s["rate"], "rate")))  # fmt: skip
        patrol = patrol_coverage(unit.region, Period(period.key, period.label, period.start, _until(period)))
        if patrol is not None:
            items.append(("网格巡查覆盖", f"应巡查 {patrol['due']} 格·周，已巡查 {patrol['covered']} 格·周",
                          "覆盖率 " + fmt(patrol["rate"], "rate")))  # fmt: skip
    met = _months_met([unit], period, {unit.pk: minimum}).get(unit.pk, 0)
    sent = InfoReport.objects.filter(unit=unit, month__gte=period.start, month__lte=period.end).count()
    items.append(("信息材料报送", f"共报送 {sent} 篇，{_months_due(period)} 个月中 {met} 个月达到每月 {minimum} 篇",
                  "未达标 " + str(max(0, _months_due(period) - met)) + " 个月"))  # fmt: skip
    visits = list(
        OversightVisit.objects.filter(_visit_q(unit), visited_on__gte=period.start, visited_on__lte=period.end)
        .annotate(
            n=Count("cases", distinct=True),
            fixed=Count("cases", filter=Q(cases__state="closed", cases__closure="resolved"), distinct=True),
        )
        .order_by("visited_on")
    )
    items.append(("季度督导", f"接受督导 {len(visits)} 次，督导发现隐患 {sum(v.n for v in visits)} 件",
                  f"已整改销号 {sum(v.fixed for v in visits)} 件"))  # fmt: skip
    red = Supervision.objects.filter(
        level="red", issued_at__gte=period.start_at(), issued_at__lt=period.end_before()
    ).filter(
        Q(case__department=unit) | Q(case__holder_unit=unit)
        if is_department
        else Q(case__region_path=unit.region.path) | Q(case__region_path__startswith=unit.region.path + ".")
    )
    items.append(("红牌督办", f"被红牌督办 {red.values('case').distinct().count()} 件", ""))
    return {
        "unit": unit,
        "period": period,
        "kind": "职能部门" if is_department else "乡镇(街道)",
        "kpis": kpis,
        "items": items,
        "visits": visits,
        "year_row": kpis[0],
    }


KPI_COLUMNS = [("周期", "label"), *(c for c in RANK_COLUMNS if c[1] not in ("rank", "name", "overdue"))]


def sheet_xlsx(sheet: dict) -> bytes:
    """The 考评表 as a workbook: the KPI table (rates as percentages) and the work items."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "考评表"
    ws.append([f"{sheet['unit'].name} {sheet['period'].label}安全生产责任制考评表"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["一、业务指标"])
    ws.append([h for h, _k in KPI_COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in sheet["kpis"]:
        ws.append([(row[k] / 100 if k in RATE_KEYS and row[k] is not None else row[k]) for _h, k in KPI_COLUMNS])
        for i, (_h, key) in enumerate(KPI_COLUMNS, start=1):
            if key in RATE_KEYS:
                ws.cell(row=ws.max_row, column=i).number_format = PERCENT
            elif key == "score":
                ws.cell(row=ws.max_row, column=i).number_format = "0.0"
    ws.append([])
    ws.append(["二、工作落实"])
    ws.append(["项目", "情况", "说明"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for item in sheet["items"]:
        ws.append(list(item))
    for letter, width in zip("ABCDEFGHIJ", (26, 40, 22, 12, 12, 12, 12, 12, 10, 8), strict=True):
        ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def list_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "责任制考评"
    ws.append(["单位", "类别", "综合得分", "等级", "信息材料达标月数", "应报月数", "接受督导次数"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in data["rows"]:
        ws.append([r["name"], r["kind"], r["score"], r["grade"], r["reports_met"], r["months"], r["visits"]])
        ws.cell(row=ws.max_row, column=3).number_format = "0.0"
    ws.column_dimensions["A"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
