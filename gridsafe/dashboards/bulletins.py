"""月度通报 and 季度督导: "每季度一督导、每月一通报" (domain.md §1.7). (Over 600 lines: one document's figures and its
two layouts, docx and xlsx, change together.)

`bulletin_compile` gathers the figures (rankings of townships and departments from the rollups, red cards and
overdue cases, patrol coverage, leaders' inspection compliance, 信息材料), `render_docx` and `render_xlsx` lay
them out, `bulletin_generate` stores both files on a Bulletin row (regenerating replaces them), and
`bulletins_generate_due(now)` is the periodic job: last month's bulletin and last quarter's report, once."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Supervision
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.transitions import state_text
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.input import clean_xml_text
from gridsafe.dashboards import charts
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.access import departments_visible_at
from gridsafe.dashboards.inforeports import report_status
from gridsafe.dashboards.inspections import compliance
from gridsafe.dashboards.kpis import GRADE_LABELS
from gridsafe.dashboards.models import Bulletin, BulletinKind
from gridsafe.dashboards.periods import Period, month_period, next_month, parse_period, quarter_period
from gridsafe.regions.models import Region, RegionLevel

log = logging.getLogger("gridsafe.bulletins")

KIND_TITLES = {BulletinKind.MONTHLY: "月度通报", BulletinKind.QUARTERLY: "季度督导报告"}
GENERATORS = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.LEADER, Role.ADMIN})
RANK_COLUMNS = [
    ("排名", "rank"),
    ("单位", "name"),
    ("应处置", "valid"),
    ("处置", "handled"),
    ("处置率", "handling_rate"),
    ("按期处置率", "handling_on_time"),
    ("结案率", "closure_rate"),
    ("按期结案率", "closure_on_time"),
    ("返工率", "rework_rate"),
    ("超期在办", "overdue"),
    ("综合得分", "score"),
    ("等级", "grade"),
]


def county_region() -> Region:
    return Region.objects.get(code=settings.GRIDSAFE_COUNTY_CODE)


def _rank_row(row: dict) -> dict:
    kpis = row["kpis"]
    return {
        "rank": row.get("rank"),
        "name": row["name"],
        "valid": row["counts"]["valid"],
        "handled": row["counts"]["handled"],
        "handling_rate": kpis["handling_rate"]["value"],
        "handling_on_time": kpis["handling_on_time"]["value"],
        "closure_rate": kpis["closure_rate"]["value"],
        "closure_on_time": kpis["closure_on_time"]["value"],
        "rework_rate": kpis["rework_rate"]["value"],
        "overdue": row["gauges"]["overdue"],
        "score": row["score"],
        "grade": row["grade"],
    }


def _case_line(case, *, extra: str = "") -> dict:
    return {
        "id": case.pk,
        "category": case.category.name,
        "region": case.region.name,
        "holder": case.holder_unit.name,
        "state": state_text(case.state, case.closure),
        "due_at": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "",
        "note": extra,
    }


def patrol_coverage(region: Region, period: Period) -> dict | None:
    """巡查覆盖率: grid-weeks with at least one finished patrol / grid-weeks in the period, per child node. None when
    the field app's Patrol model is not there (or not migrated)."""
    try:
        from gridsafe.field.models import Patrol
    except ImportError:
        return None
    try:
        grids = list(
            Region.objects.filter(level=RegionLevel.GRID, is_active=True)
            .filter(Q(path=region.path) | Q(path__startswith=region.path + "."))
            .values_list("path", flat=True)
        )
        weeks = sorted(
            {(period.start + timedelta(days=i)).isocalendar()[:2] for i in range((period.end - period.start).days + 1)}
        )
        done = set()
        for path, ended in (
            Patrol.objects.in_subtree(region.path)
            .ended_between(period.start_at(), period.end_before())
            .counted()  # only patrols meeting the county's patrol rule (field.PatrolRule)
            .values_list("grid_path", "ended_at")
            .iterator()
        ):
            done.add((path, timezone.localtime(ended).isocalendar()[:2]))
    except DatabaseError:
        return None
    children = dict(Region.objects.filter(parent=region, is_active=True).values_list("path", "name"))
    rows = []
    for child_path, name in sorted(children.items()):
        child_grids = [g for g in grids if g == child_path or g.startswith(child_path + ".")]
        due = len(child_grids) * len(weeks)
        covered = sum(1 for g in child_grids for w in weeks if (g, w) in done)
        rows.append(
            {"name": name, "grids": len(child_grids), "due": due, "covered": covered, "rate": _percent(covered, due)}
        )
    total_due = len(grids) * len(weeks)
    total_covered = sum(1 for g in grids for w in weeks if (g, w) in done)
    return {
        "weeks": len(weeks),
        "grids": len(grids),
        "due": total_due,
        "covered": total_covered,
        "rate": _percent(total_covered, total_due),
        "rows": rows,
    }


def _percent(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def bulletin_compile(*, kind: str, period: Period, region: Region) -> dict:
    """Every figure of a bulletin, as plain data (also stored, in part, as the Bulletin's summary)."""
    report = sel.region_report(region, period)
    departments = sel.department_rows(list(departments_visible_at(region)), period)
    subtree = Q(case__region_path=region.path) | Q(case__region_path__startswith=region.path + ".")
    red_cards = list(
        Supervision.objects.filter(
            subtree, level="red", issued_at__gte=period.start_at(), issued_at__lt=period.end_before()
        )
        .select_related("case__category", "case__region", "case__holder_unit")
        .order_by("issued_at")[:200]
    )
    overdue = sel.watched_cases(path=region.path, kind="overdue", limit=100)
    months = []
    cursor = period.start
    while cursor <= period.end:
        months.append(month_period(cursor))
        cursor = next_month(cursor)
    monthly = [sel.region_report(region, m, children=False) for m in months] if kind == BulletinKind.QUARTERLY else []
    inspections = compliance(region, period.start, period.end)
    reports = [report_status(region, m) for m in months]
    title = f"{region.name}安全生产网格化管理工作{KIND_TITLES[kind]}（{period.label}）"
    return {
        "kind": kind,
        "title": title,
        "region": region.name,
        "period": {"key": period.key, "label": period.label, "start": period.start, "end": period.end},
        "generated_at": timezone.localtime(clock.now()),
        "totals": _rank_row(report),
        "counts": dict(report["counts"]),
        "count_labels": dict(sel.LABELS["counts"]),
        "domains": [
            {
                "name": d["name"],
                "reported": d["counts"]["reported"],
                "handled": d["counts"]["handled"],
                "handling_rate": d["kpis"]["handling_rate"]["value"],
                "closure_rate": d["kpis"]["closure_rate"]["value"],
            }
            for d in report["domains"]
        ],
        "townships": [_rank_row(r) for r in report["children"]],
        "departments": [_rank_row(r) for r in departments],
        "red_cards": [
            _case_line(s.case, extra=f"{timezone.localtime(s.issued_at):%m-%d} 红牌：{s.instruction or '系统自动督办'}")
            for s in red_cards
        ],
        "overdue": [_case_line(c) for c in overdue],
        "patrol": patrol_coverage(region, period),
        "inspections": inspections,
        "reports": reports,
        "monthly": [
            {
                "label": m.label,
                "reported": r["counts"]["reported"],
                "handling_rate": r["kpis"]["handling_rate"]["value"],
                "closure_rate": r["kpis"]["closure_rate"]["value"],
            }
            for m, r in zip(months, monthly, strict=False)
        ],
    }


# ---------------------------------------------------------------- DOCX


def _fmt(value, key: str = "") -> str:
    if value is None:
        return "—"
    if key.endswith("rate") or key.endswith("on_time"):
        return f"{value:.2f}%"
    if key == "score":
        return f"{value:.1f}"
    return str(value)


def _set_cjk(run, name: str = "仿宋", size: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold


def _para(doc, text: str, *, size: float = 14, bold: bool = False, center: bool = False, font: str = "仿宋"):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_cjk(p.add_run(clean_xml_text(text)), font, size, bold)  # stored text may predate core.input
    return p


def _table(doc, headers: list[str], rows: list[list[str]]):
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for i, header in enumerate(headers):
        cell = table.rows[0].cells[i]
        cell.text = ""
        _set_cjk(cell.paragraphs[0].add_run(clean_xml_text(header)), "黑体", 9, True)
    for row in rows:
        cells = table.add_row().cells
        for i, value in enumerate(row):
            _set_cjk(cells[i].paragraphs[0].add_run(clean_xml_text(str(value))), "仿宋", 9)
    return table


def _ranking_rows(rows: list[dict]) -> list[list[str]]:
    return [
        [_fmt(r[key], key) if key != "rank" else (str(r["rank"]) if r["rank"] else "—") for _h, key in RANK_COLUMNS]
        for r in rows
    ]


def _picture(doc, png: bytes) -> None:
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(15.5))


def render_docx(data: dict) -> bytes:
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.4)
    _para(doc, data["title"], size=20, bold=True, center=True, font="黑体")
    _para(doc, f"{data['region']}网格化中心　{data['generated_at']:%Y年%m月%d日}", size=12, center=True)
    totals, counts = data["totals"], data["counts"]

    _para(doc, "一、总体情况", size=15, bold=True, font="黑体")
    _para(
        doc,
        f"{data['period']['label']}，全{data['region'][-1]}共上报安全生产隐患 {counts['reported']} 件，应处置 {counts['valid']} 件，"
        f"已处置 {counts['handled']} 件，处置率 {_fmt(totals['handling_rate'], 'handling_rate')}；按期处置率 "
        f"{_fmt(totals['handling_on_time'], 'handling_on_time')}（含超期未处置 {counts['overdue_unhandled']} 件）；"
        f"核查通过销号 {counts['resolved']} 件，结案率 {_fmt(totals['closure_rate'], 'closure_rate')}；"
        f"作废 {counts['invalid']} 件、并单 {counts['duplicate']} 件、移交 {counts['transferred']} 件（不计入处置与结案）；"
        f"返工率 {_fmt(totals['rework_rate'], 'rework_rate')}。综合得分 {_fmt(totals['score'], 'score')}"
        f"{'（' + totals['grade'] + ' ' + GRADE_LABELS.get(totals['grade'], '') + '）' if totals['grade'] else ''}。",
    )
    if data["domains"]:
        _table(
            doc,
            ["模块", "上报", "处置", "处置率", "结案率"],
            [
                [
                    d["name"],
                    d["reported"],
                    d["handled"],
                    _fmt(d["handling_rate"], "rate"),
                    _fmt(d["closure_rate"], "rate"),
                ]
                for d in data["domains"]
            ],
        )
        _picture(
            doc,
            charts.bar_chart(
                [d["name"] for d in data["domains"]],
                [d["handling_rate"] for d in data["domains"]],
                title="各模块处置率",
                unit="%",
                max_value=100,
            ),
        )
    if data["monthly"]:
        _picture(
            doc,
            charts.line_chart(
                [m["label"] for m in data["monthly"]],
                {
                    "处置率": [m["handling_rate"] for m in data["monthly"]],
                    "结案率": [m["closure_rate"] for m in data["monthly"]],
                },
                title="本季度逐月处置率与结案率(%)",
            ),
        )

    _para(doc, "二、乡镇（街道）排名", size=15, bold=True, font="黑体")
    _table(doc, [h for h, _k in RANK_COLUMNS], _ranking_rows(data["townships"]))
    if data["townships"]:
        _picture(
            doc,
            charts.bar_chart(
                [r["name"] for r in data["townships"]],
                [r["score"] for r in data["townships"]],
                title="乡镇（街道）综合得分",
                max_value=100,
            ),
        )
        last = [r for r in data["townships"] if r["handling_rate"] is not None and r["handling_rate"] < 85]
        if last:
            _para(
                doc, "处置率低于85%的单位：" + "、".join(r["name"] for r in last) + "。请上述单位分析原因、限期整改。"
            )

    _para(doc, "三、职能部门排名", size=15, bold=True, font="黑体")
    if data["departments"]:
        _table(doc, [h for h, _k in RANK_COLUMNS], _ranking_rows(data["departments"]))
    else:
        _para(doc, "本级无职能部门数据。")

    _para(doc, "四、超期与督办（红牌）", size=15, bold=True, font="黑体")
    if data["red_cards"]:
        _para(doc, f"本期红牌督办 {len(data['red_cards'])} 件：")
        _table(
            doc,
            ["编号", "类别", "网格", "承办单位", "状态", "说明"],
            [[c["id"], c["category"], c["region"], c["holder"], c["state"], c["note"]] for c in data["red_cards"]],
        )
    else:
        _para(doc, "本期无红牌督办。")
    if data["overdue"]:
        _para(doc, f"截至通报生成时超期在办 {len(data['overdue'])} 件（按期限先后）：")
        _table(
            doc,
            ["编号", "类别", "网格", "承办单位", "状态", "期限"],
            [[c["id"], c["category"], c["region"], c["holder"], c["state"], c["due_at"]] for c in data["overdue"]],
        )
    else:
        _para(doc, "截至通报生成时无超期在办隐患。")

    _para(doc, "五、网格巡查覆盖", size=15, bold=True, font="黑体")
    patrol = data["patrol"]
    if patrol is None:
        _para(doc, "暂无巡查数据。")
    else:
        _para(
            doc,
            f"应巡查 {patrol['due']} 格·周，已巡查 {patrol['covered']} 格·周，覆盖率 {_fmt(patrol['rate'], 'rate')}"
            + ("（本期无巡查记录）" if patrol["covered"] == 0 else "")
            + "。",
        )
        _table(
            doc,
            ["单位", "网格数", "应巡查(格·周)", "已巡查", "覆盖率"],
            [[r["name"], r["grids"], r["due"], r["covered"], _fmt(r["rate"], "rate")] for r in patrol["rows"]],
        )

    _para(doc, "六、领导带队检查与例会落实", size=15, bold=True, font="黑体")
    insp = data["inspections"]
    _table(
        doc,
        ["层级", "要求", "应开展", "已开展", "缺漏"],
        [[r["level_name"], r["rule"], r["due"], r["done"], r["missed"]] for r in insp["summary"]],
    )
    if insp["missed"]:
        _para(
            doc,
            "未按要求开展："
            + "；".join(f"{m['region']}{m['period']}{m['rule']}" for m in insp["missed"][:60])
            + ("……" if len(insp["missed"]) > 60 else "")
            + "。",
        )

    _para(doc, "七、信息材料报送", size=15, bold=True, font="黑体")
    for status in data["reports"]:
        short = [u for u in status["units"] if u["short"]]
        _para(
            doc,
            f"{status['month']}：应报送单位 {len(status['units'])} 个，未达到每月 {status['minimum_text']} 篇的 {len(short)} 个"
            + ("：" + "、".join(f"{u['name']}（{u['count']}篇）" for u in short) if short else "。"),
        )

    _para(doc, "")
    _para(
        doc,
        "说明：应处置数＝上报数−作废−并单−移交；按期处置率＝按期处置数/（处置数＋超期未处置数），未到期的在办隐患不计入；"
        "返工率＝返工次数/提交整改次数；“结案”仅指核查通过（已整改销号）。",
        size=10,
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- XLSX


def render_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, headers: list[str], rows: list[list]):
        ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([clean_xml_text(value) for value in row])  # a control character would fail the whole file
        for i, header in enumerate(headers, start=1):
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, len(header) * 2 + 2)
        ws.freeze_panes = "A2"
        return ws

    overview = wb.active
    overview.title = "总体情况"
    overview.append([data["title"]])
    overview["A1"].font = Font(bold=True, size=14)
    overview.append(["周期", data["period"]["label"]])
    overview.append(["生成时间", data["generated_at"].strftime("%Y-%m-%d %H:%M")])
    for key, label in data["count_labels"].items():
        overview.append([label, data["counts"][key]])
    for key in ("handling_rate", "handling_on_time", "closure_rate", "closure_on_time", "rework_rate", "score"):
        overview.append([dict(RANK_COLUMNS_REV)[key], data["totals"][key]])
    overview.append(["等级", data["totals"]["grade"]])
    overview.column_dimensions["A"].width = 22
    keys = [k for _h, k in RANK_COLUMNS]
    sheet("乡镇排名", [h for h, _k in RANK_COLUMNS], [[r[k] for k in keys] for r in data["townships"]])
    sheet("部门排名", [h for h, _k in RANK_COLUMNS], [[r[k] for k in keys] for r in data["departments"]])
    sheet(
        "各模块",
        ["模块", "上报", "处置", "处置率", "结案率"],
        [[d["name"], d["reported"], d["handled"], d["handling_rate"], d["closure_rate"]] for d in data["domains"]],
    )
    case_cols = ["编号", "类别", "网格", "承办单位", "状态", "期限", "说明"]
    case_keys = ["id", "category", "region", "holder", "state", "due_at", "note"]
    sheet("红牌督办", case_cols, [[c[k] for k in case_keys] for c in data["red_cards"]])
    sheet("超期在办", case_cols, [[c[k] for k in case_keys] for c in data["overdue"]])
    patrol = data["patrol"]
    if patrol is None:
        sheet("巡查覆盖", ["暂无巡查数据"], [])
    else:
        sheet(
            "巡查覆盖",
            ["单位", "网格数", "应巡查(格·周)", "已巡查", "覆盖率"],
            [[r["name"], r["grids"], r["due"], r["covered"], r["rate"]] for r in patrol["rows"]],
        )
    insp = data["inspections"]
    ws = sheet(
        "领导检查",
        ["层级", "要求", "应开展", "已开展", "缺漏"],
        [[r["level_name"], r["rule"], r["due"], r["done"], r["missed"]] for r in insp["summary"]],
    )
    ws.append([])
    ws.append(["缺漏明细：单位", "周期", "要求"])
    for m in insp["missed"]:
        ws.append([clean_xml_text(m["region"]), m["period"], m["rule"]])
    rows = []
    for status in data["reports"]:
        for u in status["units"]:
            rows.append([status["month"], u["name"], u["count"], u["minimum"], "未达标" if u["short"] else "达标"])
    sheet("信息材料", ["月份", "单位", "已报送", "最低要求", "情况"], rows)
    if data["monthly"]:
        sheet(
            "逐月",
            ["月份", "上报", "处置率", "结案率"],
            [[m["label"], m["reported"], m["handling_rate"], m["closure_rate"]] for m in data["monthly"]],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


RANK_COLUMNS_REV = [(k, h) for h, k in RANK_COLUMNS]


# ---------------------------------------------------------------- generate, schedule, read


def _check_period(kind: str, period: Period) -> None:
    if kind == BulletinKind.MONTHLY and month_period(period.start or clock.now().date()) != period:
        raise ValidationFailed("月度通报的周期应为一个月，如 2026-10")
    if kind == BulletinKind.QUARTERLY and quarter_period(period.start or clock.now().date()) != period:
        raise ValidationFailed("季度督导的周期应为一个季度，如 2026-Q3")
    if kind not in BulletinKind.values:
        raise ValidationFailed("通报类型应为 monthly 或 quarterly")


def bulletin_generate(
    *, kind: str, period: Period, actor: User | None = None, region: Region | None = None
) -> Bulletin:
    """Compile, render and store a bulletin (on demand, or from the schedule with actor None). Regenerating the
    same kind and period replaces the files. Raises charts.CjkFontMissing when no Chinese font is installed."""
    if kind not in BulletinKind.values:
        raise ValidationFailed("通报类型应为 monthly 或 quarterly")
    _check_period(kind, period)
    region = region or county_region()
    data = bulletin_compile(kind=kind, period=period, region=region)
    docx_bytes, xlsx_bytes = render_docx(data), render_xlsx(data)
    stem = f"{kind}-{region.code}-{period.key}"
    summary = {
        "townships": [
            {"rank": r["rank"], "name": r["name"], "score": r["score"], "grade": r["grade"]} for r in data["townships"]
        ],
        "departments": [
            {"rank": r["rank"], "name": r["name"], "score": r["score"], "grade": r["grade"]}
            for r in data["departments"]
        ],
        "totals": data["totals"],
        "red_cards": len(data["red_cards"]),
        "overdue": len(data["overdue"]),
    }
    with transaction.atomic():
        bulletin, _created = Bulletin.objects.select_for_update().get_or_create(
            kind=kind,
            region=region,
            period_start=period.start,
            defaults={"period_end": period.end, "title": data["title"], "generated_at": clock.now()},
        )
        old = [f.name for f in (bulletin.docx, bulletin.xlsx) if f]
        bulletin.docx.save(f"{stem}.docx", ContentFile(docx_bytes), save=False)
        bulletin.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx_bytes), save=False)
        bulletin.title = data["title"]
        bulletin.period_end = period.end
        bulletin.summary = _jsonable(summary)
        bulletin.generated_at = clock.now()
        bulletin.generated_by = actor
        bulletin.save()
        storage = bulletin.docx.storage
        transaction.on_commit(
            lambda: [storage.delete(n) for n in old if n not in (bulletin.docx.name, bulletin.xlsx.name)]
        )
    return bulletin


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def bulletins_generate_due(now: datetime | None = None) -> list[Bulletin]:
    """The periodic job (call it from the worker loop, any interval): from `GRIDSAFE_BULLETIN_DAY` (default the 1st)
    of a month, generate last month's 月度通报 and, in the first month of a quarter, last quarter's 季度督导, each
    once. Safe to run concurrently: the second runner finds the row (unique per kind and period)."""
    now = now or clock.now()
    day = timezone.localtime(now).date()
    if day.day < settings.GRIDSAFE_BULLETIN_DAY:
        return []
    region = county_region()
    due = [(BulletinKind.MONTHLY, month_period(day.replace(day=1) - timedelta(days=1)))]
    due.append((BulletinKind.QUARTERLY, quarter_period(day).previous()))
    made = []
    for kind, period in due:
        if Bulletin.objects.filter(kind=kind, region=region, period_start=period.start).exists():
            continue
        try:
            with clock.frozen(now):
                made.append(bulletin_generate(kind=kind, period=period, region=region))
        except IntegrityError:
            continue  # another worker made it first
        except charts.CjkFontMissing:
            log.exception("bulletin %s %s not generated", kind, period.key)
            raise
    return made


def may_generate(user: User) -> bool:
    return (
        user.is_authenticated
        and (user.role in GENERATORS or user.is_superuser)
        and jurisdiction_of(user).covers_path(settings.GRIDSAFE_COUNTY_CODE)
    )


def bulletins_visible_to(user: User) -> QuerySet[Bulletin]:
    """A bulletin is distributed to the staff of the units it ranks: every unit inside its region (townships,
    stations, departments), and whoever's 辖区 covers it. Grid workers are not on the list."""
    qs = Bulletin.objects.select_related("region").order_by("-period_start", "kind")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return qs
    if user.role == Role.GRID_WORKER or user.unit_id is None:
        return qs.none()
    unit_path = user.unit.region.path
    ancestors = Region(path=unit_path).ancestor_paths()
    return qs.filter(region__path__in=ancestors)


def bulletin_for_user(user: User, bulletin_id: int) -> Bulletin:
    bulletin = bulletins_visible_to(user).filter(pk=bulletin_id).first()
    if bulletin is None:
        raise NotFound("未找到该通报")
    return bulletin


__all__ = ["bulletin_generate", "bulletins_generate_due", "parse_period"]
