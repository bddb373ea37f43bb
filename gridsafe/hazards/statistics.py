"""隐患排查治理统计分析表 (quarterly and annual, 16号令 §14 and the 安委办 隐患排查治理情况统计表 columns) and the
存量/新增 view of the year's 治本攻坚 work. Both start from `cases_visible_to`, so a township sees its own.

Definitions (docs/major-hazards.md): a hazard counts in the period it was reported (created_at, local time); 作废
and 并单 do not count as hazards; 已整改 is closure `resolved` before the period's end (closed ≠ fixed). 列入治理计划
= a major hazard whose 治理方案 was recorded before the end; 挂牌督办 = listed before the end. Two aggregate queries
(cases by domain and grade; the major hazards' plans) plus the domains."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case
from gridsafe.cases.permissions import cases_visible_to
from gridsafe.cases.transitions import Closure
from gridsafe.catalog.models import Domain, Grade
from gridsafe.hazards.models import PLAN_PARTS, MajorHazard
from gridsafe.hazards.transitions import MajorState

NOT_HAZARDS = (Closure.INVALID, Closure.DUPLICATE)
PLAN_COLUMNS = [("goal", "目标任务"), ("funds", "经费物资"), ("organisation", "机构人员"), ("deadline", "时间要求"),
                ("safety", "安全措施应急预案")]  # fmt: skip
assert {k for k, _ in PLAN_COLUMNS} <= {k for k, _ in PLAN_PARTS}


@dataclass
class Period:
    year: int
    quarter: int | None  # None: the whole year

    @property
    def start(self) -> date:
        return date(self.year, 1 + 3 * (self.quarter - 1), 1) if self.quarter else date(self.year, 1, 1)

    @property
    def end(self) -> date:  # exclusive
        if not self.quarter or self.quarter == 4:
            return date(self.year + 1, 1, 1)
        return date(self.year, 1 + 3 * self.quarter, 1)

    @property
    def label(self) -> str:
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度" if self.quarter else f"{self.year}年度"

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, tz), datetime.combine(self.end, time.min, tz))


@dataclass
class Row:
    name: str
    general: int = 0
    general_fixed: int = 0
    major: int = 0
    major_fixed: int = 0
    planned: int = 0
    plan_parts: dict[str, int] = field(default_factory=lambda: {k: 0 for k, _ in PLAN_COLUMNS})
    funds: Decimal = Decimal("0")
    listed: int = 0

    @staticmethod
    def rate(done: int, total: int) -> float | None:
        return round(100 * done / total, 2) if total else None

    def add(self, other: Row) -> None:
        for name in ("general", "general_fixed", "major", "major_fixed", "planned", "funds", "listed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key in self.plan_parts:
            self.plan_parts[key] += other.plan_parts[key]

    def cells(self) -> list:
        return [
            self.name, self.general, self.general_fixed, self.rate(self.general_fixed, self.general),
            self.major, self.major_fixed, self.rate(self.major_fixed, self.major), self.planned,
            *[self.plan_parts[k] for k, _ in PLAN_COLUMNS], float(self.funds), self.listed,
        ]  # fmt: skip


HEADERS = ["行业领域", "一般隐患排查数（项）", "一般隐患已整改（项）", "一般隐患整改率（%）", "重大隐患排查数（项）",
           "重大隐患已整改（项）", "重大隐患整改率（%）", "列入治理计划的重大隐患（项）",
           *[f"落实{label}（项）" for _k, label in PLAN_COLUMNS], "落实治理资金（万元）", "挂牌督办（项）"]  # fmt: skip


def counted_cases(user: User, period: Period) -> QuerySet[Case]:
    start, end = period.bounds()
    return cases_visible_to(user).filter(created_at__gte=start, created_at__lt=end).exclude(closure__in=NOT_HAZARDS)


def statistics_table(user: User, period: Period) -> dict:
    """The table's rows (one per domain with any hazard, then 合计) as plain data for the page and the XLSX."""
    start, end = period.bounds()
    cases = counted_cases(user, period)
    fixed = Q(closure=Closure.RESOLVED, closed_at__lt=end)
    by_domain = cases.values("domain_id", "grade").annotate(n=Count("id"), fixed=Count("id", filter=fixed))
    rows: dict[int, Row] = {}
    names = dict(Domain.objects.values_list("id", "name"))
    for item in by_domain:
        row = rows.setdefault(item["domain_id"], Row(names.get(item["domain_id"], "")))
        if item["grade"] == Grade.MAJOR:
            row.major += item["n"]
            row.major_fixed += item["fixed"]
        else:
            row.general += item["n"]
            row.general_fixed += item["fixed"]
    majors = MajorHazard.objects.filter(case__in=cases.filter(grade=Grade.MAJOR).values("pk")).values(
        "case__domain_id", "plan", "planned_at", "funds_wan", "listed_at"
    )
    for hazard in majors:
        row = rows.setdefault(hazard["case__domain_id"], Row(names.get(hazard["case__domain_id"], "")))
        if hazard["planned_at"] is not None and hazard["planned_at"] < end:
            row.planned += 1
            row.funds += hazard["funds_wan"] or Decimal("0")
            for key, _label in PLAN_COLUMNS:
                if str((hazard["plan"] or {}).get(key, "")).strip():
                    row.plan_parts[key] += 1
        if hazard["listed_at"] is not None and hazard["listed_at"] < end:
            row.listed += 1
    order = list(Domain.objects.order_by("sort", "code").values_list("id", flat=True))
    ordered = [rows[d] for d in order if d in rows]
    total = Row("合计")
    for row in ordered:
        total.add(row)
    return {"period": period, "headers": HEADERS, "rows": ordered, "total": total}


def render_xlsx(data: dict, *, unit: str) -> bytes:
    """The table as XLSX in the official layout: title, 填报单位 and period, a two-level header (一般隐患 / 重大隐患 /
    列入治理计划), the rows, 合计, and the 主要负责人 signature line (16号令 §14: signed by the unit's head)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "统计分析表"
    period = data["period"]
    ncols = len(HEADERS)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(1, 1, f"{period.label}事故隐患排查治理统计分析表").font = Font(size=16, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.cell(2, 1, f"填报单位：{unit}")
    ws.cell(2, ncols - 3, f"统计期间：{period.start:%Y-%m-%d} 至 {period.end - timedelta(days=1):%Y-%m-%d}")
    # two header rows: groups, then columns
    groups = [
        (2, 4, "一般事故隐患"),
        (5, 7, "重大事故隐患"),
        (8, 8 + len(PLAN_COLUMNS) + 1, "列入治理计划的重大事故隐患"),
    ]
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for first, last, label in groups:
        ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=last)
        ws.cell(3, first, label)
    ws.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    ws.cell(3, 1, HEADERS[0])
    ws.merge_cells(start_row=3, start_column=ncols, end_row=4, end_column=ncols)
    ws.cell(3, ncols, HEADERS[-1])
    for col, header in enumerate(HEADERS[1:-1], start=2):
        ws.cell(4, col, header)
    for row in (3, 4):
        for col in range(1, ncols + 1):
            cell = ws.cell(row, col)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = box
    r = 5
    for row in [*data["rows"], data["total"]]:
        for col, value in enumerate(row.cells(), start=1):
            cell = ws.cell(r, col, "—" if value is None else value)
            cell.border = box
            if col in (4, 7) and value is not None:
                cell.number_format = "0.00"
        r += 1
    ws.cell(r + 1, 1, "单位主要负责人（签字）：")
    ws.cell(r + 1, 6, "填表人：")
    ws.cell(r + 1, 10, "填报日期：")
    ws.cell(r + 2, 1, "注：一般隐患整改率 = 已整改 ÷ 排查数；已整改仅计核查通过销号的隐患，作废、并单不计入排查数。")
    ws.column_dimensions["A"].width = 16
    for col in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(col)].width = 11
    ws.row_dimensions[4].height = 48
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- 存量 / 新增 (治本攻坚)


def stock_and_new(user: User, year: int, *, now: datetime) -> dict:
    """The year's 重大隐患 in two groups: 存量 (reported before the year, still open on 1 January) and 新增 (reported
    in the year); for each: total, 已销号 in the year, 整改中 now, 超期 (past its 整改期限 and still open)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(date(year, 1, 1), time.min, tz)
    end = datetime.combine(date(year + 1, 1, 1), time.min, tz)
    majors = cases_visible_to(user).filter(grade=Grade.MAJOR).exclude(closure__in=NOT_HAZARDS)
    stock = majors.filter(created_at__lt=start).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    new = majors.filter(created_at__gte=start, created_at__lt=end)
    today = timezone.localdate(now)

    def figures(qs: QuerySet[Case]) -> dict:
        closed = Q(closure=Closure.RESOLVED, closed_at__gte=start, closed_at__lt=end)
        overdue = Q(closed_at__isnull=True, major_hazard__rectify_by__lt=today)
        open_q = Q(closed_at__isnull=True) | Q(closed_at__gte=end)
        return qs.aggregate(
            total=Count("id"),
            closed=Count("id", filter=closed),
            open=Count("id", filter=open_q),
            overdue=Count("id", filter=overdue),
            listed=Count("id", filter=Q(major_hazard__state__in=[MajorState.LISTED, MajorState.RECTIFYING,
                                                                   MajorState.EVALUATED])),
        )  # fmt: skip

    result = {"year": year, "stock": figures(stock), "new": figures(new)}
    for key in ("stock", "new"):
        fig = result[key]
        fig["rate"] = Row.rate(fig["closed"], fig["total"])
    result["stock_cases"] = list(stock.select_related("domain", "region").order_by("created_at")[:200])
    result["new_cases"] = list(new.select_related("domain", "region").order_by("created_at")[:200])
    return result
