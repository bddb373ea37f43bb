"""The documents of the major-hazard process as DOCX in the layout of a county document (红头, 文号, 标题, body in
仿宋, tables): 挂牌督办通知书, 治理方案, 停产停用通知, 评估意见 and 销号审批表. Each is rendered from what the process
stored (MajorHazard and its events), so a document opened later is the one issued. No query beyond the hazard's own
events; the layout follows dashboards/documents.py (bulletins), which sits above this app and so is not imported."""

from __future__ import annotations

import io

from django.utils import timezone

from gridsafe.core.input import clean_xml_text
from gridsafe.hazards.models import MajorHazard, StopOrder
from gridsafe.hazards.transitions import MajorAction

RED = "C00000"
BODY_FONT, HEAD_FONT, TITLE_FONT = "仿宋_GB2312", "黑体", "方正小标宋简体"

# kind → (title, the action whose event must exist for the document to exist)
KINDS: dict[str, tuple[str, str]] = {
    "notice": ("重大事故隐患挂牌督办通知书", MajorAction.LIST),
    "plan": ("重大事故隐患治理方案", MajorAction.PLAN),
    "stop": ("停产停用通知书", MajorAction.STOP),
    "evaluation": ("重大事故隐患治理评估意见", MajorAction.EVALUATE),
    "closure": ("重大事故隐患销号审批表", MajorAction.CLOSE),
}


def available(hazard: MajorHazard, done: set[str]) -> list[tuple[str, str]]:
    """(kind, title) of the documents this hazard has, given the actions it went through."""
    return [(kind, title) for kind, (title, action) in KINDS.items() if action in done]


def _fonts(target, name: str, size: float | None = None, bold: bool | None = None, color: str | None = None):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    target.font.name = name
    r_pr = target._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    if size:
        target.font.size = Pt(size)
    if bold is not None:
        target.font.bold = bold
    target.font.color.rgb = RGBColor.from_string(color or "000000")


def _para(doc, text: str, *, center=False, right=False, size=16, font=BODY_FONT, color=None, indent=True):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif indent:
        p.paragraph_format.first_line_indent = Pt(32)
    _fonts(p.add_run(clean_xml_text(text)), font, size, color=color)
    return p


def _rule(paragraph) -> None:
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    border = p_pr.makeelement(qn("w:pBdr"), {})
    border.append(border.makeelement(qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "12", qn("w:color"): RED}))
    p_pr.append(border)


def _table(doc, rows: list[tuple[str, str]]) -> None:
    from docx.shared import Cm

    grid = doc.add_table(rows=0, cols=2)
    grid.style = "Table Grid"
    for label, value in rows:
        cells = grid.add_row().cells
        _fonts(cells[0].paragraphs[0].add_run(clean_xml_text(label)), HEAD_FONT, 12)
        _fonts(cells[1].paragraphs[0].add_run(clean_xml_text(value or "—")), BODY_FONT, 12)
        cells[0].width, cells[1].width = Cm(4.5), Cm(11)
    doc.add_paragraph()


def _date(value) -> str:
    if value is None:
        return "—"
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


def render_docx(hazard: MajorHazard, kind: str, events: list) -> bytes:
    """One document of `hazard` as DOCX bytes. `events`: the hazard's MajorHazardEvent rows, oldest first."""
    from docx import Document
    from docx.shared import Cm

    title, _action = KINDS[kind]
    case = hazard.case
    place = case.place
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    issuer = hazard.supervising_body or (case.department.name if case.department_id else "")
    _para(doc, issuer + ("文件" if kind == "notice" else ""), center=True, size=26, font=TITLE_FONT, color=RED)
    _rule(_para(doc, hazard.notice_no or "", center=True))
    _para(doc, title, center=True, size=22, font=TITLE_FONT)
    unit = place.enterprise.name if place is not None and place.enterprise_id else (place.name if place else "")
    where = f"{case.region.name}" + (f" · {place.name}" if place is not None else "")
    basics = [
        ("隐患编号", f"#{case.pk}"),
        ("督办文号", hazard.notice_no),
        ("隐患名称", hazard.public_title or case.category.name),
        ("所在单位", unit or "—"),
        ("所在位置", where),
        ("判定依据", hazard.basis),
    ]
    by_action: dict[str, list] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    if kind == "notice":
        _para(doc, f"{unit or '有关单位'}：", indent=False)
        _para(
            doc,
            f"经核查认定，你单位存在重大事故隐患（{hazard.public_title or case.category.name}）。依据《安全生产法》第四十一条"
            "和《安全生产事故隐患排查治理暂行规定》，现予挂牌督办。请你单位立即落实整改责任、措施、资金、时限和预案，"
            f"于{_date(hazard.rectify_by)}前完成治理，治理期间采取必要的安全防范措施，并按要求报送治理进展。",
        )
        _table(doc, basics + [("督办单位", hazard.supervising_body), ("牵头单位", str(hazard.lead_unit or "—")),
                              ("整改期限", _date(hazard.rectify_by)), ("挂牌日期", _date(hazard.listed_at))])  # fmt: skip
    elif kind == "plan":
        _table(doc, basics)
        for index, (label, text) in enumerate(hazard.plan_rows(), start=1):
            _para(doc, f"{'一二三四五六七'[index - 1]}、{label}", font=HEAD_FONT, indent=False)
            _para(doc, text or "—")
        _para(doc, f"整改资金：{hazard.funds_wan} 万元")
    elif kind == "stop":
        last = by_action.get(MajorAction.STOP, [])[-1]
        order = last.payload.get("order", "")
        label = StopOrder(order).label if order in StopOrder.values else ""
        _para(doc, f"{unit or '有关单位'}：", indent=False)
        text = (
            f"因存在重大事故隐患，依据《安全生产法》，责令你单位自{_date(last.created_at)}起{label}"
            + (f"（范围：{last.payload.get('scope')}）" if last.payload.get("scope") else "")
            + "，隐患消除并经审查同意后方可恢复。"
            if order
            else f"经审查，自{_date(last.created_at)}起解除停产停用。"
        )
        _para(doc, text)
        _table(doc, basics)
    elif kind == "evaluation":
        _table(doc, basics + [("评估单位", hazard.evaluator), ("评估日期", _date(hazard.evaluated_at))])
        _para(doc, "评估结论", font=HEAD_FONT, indent=False)
        _para(doc, hazard.evaluation)
    elif kind == "closure":
        progress = by_action.get(MajorAction.PROGRESS, [])
        _table(
            doc,
            basics
            + [
                ("挂牌日期", _date(hazard.listed_at)),
                ("整改期限", _date(hazard.rectify_by)),
                ("治理方案", _date(hazard.planned_at)),
                ("整改资金", f"{hazard.funds_wan} 万元"),
                ("进展报告", f"{len(progress)} 次"),
                ("评估单位", hazard.evaluator),
                ("评估结论", hazard.evaluation),
                ("现场审查", f"{(by_action.get(MajorAction.CLOSE) or [None])[-1].comment if by_action.get(MajorAction.CLOSE) else '—'}"),
                ("销号人", (by_action.get(MajorAction.CLOSE) or [None])[-1].actor_label if by_action.get(MajorAction.CLOSE) else "—"),
                ("销号日期", _date(hazard.closed_at)),
            ],
        )  # fmt: skip
        _para(doc, "经现场审查，该重大事故隐患已治理完毕，同意销号。")
    _para(doc, issuer, right=True)
    _para(doc, _date(events[-1].created_at if events else hazard.confirmed_at), right=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
