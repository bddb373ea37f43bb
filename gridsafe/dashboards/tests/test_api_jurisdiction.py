"""Every /api/v1/stats endpoint: the happy path, and 404 outside the 辖区 (a sibling township, a sibling village,
another department, another grid worker), 401 for nobody. Missing and "not yours" look the same."""

import functools

import pytest

from gridsafe.accounts.models import Unit
from gridsafe.api import api
from gridsafe.regions.models import Region

PROBLEM = "application/problem+json"
NANXI_VILLAGE = "南溪村"
LICHENG = "350322001"
BANGTOU = "350322101"


@pytest.fixture
def world(flow, people):
    case = flow.dispatched()  # 南溪村 → 榜头镇 → county → 县消防救援大队
    nanxi = Region.objects.get(level=3, name=NANXI_VILLAGE, path__startswith="350322.101")
    return {
        "case": case,
        "nanxi": nanxi.code,
        "fire": people["fire"].unit_id,
        "safety": Unit.objects.get(code=f"safety-{BANGTOU}").pk,
        "worker": people["nanxi_worker"].pk,
    }


def _ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def _hidden(response):
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == PROBLEM


def test_region_report(api_as, world):
    county = _ok(api_as("county").get("/api/v1/stats/kpis", node="350322"))
    assert county["counts"]["reported"] == 1 and len(county["children"]) == 24  # 18 乡镇(街道) + 6 管委会
    assert _ok(api_as("bangtou").get("/api/v1/stats/kpis", node=BANGTOU))["name"] == "榜头镇"
    assert _ok(api_as("bangtou").get("/api/v1/stats/kpis"))["code"] == BANGTOU  # default: the user's own node
    assert _ok(api_as("nanxi").get("/api/v1/stats/kpis", node=world["nanxi"]))["counts"]["reported"] == 1
    _hidden(api_as("bangtou").get("/api/v1/stats/kpis", node=LICHENG))
    _hidden(api_as("bangtou").get("/api/v1/stats/kpis", node="350322"))  # the county is above the township
    _hidden(api_as("quanshan").get("/api/v1/stats/kpis", node=world["nanxi"]))
    _hidden(api_as("fire").get("/api/v1/stats/kpis", node="350322"))
    _hidden(api_as("county").get("/api/v1/stats/kpis", node="999999"))


def test_region_report_query_count_does_not_grow_with_cases(api_as, world, flow, django_assert_max_num_queries):
    county = api_as("county")
    for _ in range(3):
        flow.report()
    with django_assert_max_num_queries(12):  # auth (token, user, unit) + jurisdiction + 6 for the report
        _ok(county.get("/api/v1/stats/kpis", node="350322", period="all"))


def test_departments_for_region(api_as, world):
    rows = _ok(api_as("county").get("/api/v1/stats/departments", node="350322"))["rows"]
    fire = next(r for r in rows if r["id"] == world["fire"])
    assert fire["counts"]["reported"] == 1
    township = _ok(api_as("bangtou").get("/api/v1/stats/departments", node=BANGTOU))["rows"]
    assert {r["name"] for r in township} == {"榜头镇安监站", "榜头镇村建站"}
    _hidden(api_as("bangtou").get("/api/v1/stats/departments", node="350322"))
    _hidden(api_as("bangtou").get("/api/v1/stats/departments", node=LICHENG))


def test_department_report(api_as, world):
    assert _ok(api_as("fire").get(f"/api/v1/stats/departments/{world['fire']}"))["counts"]["reported"] == 1
    assert _ok(api_as("county").get(f"/api/v1/stats/departments/{world['fire']}"))["name"] == "县消防救援大队"
    assert _ok(api_as("bangtou").get(f"/api/v1/stats/departments/{world['safety']}"))["name"] == "榜头镇安监站"
    _hidden(api_as("gas").get(f"/api/v1/stats/departments/{world['fire']}"))
    _hidden(api_as("bangtou").get(f"/api/v1/stats/departments/{world['fire']}"))
    _hidden(api_as("county").get("/api/v1/stats/departments/999999"))


def test_workers(api_as, world):
    rows = _ok(api_as("nanxi").get("/api/v1/stats/workers", node=world["nanxi"]))["rows"]
    assert any(r["id"] == world["worker"] and r["reported"] == 1 for r in rows)
    _hidden(api_as("quanshan").get("/api/v1/stats/workers", node=world["nanxi"]))
    assert _ok(api_as("nanxi_worker").get(f"/api/v1/stats/workers/{world['worker']}"))["reported"] == 1
    assert _ok(api_as("nanxi").get(f"/api/v1/stats/workers/{world['worker']}"))["id"] == world["worker"]
    _hidden(api_as("quanshan").get(f"/api/v1/stats/workers/{world['worker']}"))
    _hidden(api_as("licheng_worker").get(f"/api/v1/stats/workers/{world['worker']}"))


def test_trend_and_watched(api_as, world):
    series = _ok(api_as("county").get("/api/v1/stats/trend", node="350322", months=3, days=7))
    assert len(series["months"]) == 3 and len(series["days"]) == 7
    assert _ok(api_as("fire").get("/api/v1/stats/trend", unit=world["fire"]))["reported"][-1] == 1
    _hidden(api_as("bangtou").get("/api/v1/stats/trend", node=LICHENG))
    _hidden(api_as("gas").get("/api/v1/stats/trend", unit=world["fire"]))
    assert _ok(api_as("county").get("/api/v1/stats/watched", node="350322")) == []
    assert _ok(api_as("fire").get("/api/v1/stats/watched", unit=world["fire"], kind="supervised")) == []
    _hidden(api_as("quanshan").get("/api/v1/stats/watched", node=world["nanxi"]))
    _hidden(api_as("gas").get("/api/v1/stats/watched", unit=world["fire"]))


def test_drill(api_as, world):
    case_id = world["case"].pk
    found = _ok(api_as("county").get("/api/v1/stats/drill", node=BANGTOU, metric="valid"))
    assert found["count"] == 1 and found["cases"][0]["id"] == case_id
    mine = _ok(api_as("fire").get("/api/v1/stats/drill", scope="u", node=world["fire"], metric="reported"))
    assert [c["id"] for c in mine["cases"]] == [case_id]
    _hidden(api_as("quanshan").get("/api/v1/stats/drill", node=world["nanxi"], metric="reported"))
    _hidden(api_as("bangtou").get("/api/v1/stats/drill", node=LICHENG, metric="reported"))
    _hidden(api_as("gas").get("/api/v1/stats/drill", scope="u", node=world["fire"], metric="reported"))
    _hidden(api_as("quanshan").get("/api/v1/stats/drill", scope="w", node=world["worker"], metric="reported"))
    bad = api_as("county").get("/api/v1/stats/drill", node=BANGTOU, metric="drop table")
    assert bad.status_code == 422


def test_screen(api_as, world):
    from gridsafe.video.tests.helpers import camera_in

    camera_in("南溪村", 1), camera_in("南溪村", 2, is_active=False)  # the register's cameras in use are counted
    feed = _ok(api_as("county").get("/api/v1/stats/screen"))
    assert feed["counters"]["cameras"] == 1 and feed["counters"]["grids"] == 711
    assert [p["id"] for p in feed["points"]] == [world["case"].pk]
    assert len(feed["ranking"]) == 24 and feed["latest"][0]["id"] == world["case"].pk
    geo = _ok(api_as("county").get("/api/v1/stats/screen/regions"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 1 + 24 + 325
    assert _ok(api_as("bangtou").get("/api/v1/stats/screen"))["node"]["code"] == BANGTOU
    _hidden(api_as("bangtou").get("/api/v1/stats/screen", node=LICHENG))
    _hidden(api_as("bangtou").get("/api/v1/stats/screen/regions", node=LICHENG))
    _hidden(api_as("fire").get("/api/v1/stats/screen"))


def test_inspection_compliance_and_report_shortfall(api_as, world):
    report = _ok(api_as("bangtou").get("/api/v1/stats/inspections/compliance", node=BANGTOU))
    assert {s["level"] for s in report["summary"]} == {2, 3}
    _hidden(api_as("bangtou").get("/api/v1/stats/inspections/compliance", node=LICHENG))
    status = _ok(api_as("county").get("/api/v1/stats/reports/shortfall", node="350322"))
    assert len(status["units"]) == 24 + 6  # township (and 管委会) centres and county departments
    _hidden(api_as("bangtou").get("/api/v1/stats/reports/shortfall", node=LICHENG))


def test_bulletin_list(api_as, world):
    from gridsafe.dashboards.bulletins import bulletin_generate
    from gridsafe.dashboards.periods import parse_period

    bulletin_generate(kind="monthly", period=parse_period("2026-10"))
    assert [b["kind"] for b in _ok(api_as("county").get("/api/v1/stats/bulletins"))] == ["monthly"]
    assert len(_ok(api_as("bangtou").get("/api/v1/stats/bulletins"))) == 1  # distributed to the townships it ranks
    assert _ok(api_as("nanxi_worker").get("/api/v1/stats/bulletins")) == []


STATS_OPERATIONS = {
    "region_report",
    "departments_for_region",
    "department_report",
    "workers_for_region",
    "worker_report",
    "trend",
    "watched_cases",
    "drill_cases",
    "screen_feed",
    "screen_regions",
    "inspection_compliance",
    "report_shortfall",
    "bulletin_list",
}


@functools.cache
def _stats_operations():
    return {
        op["operationId"]: (method.upper(), path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method, op in methods.items()
        if path.startswith("/api/v1/stats")
    }


def test_every_stats_operation_has_a_jurisdiction_test_here():
    assert set(_stats_operations()) == STATS_OPERATIONS


@pytest.mark.parametrize("operation_id", sorted(STATS_OPERATIONS))
def test_anonymous_gets_401(operation_id, client):
    _method, path = _stats_operations()[operation_id]
    url = path.replace("{unit_id}", "1").replace("{user_id}", "1")
    response = client.get(url, {"node": "350322", "metric": "reported"})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
