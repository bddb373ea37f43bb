"""Risk-based inspection schedule of supervised places (domain.md §8, proposed; the county confirms the numbers).

Interval = the shortest of the risk-level interval (安全风险四色) and the domain's own rule; the floor is the weekly
grid walk. The next due date counts from the completion date. All numbers are data in this module's tables, kept
apart from the code that reads them, so a county decision is a one-line change."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gridsafe.places.models import PlaceKind, RentalClass, RiskLevel

WEEKLY, FORTNIGHTLY, MONTHLY, QUARTERLY = 7, 14, 30, 90

RISK_INTERVAL_DAYS = {
    RiskLevel.RED: WEEKLY,
    RiskLevel.ORANGE: FORTNIGHTLY,
    RiskLevel.YELLOW: MONTHLY,
    RiskLevel.BLUE: QUARTERLY,
}

# 正月初一 by year (the lunar calendar is astronomy, not policy). The fireworks sales season is the weeks before
# 春节 up to 元宵 (正月十五); its length is policy and lives in FIREWORKS_SEASON.
SPRING_FESTIVAL = {
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
FIREWORKS_SEASON = {"days_before": 30, "days_after": 14}  # 腊月 sales season through 元宵


@dataclass(frozen=True)
class Season:
    start: date
    end: date  # inclusive

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def fireworks_seasons() -> list[Season]:
    before, after = timedelta(days=FIREWORKS_SEASON["days_before"]), timedelta(days=FIREWORKS_SEASON["days_after"])
    return [Season(day - before, day + after) for _year, day in sorted(SPRING_FESTIVAL.items())]


def in_fireworks_season(day: date) -> bool:
    return any(day in season for season in fireworks_seasons())


def _domain_interval(*, kind: str, domain_code: str, rental_class: str, on: date) -> int | None:
    """The domain's own cadence, or None when the risk level alone decides (venues, crowded places, other)."""
    if kind == PlaceKind.LPG_POINT or domain_code == "lpg":
        return WEEKLY
    if kind == PlaceKind.FIREWORKS_SELLER or domain_code == "fireworks":
        return WEEKLY if in_fireworks_season(on) else MONTHLY
    if kind == PlaceKind.RENTAL_HOUSING or domain_code == "rental":
        return {RentalClass.STRICT: WEEKLY, RentalClass.WATCH: MONTHLY}.get(rental_class)
    if kind == PlaceKind.ELEVATOR or domain_code == "elevator":
        return MONTHLY  # the inspection mark and maintenance record; technical checks belong to 特种设备 inspectors
    return None


def inspection_interval_days(*, risk_level: str, kind: str, domain_code: str, rental_class: str = "", on: date) -> int:
    """Days between visits for a place with these attributes, on day `on` (the fireworks season moves it)."""
    by_risk = RISK_INTERVAL_DAYS.get(risk_level, MONTHLY)
    by_domain = _domain_interval(kind=kind, domain_code=domain_code, rental_class=rental_class, on=on)
    return max(WEEKLY, min(by_risk, by_domain) if by_domain else by_risk)


def next_due_at(
    *, completed_at: datetime, risk_level: str, kind: str, domain_code: str, rental_class: str = ""
) -> tuple[datetime, int]:
    """(next due instant, interval used) after an inspection completed at `completed_at`.

    The interval is the one in force on the completion day. When a fireworks season starts before that due date,
    the place comes due one week into the season instead, so the first season visit is not a month late."""
    day = completed_at.date()
    interval = inspection_interval_days(
        risk_level=risk_level, kind=kind, domain_code=domain_code, rental_class=rental_class, on=day
    )
    due = completed_at + timedelta(days=interval)
    if (kind == PlaceKind.FIREWORKS_SELLER or domain_code == "fireworks") and not in_fireworks_season(day):
        for season in fireworks_seasons():
            if day < season.start <= due.date():
                due = min(due, completed_at + (season.start - day) + timedelta(days=WEEKLY))
                break
    return due, interval


def schedule_for(place, completed_at: datetime | None, now: datetime) -> dict:
    """The schedule columns for `place` (already carrying its new attributes) after an edit or a visit.
    Never inspected: the first visit is owed within the weekly grid walk."""
    if completed_at is None:
        interval = inspection_interval_days(
            risk_level=place.risk_level,
            kind=place.kind,
            domain_code=place.domain.code,
            rental_class=place.rental_class,
            on=now.date(),
        )
        return {"inspection_interval_days": interval, "next_due_at": now + timedelta(days=WEEKLY)}
    due, interval = next_due_at(
        completed_at=completed_at,
        risk_level=place.risk_level,
        kind=place.kind,
        domain_code=place.domain.code,
        rental_class=place.rental_class,
    )
    return {"inspection_interval_days": interval, "next_due_at": due}
