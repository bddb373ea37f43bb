"""N+1 guards: what a page costs in queries does not grow with the rows on it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import counted_queries
from gridsafe.cases.tests.helpers import NANXI, village_grid_point


def _queries(api, path, **params) -> int:
    """Queries of a request made after a first one: the token's identity is then kept (accounts.identities)."""
    api.get(path, **params)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return len(counted_queries(ctx))


def _report_many(flow, n, **kw):
    for _ in range(n):
        flow.report(**kw)


@pytest.mark.parametrize("username", ["nanxi_worker", "nanxi", "bangtou", "county", "leader"])
def test_case_list_costs_the_same_for_3_and_10_cases(flow, as_user, username):
    api = as_user(username)
    _report_many(flow, 3)
    with_3 = _queries(api, "/api/v1/cases")
    assert api.get("/api/v1/cases").json()["total"] == 3

    _report_many(flow, 7)
    with_10 = _queries(api, "/api/v1/cases")

    assert api.get("/api/v1/cases").json()["total"] == 10
    assert with_10 == with_3
    # One count, one page joined to its category, domain, region, holder (the token's identity is kept).
    assert with_3 <= 3


def test_case_list_total_stops_at_the_cap_and_pages_say_whether_more_follow(flow, as_user, monkeypatch):
    """At 10 M cases an exact total read every matching case: the total is exact up to API_COUNT_CAP and says
    "more than that" beyond it; `has_more` tells a client whether to ask for the next page."""
    from gridsafe.cases import api as cases_api

    county = as_user("county")
    _report_many(flow, 3)
    exact = county.get("/api/v1/cases").json()
    assert (exact["total"], exact["total_capped"], exact["has_more"]) == (3, False, False)
    monkeypatch.setattr(cases_api, "API_COUNT_CAP", 2)
    first = county.get("/api/v1/cases", limit=2).json()
    assert (first["total"], first["total_capped"], first["has_more"], len(first["items"])) == (3, True, True, 2)
    last = county.get("/api/v1/cases", limit=2, offset=2).json()
    assert (last["has_more"], len(last["items"])) == (False, 1)
    assert {c["id"] for c in first["items"]} | {c["id"] for c in last["items"]} == {c["id"] for c in exact["items"]}


def test_case_list_for_a_department_costs_the_same_for_3_and_10_cases(flow, as_user):
    fire = as_user("fire")
    for _ in range(3):
        flow.dispatched()
    with_3 = _queries(fire, "/api/v1/cases")
    for _ in range(7):
        flow.dispatched()
    assert _queries(fire, "/api/v1/cases") == with_3
    assert fire.get("/api/v1/cases").json()["total"] == 10


def test_filtered_list_costs_the_same(flow, as_user):
    county = as_user("county")
    point = village_grid_point(NANXI)
    _report_many(flow, 3, point=point)
    filters = {"state": "pending_review", "light": "green", "q": "电动车", "region": "350322101", "order": "due"}
    with_3 = _queries(county, "/api/v1/cases", **filters)
    _report_many(flow, 7, point=point)
    assert _queries(county, "/api/v1/cases", **filters) == with_3
    assert county.get("/api/v1/cases", **filters).json()["total"] == 10


def test_case_detail_costs_the_same_with_a_long_timeline(flow, as_user):
    nanxi = as_user("nanxi")
    case = flow.report()
    for i in range(2):
        case = flow.act(case, "comment", "nanxi_worker", comment=f"补充 {i}")
    short = _queries(nanxi, f"/api/v1/cases/{case.pk}")
    for i in range(10):
        case = flow.act(
            case, "comment", "nanxi_worker", comment=f"补充 {i}", attachment_ids=[flow.photo(case, "nanxi")]
        )
    assert len(nanxi.get(f"/api/v1/cases/{case.pk}").json()["events"]) == 13
    assert _queries(nanxi, f"/api/v1/cases/{case.pk}") == short


def test_reporting_a_hazard_costs_a_fixed_handful_of_statements(as_user):
    """The intake path (bench/intake), once the reference caches are warm and the token's lookup is kept
    (accounts.identities): the case, its event and two rollup upserts (on PostgreSQL one statement, its own
    transaction: core.rows.Writes). Nothing after commit: the desk reads of the report when it looks
    (inbox_catch_up). No resend check (the unique client_id is), no category query (cached); the answer (grid
    name, holder unit) needs no query of its own. The first request of a token also looks it up (with the user,
    unit and region in one query, the worker's grids in a second)."""
    import uuid

    worker = as_user("nanxi_worker")
    lon, lat = village_grid_point(NANXI)

    def report():
        body = {"client_id": str(uuid.uuid4()), "category": "fire-ebike-indoor", "description": "楼道充电"}
        return worker.post("/api/v1/cases", {**body, "lon": lon, "lat": lat})

    with CaptureQueriesContext(connection) as first:
        assert report().status_code == 201  # warms the grid index, routing, time limits and calendar caches
    assert len([q for q in first.captured_queries if 'FROM "accounts_apitoken" INNER JOIN' in q["sql"]]) == 1
    with CaptureQueriesContext(connection) as ctx:
        response = report()
    assert response.status_code == 201, response.content
    assert response.json()["region_name"] and response.json()["holder_unit"]["name"]
    # The test's own transaction adds savepoints around the writes; production runs them without.
    sql = [q for q in counted_queries(ctx) if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    shapes = [s[:60] for s in sql]
    writes = sql
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and writes[0].startswith('WITH w0 AS (INSERT INTO "cases_case"'), shapes
        for table in ("cases_caseevent", "dashboards_statcell", "dashboards_statgauge"):
            assert f'INSERT INTO "{table}"' in writes[0]
    else:
        tables = [w.split('"')[1] for w in writes]
        assert tables == ["cases_case", "cases_caseevent", "dashboards_statcell", "dashboards_statgauge"], shapes


def test_a_desk_looking_at_its_inbox_costs_a_fixed_handful_of_statements(as_user, flow):
    """The badge poll every 15 s and the inbox: the catch-up is one INSERT … SELECT whatever the desk holds."""
    nanxi = as_user("nanxi")
    _report_many(flow, 3)
    nanxi.get("/api/v1/notifications")  # the first look also starts the desk's cursor
    _report_many(flow, 2)
    few = _queries(nanxi, "/api/v1/notifications")
    _report_many(flow, 8)
    assert _queries(nanxi, "/api/v1/notifications") == few
    assert nanxi.get("/api/v1/notifications").json()["total"] == 13
