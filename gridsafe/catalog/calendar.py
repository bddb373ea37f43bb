"""Working calendar and deadline arithmetic (domain.md §4).

`WorkCalendar` is pure: it knows the exceptions to Monday–Friday (statutory holidays on weekdays, 调休 make-up
working days on weekends), the county office hours and which years have a published State Council schedule.
`current_calendar()` builds one from the database and caches it per process; `calendar_seed()` loads the
exceptions from the `chinesecalendar` package.

Units:

- ``minutes`` and ``days``: natural time, the calendar is ignored.
- ``work_hours`` (工作时): only time inside office hours on working days counts. A start outside office hours begins
  counting at the next opening; a result that falls exactly on the end of a period stays there.
- ``work_days`` (工作日): ``amount × (office hours per day)`` working hours, so one working day from Monday 10:00 is
  Tuesday 10:00.

A year without a published schedule falls back to plain Monday–Friday and logs a warning; callers use
`missing_years()` to raise the alarm ("raise an alarm, do not guess").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

import chinese_calendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridsafe.catalog.models import CalendarYear, WorkCalendarDay
from gridsafe.core.cache import VersionedCache

logger = logging.getLogger("gridsafe.calendar")

MINUTES = "minutes"
WORK_HOURS = "work_hours"
WORK_DAYS = "work_days"
DAYS = "days"
UNITS = (MINUTES, WORK_HOURS, WORK_DAYS, DAYS)

_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_HOUR = 60 * _US_PER_MINUTE
_US_PER_DAY = 24 * _US_PER_HOUR
_ONE_DAY = timedelta(days=1)

SEED_SOURCE = "seed"
ADMIN_SOURCE = "admin"
MAKEUP_NOTE = "调休上班"
HOLIDAY_FALLBACK_NOTE = "法定节假日"


def parse_office_hours(spec: Iterable[str]) -> list[tuple[time, time]]:
    """Parse ``["08:00-12:00", "14:30-17:30"]`` into sorted, non-overlapping (start, end) pairs."""
    periods: list[tuple[time, time]] = []
    for item in spec:
        try:
            start_s, end_s = (part.strip() for part in item.split("-"))
            start, end = time.fromisoformat(start_s), time.fromisoformat(end_s)
        except ValueError:
            raise ValueError(f"office hours must look like 'HH:MM-HH:MM', got {item!r}")
        periods.append((start, end))
    return _check_periods(periods)


def _check_periods(periods: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
    result = sorted(periods)
    for start, end in result:
        if start >= end:
            raise ValueError(f"office period {start:%H:%M}-{end:%H:%M} must end after it starts (same day)")
    for (_, end), (next_start, _) in zip(result, result[1:], strict=False):
        if next_start < end:
            raise ValueError("office periods overlap")
    return result


def _to_us(amount: Decimal | float | int, unit_us: int) -> int:
    """Amount × unit length in whole microseconds (Decimal arithmetic, so 0.1 h is exactly 6 minutes)."""
    if isinstance(amount, float):
        amount = Decimal(repr(amount))
    elif not isinstance(amount, Decimal):
        amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"amount must be finite, got {amount}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    return int((amount * unit_us).to_integral_value())


def _diff_us(a: datetime, b: datetime) -> int:
    """``a - b`` in microseconds, on absolute time (aware datetimes sharing a tzinfo subtract wall clocks)."""
    delta = a.astimezone(UTC) - b.astimezone(UTC)
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: Mapping[date, bool]
    office_hours: tuple[tuple[time, time], ...]
    published_years: frozenset[int]
    tz: tzinfo
    _day_us: int = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        exceptions: Mapping[date, bool],
        office_hours: Iterable[tuple[time, time]],
        published_years: Iterable[int],
        tz: tzinfo,
    ) -> None:
        periods = tuple(_check_periods(office_hours))
        object.__setattr__(self, "exceptions", dict(exceptions))
        object.__setattr__(self, "office_hours", periods)
        object.__setattr__(self, "published_years", frozenset(published_years))
        object.__setattr__(self, "tz", tz)
        day_us = sum(
            _diff_us(datetime.combine(date(2000, 1, 3), e), datetime.combine(date(2000, 1, 3), s)) for s, e in periods
        )
        object.__setattr__(self, "_day_us", day_us)

    # -- days -----------------------------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Monday–Friday, minus statutory holidays, plus 调休 make-up days (exceptions win)."""
        if isinstance(d, datetime):
            d = d.astimezone(self.tz).date() if d.tzinfo else d.date()
        found = self.exceptions.get(d)
        if found is not None:
            return found
        return d.weekday() < 5

    @property
    def hours_per_day(self) -> float:
        return self._day_us / _US_PER_HOUR

    def missing_years(self, start: datetime, end: datetime) -> set[int]:
        """Years touched by [start, end] (local time, either order) without a published schedule."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        y1, y2 = sorted((start.astimezone(self.tz).year, end.astimezone(self.tz).year))
        return {y for y in range(y1, y2 + 1) if y not in self.published_years}

    # -- arithmetic -----------------------------------------------------------------------------------------------

    def add(self, start: datetime, amount: Decimal | float | int, unit: str) -> datetime:
        """The instant `amount` `unit`s after `start` (aware, in the calendar's time zone)."""
        _require_aware(start, "start")
        start = start.astimezone(self.tz)
        if unit == MINUTES:
            return self._shift(start, _to_us(amount, _US_PER_MINUTE))
        if unit == DAYS:
            return self._shift(start, _to_us(amount, _US_PER_DAY))
        if unit == WORK_HOURS:
            work_us = _to_us(amount, _US_PER_HOUR)
        elif unit == WORK_DAYS:
            work_us = _to_us(amount, self._day_us)
        else:
            raise ValueError(f"unknown time-limit unit {unit!r} (expected one of {', '.join(UNITS)})")
        result = self._add_work(start, work_us)
        self._warn_missing(start, result)
        return result

    def elapsed(self, start: datetime, end: datetime, unit: str) -> float:
        """Amount of `unit` between two instants (negative if end is before start). Inverse of `add`."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        if unit == MINUTES:
            return _diff_us(end, start) / _US_PER_MINUTE
        if unit == DAYS:
            return _diff_us(end, start) / _US_PER_DAY
        if unit not in (WORK_HOURS, WORK_DAYS):
            raise ValueError(f"unknown time-limit unit {unit!r} (expected one of {', '.join(UNITS)})")
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        work_us = self._work_between(start, end)
        self._warn_missing(start, end)
        if unit == WORK_HOURS:
            return sign * work_us / _US_PER_HOUR
        self._require_office_hours()
        return sign * work_us / self._day_us

    def deadlines(
        self, start: datetime, amount: Decimal | float | int, unit: str, yellow_ratio: Decimal | float = 0.8
    ) -> tuple[datetime, datetime]:
        """(yellow_at, due_at): when `yellow_ratio` of the limit is used (green up to it) and when it runs out."""
        if isinstance(amount, float):
            amount = Decimal(repr(amount))
        ratio = Decimal(repr(yellow_ratio)) if isinstance(yellow_ratio, float) else Decimal(yellow_ratio)
        if not 0 <= ratio <= 1:
            raise ValueError(f"yellow_ratio must be between 0 and 1, got {yellow_ratio}")
        return self.add(start, Decimal(amount) * ratio, unit), self.add(start, amount, unit)

    # -- internals ------------------------------------------------------------------------------------------------

    def _shift(self, moment: datetime, us: int) -> datetime:
        """Absolute-time shift (correct even across a UTC offset change)."""
        return (moment.astimezone(UTC) + timedelta(microseconds=us)).astimezone(self.tz)

    def _periods(self, d: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(d, s, tzinfo=self.tz), datetime.combine(d, e, tzinfo=self.tz))
            for s, e in self.office_hours
        ]

    def _require_office_hours(self) -> None:
        if self._day_us <= 0:
            raise ValueError("no office hours configured: working-hour and working-day limits cannot be computed")

    def _add_work(self, start: datetime, remaining: int) -> datetime:
        if remaining == 0:
            return start
        self._require_office_hours()
        # The day of the start: only the part of each period after `start` counts.
        d = start.date()
        if self.is_workday(d):
            for p_start, p_end in self._periods(d):
                if start >= p_end:
                    continue
                begin = max(start, p_start)
                available = _diff_us(p_end, begin)
                if remaining <= available:
                    return self._shift(begin, remaining)
                remaining -= available
        d += _ONE_DAY
        # Whole working days are skipped in one step; the day on which the limit runs out is walked period by
        # period. `>` (not `>=`) keeps a result that ends exactly at closing time on that day, not the next opening.
        while True:
            if self.is_workday(d):
                if remaining > self._day_us:
                    remaining -= self._day_us
                else:
                    for p_start, p_end in self._periods(d):
                        available = _diff_us(p_end, p_start)
                        if remaining <= available:
                            return self._shift(p_start, remaining)
                        remaining -= available
            d += _ONE_DAY

    def _work_on_day(self, d: date, start: datetime | None, end: datetime | None) -> int:
        """Working microseconds on local day `d`, clipped to [start, end] when given."""
        if not self.is_workday(d):
            return 0
        if start is None and end is None:
            return self._day_us
        total = 0
        for p_start, p_end in self._periods(d):
            lo = p_start if start is None else max(p_start, start)
            hi = p_end if end is None else min(p_end, end)
            if hi > lo:
                total += _diff_us(hi, lo)
        return total

    def _work_between(self, start: datetime, end: datetime) -> int:
        d1, d2 = start.date(), end.date()
        if d1 == d2:
            return self._work_on_day(d1, start, end)
        total = self._work_on_day(d1, start, None) + self._work_on_day(d2, None, end)
        d = d1 + _ONE_DAY
        while d < d2:
            if self.is_workday(d):
                total += self._day_us
            d += _ONE_DAY
        return total

    def _warn_missing(self, start: datetime, end: datetime) -> None:
        missing = self.missing_years(start, end)
        if missing:
            logger.warning(
                "No published working calendar for %s: assuming plain Monday–Friday between %s and %s",
                ", ".join(str(y) for y in sorted(missing)),
                start.isoformat(),
                end.isoformat(),
            )


# -- the calendar in force (database-backed, cached per process) ------------------------------------------------------


def load_calendar() -> WorkCalendar:
    """Build a WorkCalendar from the database and settings (2 queries, no caching)."""

    exceptions = dict(WorkCalendarDay.objects.values_list("date", "is_workday"))
    published = set(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
    return WorkCalendar(
        exceptions=exceptions,
        office_hours=parse_office_hours(settings.GRIDSAFE_OFFICE_HOURS),
        published_years=published,
        tz=timezone.get_default_timezone(),
    )


calendar_cache = VersionedCache("calendar", load_calendar)


def current_calendar() -> WorkCalendar:
    """The calendar in force. Reloaded when its version row changes; the row is read at most every 30 s."""
    return calendar_cache.get()


def invalidate_calendar() -> None:
    """Bump the version in the edit's transaction (every process reloads within 30 s of the commit) and drop this
    process's copy now."""
    calendar_cache.invalidate()


# -- seeding from chinese_calendar ----------------------------------------------------------------------------------


def library_years() -> list[int]:
    """Years the installed chinese_calendar package has State Council data for."""
    return sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})


def _library_exceptions(year: int) -> dict[date, tuple[bool, str]]:
    """The exceptions to Monday–Friday in `year`, per chinese_calendar: date → (is_workday, note)."""
    chinese_names = {h.value: h.chinese for h in chinese_calendar.Holiday}
    result: dict[date, tuple[bool, str]] = {}
    d, end = date(year, 1, 1), date(year + 1, 1, 1)
    while d < end:
        is_holiday, name = chinese_calendar.get_holiday_detail(d)
        weekday = d.weekday() < 5
        if weekday and is_holiday:
            note = chinese_names.get(name, name) if name else HOLIDAY_FALLBACK_NOTE
            result[d] = (False, note[:40])
        elif not weekday and not is_holiday:
            result[d] = (True, MAKEUP_NOTE)
        d += _ONE_DAY
    return result


def calendar_seed(*, years: list[int] | None = None) -> int:
    """Load the State Council schedule from chinese_calendar into WorkCalendarDay and mark the years published.

    Rows whose source is "admin" are never touched. Seed rows the library no longer lists for a seeded year are
    removed. Idempotent: a second run writes nothing. Returns the number of day rows created, updated or deleted.
    Raises ValueError for a requested year the library has no data for.
    """

    available = library_years()
    if years is None:
        years = available
    else:
        years = sorted(set(years))
        unknown = [y for y in years if y not in available]
        if unknown:
            raise ValueError(
                f"chinese_calendar has no data for {', '.join(map(str, unknown))} "
                f"(it covers {available[0]}–{available[-1]}); enter that schedule in the admin instead"
            )

    written = 0
    with transaction.atomic():
        for year in years:
            wanted = _library_exceptions(year)
            existing = {row.date: row for row in WorkCalendarDay.objects.select_for_update().filter(date__year=year)}
            to_create, to_update, to_delete = [], [], []
            for d, (is_workday, note) in wanted.items():
                row = existing.get(d)
                if row is None:
                    to_create.append(WorkCalendarDay(date=d, is_workday=is_workday, note=note, source=SEED_SOURCE))
                elif row.source == ADMIN_SOURCE:
                    continue
                elif (row.is_workday, row.note, row.source) != (is_workday, note, SEED_SOURCE):
                    row.is_workday, row.note, row.source = is_workday, note, SEED_SOURCE
                    to_update.append(row)
            for d, row in existing.items():
                if d not in wanted and row.source == SEED_SOURCE:
                    to_delete.append(row.pk)
            if to_create:
                WorkCalendarDay.objects.bulk_create(to_create)
            if to_update:
                WorkCalendarDay.objects.bulk_update(to_update, ["is_workday", "note", "source"])
            if to_delete:
                WorkCalendarDay.objects.filter(pk__in=to_delete).delete()
            written += len(to_create) + len(to_update) + len(to_delete)

            year_row, created = CalendarYear.objects.get_or_create(
                year=year, defaults={"published": True, "source": "chinese_calendar"}
            )
            if not created and not year_row.published and year_row.source != ADMIN_SOURCE:
                year_row.published = True
                year_row.save(update_fields=["published"])
        invalidate_calendar()
    if written:
        logger.info("Working calendar seeded for %s: %d rows written", ", ".join(map(str, years)), written)
    return written
