"""季度督导 records, the bulletin as a page, and the annual 责任制考评: services audited, pages 404 outside the 辖区,
the quarterly 督导 report lists the visits with their follow-up cases, exports with percentages."""

import io
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.models import AuditEvent
from gridsafe.dashboards.bulletins import bulletin_generate
from gridsafe.dashboards.models import OversightVisit
from gridsafe.dashboards.oversight import oversight_visit_link_case, oversight_visit_record
from gridsafe.dashboards.periods import parse_period
from gridsafe.dashboards.tests.test_pages import _page
from gridsafe.regions.models import Region

BANGTOU = "350322101"
LICHENG = "350322001"


@pytest.fixture
def login(client, people):
    def as_(username):
        client.force_login(people[username])
        return client

    return as_


@pytest.fixture
def nanxi():
    return Region.objects.get(level=3, name="南溪村", path__startswith="350322.101")


def _visit(people, region, **extra):
    fields = {"visited_on": date(2026, 11, 12), "leader_name": "张书记", "findings": "楼道电动车充电未清理"}
    with clock.frozen(at("2026-11-12 17:00")):
        return oversight_visit_record(actor=people["county"], region=region, **{**fields, **extra})


def test_recording_a_visit_is_audited_and_checked(people, nanxi):
    visit = _visit(people, nanxi, team="郑华、黄建国", rectify_by=date(2026, 11, 30))
    assert visit.region_path == nanxi.path and visit.created_by == people["county"]
    assert AuditEvent.objects.filter(action="oversight_visit.recorded", target=f"oversight_visit:{visit.pk}").exists()
    with pytest.raises(NotFound):  # a station officer does not record the county's 督导
        with clock.frozen(at("2026-11-12 17:00")):
            oversight_visit_record(actor=people["nanxi"], region=nanxi, visited_on=date(2026, 11, 12),
                                   leader_name="x", findings="y")  # fmt: skip
    with pytest.raises(NotFound):  # 榜头镇's centre does not record a visit in 鲤城街道
        with clock.frozen(at("2026-11-12 17:00")):
            oversight_visit_record(actor=people["bangtou"], region=Region.objects.get(code=LICHENG),
                                   visited_on=date(2026, 11, 12), leader_name="x", findings="y")  # fmt: skip
    with pytest.raises(ValidationFailed):
        _visit(people, nanxi, rectify_by=date(2026, 11, 1))  # before the visit
    with pytest.raises(ValidationFailed):
        _visit(people, nanxi, findings="  ")


def test_a_follow_up_case_is_linked_once_and_only_from_the_visited_area(people, nanxi, flow):
    visit = _visit(people, nanxi)
    case = flow.report()  # 王芳's report in 南溪村
    other = flow.report("licheng_worker")
    assert oversight_visit_link_case(actor=people["county"], visit=visit, case_id=case.pk) == case
    oversight_visit_link_case(actor=people["county"], visit=visit, case_id=case.pk)  # again: nothing new
    assert list(visit.cases.all()) == [case]
    assert AuditEvent.objects.filter(action="oversight_visit.case_linked").count() == 1
    with pytest.raises(ValidationFailed):
        oversight_visit_link_case(actor=people["county"], visit=visit, case_id=other.pk)
    with pytest.raises(NotFound):
        oversight_visit_link_case(actor=people["county"], visit=visit, case_id=10**9)


def test_visit_pages_by_jurisdiction(login, people, nanxi, flow):
    county = login("county")
    html = _page(county.get("/oversight/visits/new/"))
    assert "督导对象" in html and "南溪村" in html
    with clock.frozen(at("2026-11-12 17:00")):
        response = county.post(
            "/oversight/visits/new/",
            {"region": nanxi.code, "visited_on": "2026-11-12", "leader_name": "张书记", "findings": "消防通道堵塞"},
        )
    assert response.status_code == 302, response.content[:400]
    visit = OversightVisit.objects.get()
    detail = f"/oversight/visits/{visit.pk}/"
    case = flow.report()
    html = _page(county.post(detail, {"case_id": case.pk}))
    assert f"已关联隐患 #{case.pk}" in html and "跟踪隐患：1 件" in html
    with clock.frozen(at("2026-11-20 10:00")):
        html = _page(county.get("/oversight/visits/", {"quarter": "2026-Q4"}))
    assert "消防通道堵塞" in html and "尚未督导" in html
    assert "南溪村" in _page(login("nanxi").get(detail))  # the visited village's station sees it
    assert "关联已有隐患" not in _page(login("nanxi").get(detail))  # …but does not edit it
    _page(login("quanshan").get(detail), 404)  # a sibling village: 404, as if it did not exist
    _page(login("licheng_worker").get(detail), 404)
    _page(login("nanxi").get("/oversight/visits/new/"), 404)
    _page(login("quanshan").post(detail, {"case_id": case.pk}), 404)


def test_the_quarterly_report_lists_the_visits_with_their_follow_up(people, nanxi, flow, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    visit = _visit(people, nanxi, requirements="限期清理", rectify_by=date(2026, 11, 30))
    oversight_visit_link_case(actor=people["county"], visit=visit, case_id=flow.report().pk)
    with clock.frozen(at("2027-01-04 08:00")):
        bulletin = bulletin_generate(kind="quarterly", period=parse_period("2026-Q4"))
    visits = bulletin.summary["doc"]["visits"]
    assert [(v["target"], v["cases"], v["cases_resolved"]) for v in visits] == [("南溪村", 1, 0)]
    with bulletin.docx.open("rb") as fh:
        doc = Document(io.BytesIO(fh.read()))
    assert "八、季度督导检查情况" in [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "日期" and len(t.columns) == 7)
    assert [c.text for c in table.rows[1].cells][:3] == ["2026-11-12", "南溪村", "张书记"]
    assert table.rows[1].cells[-1].text == "0/1"
    with bulletin.xlsx.open("rb") as fh:
        assert "督导检查" in load_workbook(io.BytesIO(fh.read())).sheetnames


def test_the_bulletin_page_shows_the_document_and_the_schedule(login, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with clock.frozen(at("2026-12-01 08:00")):
        bulletin = bulletin_generate(kind="monthly", period=parse_period("2026-11"))
    with clock.frozen(at("2026-12-06 10:00")):
        html = _page(login("county").get("/bulletins/"))
        assert "下一期：2026年12月月度通报 2027年1月" in html and "自动生成" in html
        assert "2027年的节假日安排尚未录入工作日历" in html
        assert f"/bulletins/{bulletin.pk}/" in html and bulletin.doc_no in html
    html = _page(login("bangtou").get(f"/bulletins/{bulletin.pk}/"))
    assert bulletin.doc_no in html and "一、总体情况" in html and "<th>指标</th>" in html and "榜头镇" in html
    _page(login("nanxi_worker").get(f"/bulletins/{bulletin.pk}/"), 404)


def test_a_late_bulletin_is_said_to_be_late(login):
    with clock.frozen(at("2026-12-01 11:00")):  # due at 08:00 today, no worker ran
        html = _page(login("county").get("/bulletins/"))
    assert "2026年11月月度通报应于 2026-12-01 08:00 自动生成，尚未生成" in html


def test_appraisal_list_and_sheet_by_jurisdiction(login, people):
    with clock.frozen(at("2026-12-06 10:00")):
        html = _page(login("county").get("/oversight/appraisal/", {"year": "2026"}))
        assert "2026年安全生产责任制考评" in html and "榜头镇网格化中心" in html and "县消防救援大队" in html
        html = _page(login("bangtou").get("/oversight/appraisal/"))
        assert "榜头镇网格化中心" in html and "鲤城街道网格化中心" not in html and "县消防救援大队" not in html
        centre = people["bangtou"].unit
        html = _page(login("bangtou").get(f"/oversight/appraisal/{centre.pk}/", {"year": "2026"}))
        assert "一、业务指标" in html and "2026年第一季度" in html and "信息材料报送" in html and "网格巡查覆盖" in html
        fire = people["fire"].unit
        _page(login("bangtou").get(f"/oversight/appraisal/{fire.pk}/"), 404)
        assert "县消防救援大队" in _page(login("fire_lead").get(f"/oversight/appraisal/{fire.pk}/"))
        _page(login("fire_lead").get(f"/oversight/appraisal/{centre.pk}/"), 404)
        assert "不在责任制考评的责任单位之列" in _page(login("nanxi").get("/oversight/appraisal/"))  # no rows
        _page(login("nanxi").get(f"/oversight/appraisal/{centre.pk}/"), 404)
        response = login("county").get(f"/oversight/appraisal/{centre.pk}/", {"year": "2026", "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    ws = load_workbook(io.BytesIO(response.content))["考评表"]
    header_row = next(i for i, row in enumerate(ws.iter_rows(values_only=True), 1) if row[0] == "周期")
    assert ws.cell(row=header_row + 1, column=4).number_format == "0.00%"
    assert AuditEvent.objects.filter(action="appraisal.export", target=f"appraisal:{centre.pk}").exists()


def test_the_menu_leads_to_the_oversight_pages_of_those_who_use_them(people):
    from gridsafe.dashboards.menu import menu_for

    def links(username):
        return {link["url"] for group in menu_for(people[username]) for link in group["links"]}

    assert {"/oversight/visits/", "/oversight/appraisal/"} <= links("county")
    assert {"/oversight/visits/", "/oversight/appraisal/"} <= links("leader")
    assert {"/oversight/visits/", "/oversight/appraisal/"} <= links("fire_lead")  # its own 考评表
    assert "/oversight/visits/" in links("nanxi") and "/oversight/appraisal/" not in links("nanxi")  # a station
    assert not {"/oversight/visits/", "/oversight/appraisal/"} & links("nanxi_worker")
