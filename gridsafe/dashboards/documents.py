"""The two layouts of a 月度通报 / 季度督导: a DOCX that looks like a county document (红头, 文号, 标题, heading
styles 一、(一), figures in tables, page numbers in the footer, 发文机关 and date) and an XLSX with one sheet per
table, rates as percentages. Both read the plain data of `bulletins.bulletin_compile`; no query here."""

from __future__ import annotations

import io

from gridsafe.core.input import clean_xml_text
from gridsafe.dashboards import charts
from gridsafe.dashboards.kpis import GRADE_LABELS

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
RATE_KEYS = frozenset({"handling_rate", "handling_on_time", "closure_rate", "closure_on_time", "rework_rate", "rate"})
CASE_COLUMNS = ["编号", "类别", "网格", "承办单位", "状态"]
VISIT_COLUMNS = ["日期", "督导对象", "带队", "发现问题", "整改要求", "整改期限", "跟踪隐患(已整改/总数)"]
RED = "C00000"
BODY_FONT, HEAD_FONT, SUB_FONT, TITLE_FONT = "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"


def fmt(value, key: str = "") -> str:
    if value is None or value == "":
        return "—"
    if key in RATE_KEYS or key.endswith("rate") or key.endswith("on_time"):
        return f"{value:.2f}%"
    if key == "score":
        return f"{value:.1f}"
    return str(value)


def overview_rows(data: dict) -> list[tuple[str, str]]:
    """总体情况 as (指标, 数值) rows: the DOCX table, the XLSX sheet and the page read the same list."""
    totals, counts = data["totals"], data["counts"]
    grade = totals["grade"]
    return [
        ("上报隐患", f"{counts['reported']} 件"),
        ("应处置（上报−作废−并单−移交）", f"{counts['valid']} 件"),
        ("已处置", f"{counts['handled']} 件"),
        ("处置率", fmt(totals["handling_rate"], "rate")),
        ("按期处置率", fmt(totals["handling_on_time"], "rate")),
        ("超期未处置", f"{counts['overdue_unhandled']} 件"),
        ("核查通过销号（结案）", f"{counts['resolved']} 件"),
        ("结案率", fmt(totals["closure_rate"], "rate")),
        ("按期结案率", fmt(totals["closure_on_time"], "rate")),
        ("作废 / 并单 / 移交", f"{counts['invalid']} / {counts['duplicate']} / {counts['transferred']} 件"),
        ("返工率", fmt(totals["rework_rate"], "rate")),
        ("综合得分", fmt(totals["score"], "score") + (f"（{grade} {GRADE_LABELS.get(grade, '')}）" if grade else "")),
    ]


def rank_cells(row: dict) -> list[str]:
    cells = []
    for _h, key in RANK_COLUMNS:
        if key == "rank":
            cells.append(str(row["rank"]) if row.get("rank") else "—")
        elif key == "grade":
            cells.append((row["grade"] or "—") + ("*" if row.get("grade_capped") else ""))
        else:
            cells.append(fmt(row.get(key), key))
    return cells


# ---------------------------------------------------------------- DOCX


def set_fonts(target, name: str, size: float | None = None, bold: bool | None = None, color: str | None = None):
    """Set Latin and East Asian font of a run or a style (Word picks w:eastAsia for Chinese characters)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = target.font
    font.name = name
    r_pr = target._element.get_or_add_rPr()  # a run's w:r or a style's w:style
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor.from_string(color or "000000")


def _styles(doc) -> None:
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    set_fonts(normal, BODY_FONT, 16)
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    for name, font, size in (("Title", TITLE_FONT, 22), ("Heading 1", HEAD_FONT, 16), ("Heading 2", SUB_FONT, 16)):
        style = doc.styles[name]
        set_fonts(style, font, size, bold=False)
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(6)
    # python-docx's Title has a blue bottom border: a county document's title has none.
    title_ppr = doc.styles["Title"].element.get_or_add_pPr()
    for border in title_ppr.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr"):
        title_ppr.remove(border)


def para(
    doc, text: str, *, style=None, center=False, right=False, indent=True, size=None, color=None, font=BODY_FONT,
    bold=None,
):  # fmt: skip
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph(style=style)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif indent and style is None:
        p.paragraph_format.first_line_indent = Pt(32)  # 首行缩进两字
    run = p.add_run(clean_xml_text(text))  # stored text may predate core.input
    if size or color or bold or font != BODY_FONT:
        set_fonts(run, font, size, bold=bold, color=color)
    return p


def _bottom_rule(paragraph, color: str = RED) -> None:
    """The red line under the 文号 (版头分隔线)."""
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    border = p_pr.makeelement(qn("w:pBdr"), {})
    bottom = border.makeelement(qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "12", qn("w:color"): color})
    border.append(bottom)
    p_pr.append(border)


def _field(run, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) in `run`: Word fills it in when the document is opened or printed."""
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), ("instr", code), ("separate", None), ("text", "1"), ("end", None)):
        if kind == "instr":
            el = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            el.text = f" {text} "
        elif kind == "text":
            el = run._r.makeelement(qn("w:t"), {})
            el.text = text
        else:
            el = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        run._r.append(el)


def _page_numbers(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in ("— 第 ", "PAGE", " 页 共 ", "NUMPAGES", " 页 —"):
        run = footer.add_run()
        set_fonts(run, BODY_FONT, 12)
        if part in ("PAGE", "NUMPAGES"):
            _field(run, part)
        else:
            run.text = part


def table(doc, headers: list[str], rows: list[list], widths: list[float] | None = None):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    grid = doc.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, header in enumerate(headers):
        cell = grid.rows[0].cells[i]
        para = cell.paragraphs[0]
        para.paragraph_format.line_spacing = Pt(16)
        set_fonts(para.add_run(clean_xml_text(header)), HEAD_FONT, 10.5, True)
    # the header row repeats on every page of a long table
    tr_pr = grid.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {}))
    for row in rows:
        cells = grid.add_row().cells
        for i, value in enumerate(row):
            para = cells[i].paragraphs[0]
            para.paragraph_format.line_spacing = Pt(16)
            set_fonts(para.add_run(clean_xml_text(str(value))), BODY_FONT, 10.5)
    if widths:
        for row in grid.rows:
            for i, width in enumerate(widths):
                row.cells[i].width = Cm(width)
    doc.add_paragraph()
    return grid


def _picture(doc, png: bytes) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(15))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def render_docx(data: dict) -> bytes:
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    _styles(doc)
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, GB/T 9704 margins
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        _page_numbers(section)
    issuer = data["issuer"]
    para(doc, issuer, center=True, size=26, color=RED, font=TITLE_FONT)  # 红头
    _bottom_rule(para(doc, data["doc_no"] or "", center=True))
    para(doc, "", indent=False)
    doc.add_paragraph(clean_xml_text(data["title"]), style="Title").alignment = 1
    para(doc, "各乡镇（街道）网格化中心、县直各有关单位：", indent=False)
    period_label = data["period"]["label"]
    para(doc, f"现将{period_label}全{data['region'][-1]}安全生产网格化管理工作情况通报如下：")

    _heading(doc, "一、总体情况")
    counts = data["counts"]
    para(
        doc,
        f"{period_label}共上报安全生产隐患 {counts['reported']} 件，应处置 {counts['valid']} 件，已处置 "
        f"{counts['handled']} 件，处置率 {fmt(data['totals']['handling_rate'], 'rate')}。主要指标见表1。",
    )
    para(doc, "表1  主要指标", center=True, size=12)
    table(doc, ["指标", "数值"], [list(r) for r in overview_rows(data)], widths=[8, 7])
    if data["domains"]:
        para(doc, "表2  各模块情况", center=True, size=12)
        table(
            doc,
            ["模块", "上报", "处置", "处置率", "结案率"],
            [[d["name"], d["reported"], d["handled"], fmt(d["handling_rate"], "rate"),
              fmt(d["closure_rate"], "rate")] for d in data["domains"]],
        )  # fmt: skip
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
                {"处置率": [m["handling_rate"] for m in data["monthly"]],
                 "结案率": [m["closure_rate"] for m in data["monthly"]]},
                title="本季度逐月处置率与结案率(%)",
            ),
        )  # fmt: skip

    _heading(doc, "二、乡镇（街道）排名")
    table(doc, [h for h, _k in RANK_COLUMNS], [rank_cells(r) for r in data["townships"]])
    if any(r["score"] is not None for r in data["townships"]):
        _picture(
            doc,
            charts.bar_chart(
                [r["name"] for r in data["townships"]],
                [r["score"] for r in data["townships"]],
                title="乡镇（街道）综合得分",
                max_value=100,
            ),
        )
    low = [r["name"] for r in data["townships"] if r["handling_rate"] is not None and r["handling_rate"] < 85]
    if low:
        para(doc, "处置率低于85%的单位：" + "、".join(low) + "。请上述单位分析原因、限期整改。")

    _heading(doc, "三、职能部门排名")
    if data["departments"]:
        table(doc, [h for h, _k in RANK_COLUMNS], [rank_cells(r) for r in data["departments"]])
        if any(r.get("grade_capped") for r in data["departments"]):
            para(doc, "注：等级带“*”的部门按期结案率为0，等级不评为A。", size=12)
    else:
        para(doc, "本级无职能部门数据。")

    _heading(doc, "四、超期与督办（红牌）")
    _heading(doc, f"（一）红牌督办 {len(data['red_cards'])} 件", level=2)
    if data["red_cards"]:
        table(doc, [*CASE_COLUMNS, "说明"], [_case_cells(c, "note") for c in data["red_cards"]])
    else:
        para(doc, "本期无红牌督办。")
    _heading(doc, f"（二）超期在办 {len(data['overdue'])} 件", level=2)
    if data["overdue"]:
        table(doc, [*CASE_COLUMNS, "期限"], [_case_cells(c, "due_at") for c in data["overdue"]])
    else:
        para(doc, "截至通报生成时无超期在办隐患。")

    _heading(doc, "五、网格巡查覆盖")
    patrol = data["patrol"]
    if patrol is None:
        para(doc, "暂无巡查数据。")
    else:
        para(
            doc,
            f"应巡查 {patrol['due']} 格·周，已巡查 {patrol['covered']} 格·周，覆盖率 {fmt(patrol['rate'], 'rate')}。"
            "只计符合县巡查规则（网格内时长与里程）的巡查。",
        )
        table(
            doc,
            ["单位", "网格数", "应巡查(格·周)", "已巡查", "覆盖率"],
            [[r["name"], r["grids"], r["due"], r["covered"], fmt(r["rate"], "rate")] for r in patrol["rows"]],
        )

    _heading(doc, "六、领导带队检查与例会落实")
    insp = data["inspections"]
    table(
        doc,
        ["层级", "要求", "应开展", "已开展", "缺漏", "落实率"],
        [
            [r["level_name"], r["rule"], r["due"], r["done"], r["missed"], fmt(r["rate"], "rate")]
            for r in insp["summary"]
        ],
    )
    if insp["by_child"]:
        para(doc, "未按要求开展的次数（按乡镇）：", indent=False)
        table(doc, ["单位", "缺漏次数"], [[r["name"], r["missed"]] for r in insp["by_child"][:30]])

    _heading(doc, "七、信息材料报送")
    table(
        doc,
        ["月份", "应报送单位", "未达标单位数", "未达标单位（已报篇数）"],
        [[s["month"], len(s["units"]), len(s["short"]),
          "、".join(f"{u['name']}（{u['count']}）" for u in s["short"]) or "—"] for s in data["reports"]],
    )  # fmt: skip

    if data.get("visits") is not None:
        _heading(doc, "八、季度督导检查情况")
        visits = data["visits"]
        if visits:
            para(doc, f"本季度开展督导检查 {len(visits)} 次，督导发现问题的整改跟踪见下表。")
            table(doc, VISIT_COLUMNS, [visit_cells(v) for v in visits])
        else:
            para(doc, "本季度未记录督导检查。")

    para(doc, "")
    para(
        doc,
        "说明：应处置数＝上报数−作废−并单−移交；按期处置率＝按期处置数/（处置数＋超期未处置数），未到期的在办隐患不计入；"
        "返工率＝返工次数/提交整改次数；“结案”仅指核查通过（已整改销号）；无任何业务的单位不评分，记“—”。",
        size=12,
    )
    para(doc, "")
    para(doc, issuer, right=True)
    day = data["generated_at"]
    para(doc, f"{day.year}年{day.month}月{day.day}日", right=True)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _heading(doc, text: str, level: int = 1):
    heading = doc.add_heading(level=level)
    set_fonts(heading.add_run(clean_xml_text(text)), HEAD_FONT if level == 1 else SUB_FONT, 16, False)
    return heading


def _case_cells(case: dict, last: str) -> list:
    return [case["id"], case["category"], case["region"], case["holder"], case["state"], case[last]]


def visit_cells(visit: dict) -> list:
    return [
        visit["visited_on"],
        visit["target"],
        visit["leader_name"],
        visit["findings"],
        visit["requirements"] or "—",
        visit["rectify_by"] or "—",
        f"{visit['cases_resolved']}/{visit['cases']}",
    ]


# ---------------------------------------------------------------- XLSX

PERCENT = "0.00%"


def _xlsx_value(value, key: str):
    """Rates go into the sheet as fractions with a percent format, so Excel sorts and sums them as numbers."""
    if value is None:
        return None
    if key in RATE_KEYS:
        return value / 100.0
    return clean_xml_text(value) if isinstance(value, str) else value


def render_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, columns: list[tuple[str, str]], rows: list[dict]):
        ws = wb.create_sheet(title)
        ws.append([h for h, _k in columns])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_xlsx_value(row.get(k), k) for _h, k in columns])
        for i, (header, key) in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = max(10, len(header) * 2 + 2)
            fmt_code = PERCENT if key in RATE_KEYS else ("0.0" if key == "score" else None)
            if fmt_code:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt_code
        ws.freeze_panes = "A2"
        return ws

    overview = wb.active
    overview.title = "总体情况"
    overview.append([data["title"]])
    overview["A1"].font = Font(bold=True, size=14)
    overview.append(["文号", data["doc_no"]])
    overview.append(["周期", data["period"]["label"]])
    overview.append(["生成时间", data["generated_at"].strftime("%Y-%m-%d %H:%M")])
    for key, label in data["count_labels"].items():
        overview.append([label, data["counts"][key]])
    for header, key in RANK_COLUMNS:
        if key in RATE_KEYS or key == "score":
            overview.append([header, _xlsx_value(data["totals"][key], key)])
            overview.cell(row=overview.max_row, column=2).number_format = PERCENT if key in RATE_KEYS else "0.0"
    overview.append(["等级", data["totals"]["grade"]])
    overview.column_dimensions["A"].width = 22
    sheet("乡镇排名", RANK_COLUMNS, data["townships"])
    sheet("部门排名", RANK_COLUMNS, data["departments"])
    sheet(
        "各模块",
        [("模块", "name"), ("上报", "reported"), ("处置", "handled"), ("处置率", "handling_rate"),
         ("结案率", "closure_rate")],
        data["domains"],
    )  # fmt: skip
    case_cols = [("编号", "id"), ("类别", "category"), ("网格", "region"), ("承办单位", "holder"), ("状态", "state"),
                 ("期限", "due_at"), ("说明", "note")]  # fmt: skip
    sheet("红牌督办", case_cols, data["red_cards"])
    sheet("超期在办", case_cols, data["overdue"])
    patrol = data["patrol"]
    if patrol is None:
        sheet("巡查覆盖", [("暂无巡查数据", "none")], [])
    else:
        sheet(
            "巡查覆盖",
            [
                ("单位", "name"),
                ("网格数", "grids"),
                ("应巡查(格·周)", "due"),
                ("已巡查", "covered"),
                ("覆盖率", "rate"),
            ],
            patrol["rows"],
        )
    insp = data["inspections"]
    ws = sheet(
        "领导检查",
        [("层级", "level_name"), ("要求", "rule"), ("应开展", "due"), ("已开展", "done"), ("缺漏", "missed"),
         ("落实率", "rate")],
        insp["summary"],
    )  # fmt: skip
    ws.append([])
    ws.append(["缺漏明细：单位", "周期", "要求"])
    for m in insp["missed"]:
        ws.append([clean_xml_text(m["region"]), m["period"], m["rule"]])
    rows = [
        {"month": s["month"], "name": u["name"], "count": u["count"], "minimum": u["minimum"],
         "state": "未达标" if u["short"] else "达标"}
        for s in data["reports"] for u in s["units"]
    ]  # fmt: skip
    sheet("信息材料", [("月份", "month"), ("单位", "name"), ("已报送", "count"), ("最低要求", "minimum"),
                   ("情况", "state")], rows)  # fmt: skip
    if data["monthly"]:
        sheet(
            "逐月",
            [("月份", "label"), ("上报", "reported"), ("处置率", "handling_rate"), ("结案率", "closure_rate")],
            data["monthly"],
        )
    if data.get("visits") is not None:
        sheet(
            "督导检查",
            [("日期", "visited_on"), ("督导对象", "target"), ("带队", "leader_name"), ("发现问题", "findings"),
             ("整改要求", "requirements"), ("整改期限", "rectify_by"), ("跟踪隐患", "cases"),
             ("已整改", "cases_resolved")],
            data["visits"],
        )  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
