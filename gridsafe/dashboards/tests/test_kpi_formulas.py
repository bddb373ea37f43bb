"""The KPI formulas of domain.md §5 against hand-computed tables (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from gridsafe.dashboards.kpis import Weight, band_score, composite, grade, kpi_values, percent
from gridsafe.dashboards.periods import parse_period

# 榜头镇 fire module, 2017-12-25 (domain.md §1.2 and the worked example of §5): 565 entries, 503 handled,
# 480 of them on time; of the 62 still open 45 are overdue and 17 not yet due.
BANGTOU_FIRE = {"reported": 565, "handled": 503, "handled_on_time": 480, "overdue_unhandled": 45}


def test_article_handling_rate_565_503_is_89_03():
    kpis = kpi_values(BANGTOU_FIRE)
    assert kpis["handling_rate"] == {"value": 89.03, "num": 503, "den": 565}


def test_on_time_handling_counts_open_overdue_cases_not_the_ones_not_yet_due():
    kpis = kpi_values(BANGTOU_FIRE)
    assert kpis["handling_on_time"] == {"value": 87.59, "num": 480, "den": 548}  # 480 / (503 + 45)
    assert kpis["handling_on_time"]["value"] != percent(480, 503) == 95.43  # the pitfall: grade A
    assert kpis["handling_on_time"]["value"] != percent(480, 565) == 84.96  # penalises the 17 not yet due
    assert grade(kpis["handling_on_time"]["value"]) == "B" and grade(95.43) == "A"


def test_road_module_208_192_is_92_31():
    assert kpi_values({"reported": 208, "handled": 192})["handling_rate"]["value"] == 92.31


def test_void_duplicate_and_transferred_leave_the_denominators():
    counts = {"reported": 100, "invalid": 5, "duplicate": 3, "transferred": 2, "handled": 81, "resolved": 72}
    kpis = kpi_values(counts)
    assert kpis["handling_rate"] == {"value": 90.0, "num": 81, "den": 90}
    assert kpis["closure_rate"] == {"value": 80.0, "num": 72, "den": 90}
    assert kpis["accurate_filing"] == {"value": 95.0, "num": 95, "den": 100}  # (立案 − 作废) / 立案
    assert kpis["valid_report_rate"] == {"value": 92.0, "num": 92, "den": 100}  # 作废 and 并单 are not valid
    # 挂账 may be taken out of 应处置数 (金华); off by default
    assert kpi_values({**counts, "suspended": 10}, exclude_suspended=True)["handling_rate"]["den"] == 80


def test_on_time_closure_counts_open_cases_that_ever_ran_late():
    counts = {"reported": 50, "resolved": 30, "closed_on_time": 24, "overdue_unclosed": 6}
    assert kpi_values(counts)["closure_on_time"] == {"value": 66.67, "num": 24, "den": 36}


def test_rework_rate_is_reworks_over_submissions():
    # 10 handled cases; 3 reworks happened on the way (one case failed twice, one once): 13 submissions.
    kpis = kpi_values({"reported": 12, "handled": 10, "reworks": 3})
    assert kpis["rework_rate"] == {"value": 23.08, "num": 3, "den": 13}
    # one case that failed twice and is back in handling: 100 % of its submissions failed, never above
    assert kpi_values({"reported": 1, "reworks": 2})["rework_rate"]["value"] == 100.0


def test_verification_rates_and_empty_denominators():
    kpis = kpi_values({"confirm_due": 8, "confirm_on_time": 6, "check_due": 0})
    assert kpis["confirm_on_time"]["value"] == 75.0
    assert kpis["check_on_time"] == {"value": None, "num": 0, "den": 0}
    assert kpi_values({})["handling_rate"]["value"] is None


def test_grid_worker_composite_example_is_92_2_grade_a():
    """有效上报率 95, 漏报率 4 % (→ 96), 按时核实率 90, 按时核查率 85 → 92.2 (A)."""
    counts = {
        "reported": 100,
        "invalid": 5,
        "src_hotline": 4,
        "src_grid_worker": 96,
        "confirm_due": 10,
        "confirm_on_time": 9,
        "check_due": 20,
        "check_on_time": 17,
    }
    weights = [
        Weight("valid_report_rate", Decimal(40)),
        Weight("missed_report_rate", Decimal(20)),
        Weight("confirm_on_time", Decimal(20)),
        Weight("check_on_time", Decimal(20)),
    ]
    result = composite(counts, weights)
    assert result["score"] == 92.2 and result["grade"] == "A"
    assert [t["score"] for t in result["terms"]] == [95.0, 96.0, 90.0, 85.0]


def test_composite_renormalises_over_kpis_with_data():
    weights = [Weight("handling_rate", Decimal(50)), Weight("check_on_time", Decimal(50))]
    result = composite({"reported": 10, "handled": 7}, weights)
    assert result["score"] == 70.0 and result["grade"] == "C"
    empty = composite({}, weights)
    assert (empty["score"], empty["grade"]) == (None, "")


def test_filing_count_band_per_grid_and_month():
    bands = [[0.5, 100], [3, 90], [5, 75], [7, 60], [9, 40], [None, 0]]
    assert [band_score(v, bands) for v in (0, 2.9, 3, 4, 6, 8, 9, 50)] == [100, 90, 75, 75, 60, 40, 0, 0]
    weights = [Weight("filing_count", Decimal(50), bands, True), Weight("closure_rate", Decimal(50))]
    # 120 valid cases over 10 grids in 3 months: 4 per grid-month → 75; 结案率 90 → (75 + 90) / 2
    assert composite({"reported": 120, "resolved": 108}, weights, grids=10, months=3)["score"] == 82.5
    # no cases: the band alone would give 100; without rated work there is no score
    assert composite({}, weights, grids=10, months=3)["score"] is None


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (100, "A"),
        (90, "A"),
        (89.99, "B"),
        (75, "B"),
        (74.9, "C"),
        (60, "C"),
        (59.9, "D"),
        (40, "D"),
        (39.9, "E"),
        (0, "E"),
    ],
)
def test_grades(score, letter):
    assert grade(score) == letter


def test_periods_read_whole_months_and_ragged_days():
    year = parse_period("2026")
    assert year.slices() == ([date(2026, m, 1) for m in range(1, 13)], [])
    q = parse_period("2026-Q1")
    assert (q.start, q.end, q.months) == (date(2026, 1, 1), date(2026, 3, 31), 3)
    custom = parse_period("2026-01-20..2026-03-05")
    assert custom.slices() == (
        [date(2026, 2, 1)],
        [(date(2026, 1, 20), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 5))],
    )
    assert parse_period("2026-02").end == date(2026, 2, 28)
    assert parse_period("all").start is None
