"""KPIs from rollups kept by the real services, against a table computed by hand.

Six fire hazards in 南溪村, first week of March 2026 (fire-ebike-indoor: 处置 limit 1 工作日):

| case | path                                              | at the cut-off (03-03 14:00)      |
|------|---------------------------------------------------|-----------------------------------|
| A    | assign, submit on time, 核查通过                   | resolved, on time                 |
| B    | assign, submit two days late                      | handled late, pending 核查         |
| C    | assign, never submitted                           | open, overdue (swept)             |
| D    | reported and assigned on 03-03                    | open, not yet due: in neither side |
| E    | 作废                                               | excluded                          |
| F    | assign, submit, 核查不通过 (返工), submit again     | handled on time, 1 rework         |

应处置 5 · 处置 3 (A B F) · 按期处置 2 (A F) · 超期未处置 1 (C) · 结案 1 (A) · 超期未结案 2 (B C)
处置率 60 % · 按期处置率 2/(3+1) = 50 % · 结案率 20 % · 按期结案率 1/(1+2) = 33.33 % · 返工率 1/(3+1) = 25 %
"""

from datetime import date

import pytest

from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards.drill import drill_case_ids
from gridsafe.dashboards.models import Scope
from gridsafe.dashboards.periods import parse_period
from gridsafe.dashboards.rollups import direct_counts, rollups_diff
from gridsafe.dashboards.selectors import department_report, region_report, trend, watched_cases
from gridsafe.regions.models import Region


def _submit(flow, case, by, when):
    with clock.frozen(when):
        return flow.submit(case, by=by)


@pytest.fixture
def week(flow):
    def act(case, action, by, when, **fields):
        with clock.frozen(at(when)):
            return flow.act(case, action, by, **fields)

    with clock.frozen(at("2026-03-02 09:00")):
        a, b, c, e, f = (flow.report() for _ in range(5))
    a, b, c, f = (act(x, "assign", "nanxi", "2026-03-02 09:10") for x in (a, b, c, f))
    e = act(e, "void", "nanxi", "2026-03-02 09:10", reason_code="not_hazard", reason="现场无隐患")
    a = _submit(flow, a, "nanxi", at("2026-03-02 11:00"))
    a = act(a, "verify_pass", "nanxi_worker", "2026-03-02 15:00", comment="已整改")
    f = _submit(flow, f, "nanxi", at("2026-03-02 11:00"))
    f = act(f, "verify_fail", "nanxi_worker", "2026-03-02 15:00", reason="仍有电动车在楼道充电")
    f = _submit(flow, f, "nanxi", at("2026-03-03 10:00"))
    sweep_due_cases(now=at("2026-03-03 12:00"))  # C is past its 处置 deadline (03-03 09:10)
    with clock.frozen(at("2026-03-03 12:30")):
        d = flow.report()
    d = act(d, "assign", "nanxi", "2026-03-03 12:40")
    b = _submit(flow, b, "nanxi", at("2026-03-03 14:00"))  # late
    sweep_due_cases(now=at("2026-03-03 14:00"))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


EXPECTED_COUNTS = {
    "reported": 6,
    "valid": 5,
    "invalid": 1,
    "handled": 3,
    "handled_on_time": 2,
    "overdue_unhandled": 1,
    "resolved": 1,
    "closed_on_time": 1,
    "overdue_unclosed": 2,
    "reworks": 1,
}
EXPECTED_KPIS = {
    "handling_rate": (60.0, 3, 5),
    "handling_on_time": (50.0, 2, 4),
    "closure_rate": (20.0, 1, 5),
    "closure_on_time": (33.33, 1, 3),
    "rework_rate": (25.0, 1, 4),
    "accurate_filing": (83.33, 5, 6),
    "check_on_time": (100.0, 2, 2),
    "confirm_on_time": (None, 0, 0),
}


def _check(report):
    counts = report["counts"]
    assert {k: counts[k] for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    kpis = {k: (report["kpis"][k]["value"], report["kpis"][k]["num"], report["kpis"][k]["den"]) for k in EXPECTED_KPIS}
    assert kpis == EXPECTED_KPIS


def test_hand_computed_table_at_every_level_and_period(week, people):
    grid = Region.objects.get(pk=week["A"].region_id)
    nodes = [Region.objects.get(path=p) for p in grid.ancestor_paths()]  # county, 榜头镇, 南溪村, the grid
    for node in nodes:
        for period in ("2026-03", "2026-Q1", "2026", "all", "2026-03-01..2026-03-04"):
            _check(region_report(node, parse_period(period), children=False))
    fire = region_report(nodes[0], parse_period("2026-03"), domain_code="fire")
    _check(fire)
    assert [d["code"] for d in fire["domains"]] == ["fire"]
    # A custom range of one day reads day rows only: D was reported on the 3rd.
    one_day = region_report(nodes[2], parse_period("2026-03-03..2026-03-03"), children=False)
    assert one_day["counts"]["reported"] == 1 and one_day["counts"]["handled"] == 0
    assert region_report(nodes[2], parse_period("2026-04"), children=False)["counts"]["reported"] == 0


def test_gauges_flows_trend_and_red_list(week):
    county = Region.objects.get(code="350322")
    report = region_report(county, parse_period("2026-03"))
    gauges = report["gauges"]
    assert gauges["open_pending_verification"] == 2 and gauges["open_handling"] == 2
    # The sweep at 12:00 found B and C past their deadline and raised an automatic 督办 on both; B was then
    # submitted (late), so it is no longer overdue but its 督办 stands until the case closes.
    assert gauges["overdue"] == 1 and gauges["supervised"] == 2
    assert (
        report["flows"]["f_handled"] == 4 and report["flows"]["f_resolved"] == 1 and report["flows"]["f_reworks"] == 1
    )
    series = trend(Scope.REGION, int(county.code), end=date(2026, 3, 3), months=2, days=2)
    assert series["months"] == ["2026-02", "2026-03"] and series["reported"] == [0, 6]
    assert series["day_reported"] == [5, 1] and series["day_handled"] == [2, 2] and series["day_resolved"] == [1, 0]
    assert [c.pk for c in watched_cases(path=county.path)] == [week["C"].pk]
    assert [c.pk for c in watched_cases(path=county.path, kind="supervised")] == [week["C"].pk, week["B"].pk]
    ranking = report["children"]
    assert ranking[0]["name"] == "榜头镇" and ranking[0]["rank"] == 1 and ranking[0]["score"] is not None


def test_every_figure_drills_down_to_exactly_its_cases(week, people):
    county_user = people["county"]
    node = 350322101  # 榜头镇
    period = parse_period("2026-03")
    ids = {name: case.pk for name, case in week.items()}

    def drill(metric):
        return sorted(drill_case_ids(county_user, scope=Scope.REGION, node=node, period=period, metric=metric))

    assert drill("valid") == sorted(ids[x] for x in "ABCDF")
    assert drill("handled") == sorted(ids[x] for x in "ABF")
    assert drill("handled_on_time") == sorted(ids[x] for x in "AF")
    assert drill("handled+overdue_unhandled") == sorted(ids[x] for x in "ABCF")
    assert drill("overdue_unclosed") == sorted(ids[x] for x in "BC")
    assert drill("reported-invalid") == sorted(ids[x] for x in "ABCDF")
    assert drill("reworks") == [ids["F"]]
    assert drill("now:overdue") == [ids["C"]]
    assert sorted(
        drill_case_ids(county_user, scope=Scope.REGION, node=node, period=period, metric="f_handled")
    ) == sorted(ids[x] for x in "ABF")


def test_rollups_equal_the_direct_count(week):
    assert rollups_diff() == {"cells": [], "gauges": [], "watched": []}
    assert direct_counts(level=2) == [] and direct_counts(level=4) == []


def test_department_kpis_follow_the_case_to_the_department(flow, people):
    with clock.frozen(at("2026-03-02 09:00")):
        case = flow.handling_dept()  # reported, escalated twice, dispatched to 县消防救援大队, 签收
    with clock.frozen(at("2026-03-02 10:00")):
        flow.submit(case, by="fire")
    fire = people["fire"].unit
    report = department_report(fire, parse_period("2026-03"))
    assert report["counts"]["reported"] == 1 and report["counts"]["handled"] == 1
    assert report["flows"]["f_dispatches"] == 1 and report["kpis"]["handling_rate"]["value"] == 100.0
    assert rollups_diff() == {"cells": [], "gauges": [], "watched": []}
