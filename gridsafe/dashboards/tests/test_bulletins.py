"""月度通报 and 季度督导: generated from the rollups, opened back with python-docx and openpyxl, holding the
expected rankings; scheduled once per period; a clear error without a Chinese font."""

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards import charts
from gridsafe.dashboards.bulletins import bulletin_generate
from gridsafe.dashboards.models import Bulletin
from gridsafe.dashboards.periods import parse_period


@pytest.fixture
def march(flow, people):
    """榜头镇 fixes both its hazards on time; 鲤城街道 voids one and lets the other run overdue (a red card)."""
    with clock.frozen(at("2026-03-02 09:00")):
        good = [flow.report() for _ in range(2)]
        bad = [flow.report("licheng_worker") for _ in range(2)]
    for i, case in enumerate(good):
        with clock.frozen(at("2026-03-02 09:30")):
            case = flow.act(case, "assign", "nanxi")
        with clock.frozen(at("2026-03-02 11:00")):
            case = flow.submit(case, by="nanxi")
        with clock.frozen(at("2026-03-02 15:00")):
            good[i] = flow.act(case, "verify_pass", "nanxi_worker", comment="已整改")
    chengnei = people["licheng_worker"].unit
    officer = chengnei.members.filter(role="station_officer").first()
    flow.people[officer.username] = officer
    with clock.frozen(at("2026-03-02 09:30")):
        flow.act(bad[0], "void", officer.username, reason_code="not_hazard", reason="现场无隐患")
        flow.act(bad[1], "assign", officer.username)
    sweep_due_cases(now=at("2026-03-10 09:00"))
    with clock.frozen(at("2026-03-10 10:00")):
        flow.act(bad[1], "supervise", "county_lead", level="red", instruction="限期三日内整改到位")
    return {"good": good, "bad": bad}


def _docx_tables(bulletin):
    with bulletin.docx.open("rb") as fh:
        doc = Document(io.BytesIO(fh.read()))
    return doc, [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def test_monthly_bulletin_docx_and_xlsx_hold_the_rankings(march):
    with clock.frozen(at("2026-04-01 08:00")):
        bulletin = bulletin_generate(kind="monthly", period=parse_period("2026-03"))
    assert bulletin.title == "仙游县安全生产网格化管理工作月度通报（2026年3月）"
    ranking = bulletin.summary["townships"]
    assert [(r["rank"], r["name"], r["grade"]) for r in ranking[:2]] == [(1, "榜头镇", "A"), (2, "鲤城街道", "E")]
    assert all(r["score"] is None and r["rank"] is None for r in ranking[2:])  # no cases: no score, not 100
    assert bulletin.summary["red_cards"] == 2  # the sweep's automatic red card at 3× the limit, and the county's

    doc, tables = _docx_tables(bulletin)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == [bulletin.title]
    assert "共上报安全生产隐患 4 件，应处置 3 件，已处置 2 件，处置率 66.67%" in text
    overview = dict(next(t for t in tables if t[0] == ["指标", "数值"])[1:])
    assert overview["作废 / 并单 / 移交"] == "1 / 0 / 0 件" and overview["处置率"] == "66.67%"
    assert "（一）红牌督办 2 件" in text
    townships = next(t for t in tables if t[0][:2] == ["排名", "单位"])
    assert townships[1][:2] == ["1", "榜头镇"] and townships[1][-1] == "A"
    assert townships[2][:2] == ["2", "鲤城街道"] and townships[2][4] == "0.00%"
    assert len(doc.inline_shapes) >= 2  # the module and ranking charts

    with bulletin.xlsx.open("rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))
    assert wb.sheetnames[:3] == ["总体情况", "乡镇排名", "部门排名"]
    rows = list(wb["乡镇排名"].iter_rows(values_only=True))
    assert rows[0][:2] == ("排名", "单位") and rows[1][:2] == (1, "榜头镇") and rows[2][:2] == (2, "鲤城街道")
    red = list(wb["红牌督办"].iter_rows(values_only=True))
    assert len(red) == 3 and red[1][0] == red[2][0] == march["bad"][1].pk
    assert list(wb["巡查覆盖"].iter_rows(values_only=True))[0][0] in ("单位", "暂无巡查数据")


def test_quarterly_report_and_regeneration_replaces_files(march, django_capture_on_commit_callbacks):
    with clock.frozen(at("2026-04-02 08:00")):
        first = bulletin_generate(kind="quarterly", period=parse_period("2026-Q1"))
        old_name = first.docx.name
        with django_capture_on_commit_callbacks(execute=True):
            again = bulletin_generate(kind="quarterly", period=parse_period("2026-Q1"))
    assert again.pk == first.pk and Bulletin.objects.count() == 1
    assert again.docx.storage.exists(again.docx.name)
    assert old_name != again.docx.name and not again.docx.storage.exists(old_name)  # removed after commit
    doc, _tables = _docx_tables(again)
    assert "季度督导报告（2026年第一季度）" in next(p.text for p in doc.paragraphs if p.style.name == "Title")
    assert again.doc_no == first.doc_no == "仙网格〔2026〕1号"  # regenerating keeps the 文号
    assert len(doc.inline_shapes) >= 3  # modules, monthly trend, ranking


def test_kind_and_period_must_match():
    from gridsafe.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        bulletin_generate(kind="monthly", period=parse_period("2026-Q1"))
    with pytest.raises(ValidationFailed):
        bulletin_generate(kind="quarterly", period=parse_period("2026-03"))


def test_no_cjk_font_is_a_clear_error(settings, tmp_path, db):
    settings.GRIDSAFE_CJK_FONT = str(tmp_path / "missing.ttf")
    charts.cjk_font_path.cache_clear()
    charts._font.cache_clear()
    try:
        with pytest.raises(charts.CjkFontMissing, match="fonts-noto-cjk"):
            bulletin_generate(kind="monthly", period=parse_period("2026-03"))
    finally:
        charts.cjk_font_path.cache_clear()
        charts._font.cache_clear()
    assert Bulletin.objects.count() == 0


def test_charts_render_chinese_labels_with_a_cjk_font():
    path = charts.cjk_font_path()
    assert charts._has_glyphs(path)
    png = charts.bar_chart(["榜头镇", "鲤城街道"], [95.0, None], title="乡镇综合得分", max_value=100)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_period_helpers_for_the_schedule():
    period = parse_period("2026-Q1")
    assert period.previous().key == "2025-Q4" and parse_period("2026-01").previous().key == "2025-12"
    assert (period.end - period.start) == timedelta(days=89)


def test_the_bulletin_looks_like_a_county_document(march):
    with clock.frozen(at("2026-04-01 08:00")):
        first = bulletin_generate(kind="monthly", period=parse_period("2026-02"))
        bulletin = bulletin_generate(kind="monthly", period=parse_period("2026-03"))
    assert (first.doc_no, bulletin.doc_no) == ("仙网格〔2026〕1号", "仙网格〔2026〕2号")
    doc, tables = _docx_tables(bulletin)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "仙游县安全生产网格化管理领导小组办公室"  # 红头
    assert texts[1] == "仙网格〔2026〕2号"
    assert texts[-2:] == ["仙游县安全生产网格化管理领导小组办公室", "2026年4月1日"]  # 发文机关署名 and date
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:3] == ["一、总体情况", "二、乡镇（街道）排名", "三、职能部门排名"]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 2"][0] == "（一）红牌督办 2 件"
    assert ["指标", "数值"] in [t[0] for t in tables]  # the figures in a table, not one run-on paragraph
    footer = doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and 'w:fldCharType="begin"' in footer
    assert abs(doc.sections[0].page_width.cm - 21.0) < 0.01

    with bulletin.xlsx.open("rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))
    ranking = wb["乡镇排名"]
    header = [c.value for c in ranking[1]]
    rate = ranking.cell(row=2, column=header.index("处置率") + 1)
    assert rate.value == 1.0 and rate.number_format == "0.00%"  # 榜头镇 100 %, stored as a fraction
    assert ranking.cell(row=3, column=header.index("处置率") + 1).value == 0  # 鲤城街道 0 %
    overview = {row[0]: row[1] for row in wb["总体情况"].iter_rows(values_only=True) if row and row[0]}
    assert overview["文号"] == "仙网格〔2026〕2号" and abs(overview["处置率"] - 2 / 3) < 1e-4
    assert bulletin.summary["doc"]["doc_no"] == "仙网格〔2026〕2号"  # the page shows the document as issued
