"""Risk schedule maths (domain.md §8): interval from risk level and domain, next due from the completion date."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from gridsafe.places.schedule import (
    in_fireworks_season,
    inspection_interval_days,
    next_due_at,
    schedule_for,
)

SUMMER = date(2026, 7, 1)


@pytest.mark.parametrize(("risk", "days"), [("red", 7), ("orange", 14), ("yellow", 30), ("blue", 90)])
def test_risk_level_alone_decides_for_venues(risk, days):
    assert inspection_interval_days(risk_level=risk, kind="entertainment_venue", domain_code="venue", on=SUMMER) == days


@pytest.mark.parametrize("risk", ["red", "orange", "yellow", "blue"])
def test_lpg_points_are_weekly_whatever_the_risk(risk):
    assert inspection_interval_days(risk_level=risk, kind="lpg_point", domain_code="lpg", on=SUMMER) == 7


def test_rental_housing_strict_weekly_watch_monthly_else_by_risk():
    rental = dict(kind="rental_housing", domain_code="rental", on=SUMMER)
    assert inspection_interval_days(risk_level="blue", rental_class="strict", **rental) == 7
    assert inspection_interval_days(risk_level="blue", rental_class="watch", **rental) == 30
    assert inspection_interval_days(risk_level="orange", rental_class="watch", **rental) == 14  # the shorter wins
    assert inspection_interval_days(risk_level="blue", rental_class="", **rental) == 90


def test_elevators_monthly_at_most():
    assert inspection_interval_days(risk_level="blue", kind="elevator", domain_code="elevator", on=SUMMER) == 30
    assert inspection_interval_days(risk_level="red", kind="elevator", domain_code="elevator", on=SUMMER) == 7


def test_fireworks_weekly_in_the_pre_spring_festival_season_else_monthly():
    # 春节 2027 is 6 February: the season runs from 7 January to 元宵 (20 February).
    assert in_fireworks_season(date(2027, 1, 20)) and in_fireworks_season(date(2027, 2, 20))
    assert not in_fireworks_season(date(2027, 1, 6)) and not in_fireworks_season(date(2027, 2, 21))
    args = dict(risk_level="blue", kind="fireworks_seller", domain_code="fireworks")
    assert inspection_interval_days(on=date(2027, 1, 20), **args) == 7
    assert inspection_interval_days(on=SUMMER, **args) == 30


def test_next_due_counts_from_the_completion_date():
    done = datetime(2026, 7, 3, 10, 30, tzinfo=UTC)
    due, interval = next_due_at(completed_at=done, risk_level="orange", kind="crowded_place", domain_code="fire")
    assert (due, interval) == (done + timedelta(days=14), 14)


def test_a_season_starting_before_the_due_date_pulls_the_visit_forward():
    done = datetime(2026, 12, 30, 9, 0, tzinfo=UTC)  # off season: monthly → 29 January, deep in the season
    due, interval = next_due_at(completed_at=done, risk_level="blue", kind="fireworks_seller", domain_code="fireworks")
    assert interval == 30
    assert due == datetime(2027, 1, 14, 9, 0, tzinfo=UTC)  # one week into the season (which starts 7 January)


def test_never_inspected_is_due_within_the_weekly_walk():
    now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    place = SimpleNamespace(
        risk_level="blue", kind="elevator", domain=SimpleNamespace(code="elevator"), rental_class=""
    )
    assert schedule_for(place, None, now) == {"inspection_interval_days": 30, "next_due_at": now + timedelta(days=7)}
