"""Scores that mean something (issue 14): no activity is "—", not 100 A; a grid worker's score includes patrol
coverage; a department that closed nothing on time is not graded A. The §5 formulas are unchanged."""

import uuid
from datetime import timedelta

import pytest

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.kpis import composite, grade_capped, has_activity, kpi_values
from gridsafe.dashboards.models import CELL_COUNTERS, Scope
from gridsafe.dashboards.periods import parse_period
from gridsafe.field.models import Patrol

NOVEMBER = parse_period("2026-11")


def _cells(counts: dict) -> dict:
    """One domain's row of cell_sums: a tuple in CELL_COUNTERS order."""
    return {1: tuple(counts.get(name, 0) for name in CELL_COUNTERS)}


def test_zero_on_time_closure_caps_a_department_at_b():
    counts = {"reported": 10, "handled": 10, "handled_on_time": 10, "resolved": 10, "closed_on_time": 0}
    values = kpi_values(counts)
    from gridsafe.dashboards.config import DEFAULT_WEIGHTS
    from gridsafe.dashboards.kpis import Weight

    weights = [Weight(k, w) for p, k, w, _b, _g in DEFAULT_WEIGHTS if p == "department"]
    result = composite(counts, weights, values=values)
    assert result["score"] == 100.0 and result["grade"] == "A"  # the formula of §5 is kept…
    capped = grade_capped("department", dict(result), values)
    assert capped["score"] == 100.0 and capped["grade"] == "B"  # …and the rule added
    assert capped["grade_capped"] == "按期结案率为0，等级不高于B"
    # No closure due at all is not 0 %: nothing to cap.
    assert grade_capped("department", dict(result), kpi_values({"reported": 1, "handled": 1}))["grade_capped"] == ""
    assert grade_capped("region", dict(result), values)["grade"] == "A"  # the rule is the departments'


def test_no_activity_is_no_score():
    assert not has_activity("grid_worker", {"reported": 0, "patrols": 0})
    assert has_activity("grid_worker", {"patrols": 1}) and has_activity("grid_worker", {"reported": 1})
    assert not has_activity("department", {"reported": 3, "transferred": 3})
    assert has_activity("department", {"f_handled": 1})


def test_a_department_page_row_with_zero_on_time_closure_is_not_a(monkeypatch, people):
    fire = people["fire"].unit
    counts = {"reported": 8, "handled": 8, "handled_on_time": 8, "resolved": 8, "closed_on_time": 0}
    real = sel.cell_sums
    monkeypatch.setattr(
        sel, "cell_sums", lambda scope, nodes, *a, **k: {fire.pk: _cells(counts)} if scope == Scope.UNIT else real(
            scope, nodes, *a, **k)
    )  # fmt: skip
    (row,) = sel.department_rows([fire], NOVEMBER)
    assert row["score"] == 100.0 and row["grade"] == "B" and row["grade_capped"]
    idle = people["gas"].unit
    (row,) = sel.department_rows([idle], NOVEMBER)  # nothing at all in the month
    assert row["score"] is None and row["grade"] == "" and row["rank"] is None


def test_a_worker_with_no_report_and_no_patrol_has_no_score_whatever_the_grid_did(monkeypatch, people):
    worker = people["nanxi_worker"]
    grid_codes = [int(g.code) for g in worker.grids.all()]
    # Their grids had cases checked on time (by others): the area rates alone used to give 100, grade A.
    area = {"reported": 4, "check_due": 4, "check_on_time": 4}
    real = sel.cell_sums

    def cells(scope, nodes, *args, **kwargs):
        if scope == Scope.REGION and set(nodes) & set(grid_codes):
            return {grid_codes[0]: _cells(area)}
        if scope == Scope.WORKER:
            return {}
        return real(scope, nodes, *args, **kwargs)

    monkeypatch.setattr(sel, "cell_sums", cells)
    with clock.frozen(at("2026-12-06 10:00")):
        (row,) = sel.worker_rows([worker], NOVEMBER)
    assert row["kpis"]["check_on_time"]["value"] == 100.0
    assert row["score"] is None and row["grade"] == ""  # "—"
    assert row["kpis"]["patrol_coverage"] == {"value": 0.0, "num": 0, "den": 10}  # 2 grids × 5 weeks over


def _patrol(worker, grid, ended):
    fields = {"counts_for_coverage": True} if hasattr(Patrol, "counts_for_coverage") else {}
    return Patrol.objects.create(
        client_id=uuid.uuid4(), client_fingerprint="x", worker=worker, grid=grid, grid_path=grid.path,
        status="ended", started_at=ended - timedelta(minutes=40), ended_at=ended, received_at=ended,
        updated_at=ended, point_count=30, distance_m=900, **fields,
    )  # fmt: skip


@pytest.mark.parametrize("weeks", [3])
def test_a_workers_score_includes_patrol_coverage(people, weeks):
    worker = people["nanxi_worker"]
    grid = worker.grids.order_by("code").first()
    for day in ("2026-11-03 10:00", "2026-11-10 10:00", "2026-11-17 10:00", "2026-11-18 10:00"):
        _patrol(worker, grid, at(day))  # two in one week: still one grid-week
    with clock.frozen(at("2026-12-06 10:00")):
        (row,) = sel.worker_rows([worker], NOVEMBER)
    assert row["patrols"] == 4
    assert row["kpis"]["patrol_coverage"] == {"value": 30.0, "num": weeks, "den": 10}
    assert row["score"] == 30.0  # patrolling is activity; it is the only rated term this month
    assert any(t["kpi"] == "patrol_coverage" and t["score"] == 30.0 for t in row["terms"])
