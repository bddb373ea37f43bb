"""我的上报 in the field API: every report the worker made, open and closed, with its timeline — comments, 督办,
returns and the closing result reach the worker; a closed report no longer disappears. Scoped to the reporter:
another worker's report (or a report the station officer can see but did not make) is the 404 of a missing one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridsafe.cases.tests.helpers import Flow


@pytest.fixture
def flow(people):
    return Flow(people)


def closed_with_history(flow: Flow):
    """王芳's report, walked to 已整改销号 the long way: a note, a return, a red card, the handling, the check."""
    case = flow.pending_review_l3(description="楼道内三辆电动车充电，堵塞安全出口")
    flow.act(case, "comment", "county", comment="已收到，转消防大队")
    case = flow.act(case, "dispatch", "county")
    flow.act(case, "return", "fire", reason_code="incomplete", reason="请补充楼栋号")
    case = flow.act(case, "dispatch", "county")
    flow.act(case, "supervise", "leader", level="red", instruction="三日内整改到位")
    case = flow.act(case, "start", "fire")
    case = flow.submit(case, by="fire")
    return flow.act(case, "verify_pass", "county_lead", comment="现场复核，已清理完毕")


def test_a_closed_report_stays_with_its_whole_timeline(api_as, flow):
    closed = closed_with_history(flow)
    still_open = flow.report(description="液化气钢瓶放在地下室")
    worker = api_as("nanxi_worker")

    week = worker.get("/api/v1/field/week").json()
    assert closed.pk not in [c["id"] for c in week["my_open_reports"]]  # 本周 lists open ones only

    page = worker.get("/api/v1/field/reports").json()
    ids = [r["id"] for r in page["items"]]
    assert ids[:2] == [still_open.pk, closed.pk]  # newest first, closed ones included
    assert page["open_count"] >= 1 and page["closed_count"] >= 1 and page["total"] == len(page["items"])
    row = page["items"][1]
    assert row["is_open"] is False and row["status_text"] == "已结案·已整改销号"
    assert row["last_event"]["kind"] == "case.verified" and row["last_event"]["comment"] == "现场复核，已清理完毕"
    assert [r["id"] for r in worker.get("/api/v1/field/reports?status=closed").json()["items"]] == [closed.pk]
    assert closed.pk not in [r["id"] for r in worker.get("/api/v1/field/reports?status=open").json()["items"]]

    detail = worker.get(f"/api/v1/field/reports/{closed.pk}").json()
    kinds = [line["kind"] for line in detail["timeline"]]
    assert kinds[0] == "case.reported" and kinds[-1] == "case.verified"
    assert {"case.commented", "case.returned", "case.supervised", "case.submitted"} <= set(kinds)
    line = {entry["kind"]: entry for entry in detail["timeline"]}
    assert line["case.commented"]["comment"] == "已收到，转消防大队"
    assert "原因：信息不全" in line["case.returned"]["detail"]
    assert "红牌" in line["case.supervised"]["detail"] and line["case.supervised"]["comment"] == "三日内整改到位"
    assert detail["result"] == {
        "status_text": "已结案·已整改销号",
        "fixed": True,
        "method_label": "整改",
        "measures": "已清理楼道",
        "closing_comment": "现场复核，已清理完毕",
        "closed_by": detail["result"]["closed_by"],
        "closed_at": detail["result"]["closed_at"],
    }
    assert detail["result"]["closed_by"] and detail["photos"]  # the report's photo and the after photo


def test_only_the_reporter_reads_a_report(api_as, flow):
    case = flow.report()
    url = f"/api/v1/field/reports/{case.pk}"
    assert api_as("nanxi_worker").get(url).status_code == 200
    missing = api_as("licheng_worker").get("/api/v1/field/reports/987654321")
    for other in ("licheng_worker", "nanxi"):  # another worker; the station officer who sees the case
        theirs = api_as(other).get(url)
        assert theirs.status_code == 404 and theirs.json() == missing.json(), other
    assert case.pk not in [r["id"] for r in api_as("licheng_worker").get("/api/v1/field/reports").json()["items"]]


def test_the_list_costs_the_same_queries_with_more_reports(api_as, flow):
    worker = api_as("nanxi_worker")
    flow.report()
    worker.get("/api/v1/field/reports")
    with CaptureQueriesContext(connection) as one:
        worker.get("/api/v1/field/reports")
    for _ in range(4):
        flow.act(flow.report(), "comment", "nanxi", comment="已受理")
    worker.get("/api/v1/field/reports")  # per-process caches the new rows may have refreshed, warm again
    with CaptureQueriesContext(connection) as five:
        assert len(worker.get("/api/v1/field/reports").json()["items"]) >= 5
    assert len(five) == len(one) <= 8


def test_the_web_page_lists_my_reports_closed_ones_included(client, people, flow):
    """我的上报 on the web for a grid worker: the same list, each row opening the case page with its timeline."""
    closed = closed_with_history(flow)
    client.force_login(people["nanxi_worker"])
    html = client.get("/my-reports/?status=closed").content.decode()
    assert f'data-report="{closed.pk}"' in html and "已结案·已整改销号" in html and "现场复核，已清理完毕" in html
    assert client.get(f"/cases/{closed.pk}/").status_code == 200  # the reporter opens its case page
    client.force_login(people["licheng_worker"])
    assert f'data-report="{closed.pk}"' not in client.get("/my-reports/").content.decode()
    client.force_login(people["nanxi"])
    assert client.get("/my-reports/").status_code == 404  # a station officer has the case list instead
