"""Reporting periods (统计周期): a month, a quarter, a year, a custom range of days, or everything to date.

A period is read from the rollups as whole months (month rows) plus the days at its ragged ends (day rows), so a
year costs 12 rows per node and domain, and a custom range at most 12 + 60."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed
from gridsafe.core.input import check_day


@dataclass(frozen=True)
class Period:
    key: str  # 2026-11, 2026-Q3, 2026, 2026-01-05..2026-02-10, all
    label: str
    start: date | None  # None: from the beginning
    end: date | None  # inclusive; None: to date

    @property
    def months(self) -> int:
        if self.start is None or self.end is None:
            return 12
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def start_at(self) -> datetime | None:
        tz = timezone.get_current_timezone()
        return datetime.combine(self.start, time.min, tz) if self.start else None

    def end_before(self) -> datetime | None:
        """The first instant after the period."""
        tz = timezone.get_current_timezone()
        return datetime.combine(self.end + timedelta(days=1), time.min, tz) if self.end else None

    def slices(self) -> tuple[list[date], list[tuple[date, date]]]:
        """(first days of the whole months inside, [(first day, last day)] of the partial months)."""
        if self.start is None or self.end is None:
            raise ValueError("an open period has no slices")
        months, days = [], []
        cursor = self.start
        while cursor <= self.end:
            month_end = next_month(cursor) - timedelta(days=1)
            if cursor.day == 1 and month_end <= self.end:
                months.append(cursor)
            else:
                days.append((cursor, min(month_end, self.end)))
            cursor = month_end + timedelta(days=1)
        return months, days

    def previous(self) -> Period:
        if self.key.count("-") == 1 and "Q" not in self.key:  # a month
            first = (self.start - timedelta(days=1)).replace(day=1)
            return month_period(first)
        if "Q" in self.key:
            return quarter_period(self.start - timedelta(days=1))
        if re.fullmatch(r"\d{4}", self.key):
            return _parse(str(self.start.year - 1))
        length = (self.end - self.start).days + 1
        return custom_period(self.start - timedelta(days=length), self.start - timedelta(days=1))


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_period(day: date) -> Period:
    first = day.replace(day=1)
    return Period(f"{first:%Y-%m}", f"{first.year}年{first.month}月", first, next_month(first) - timedelta(days=1))


def quarter_period(day: date) -> Period:
    q = (day.month - 1) // 3 + 1
    first = date(day.year, 3 * q - 2, 1)
    last = next_month(date(day.year, 3 * q, 1)) - timedelta(days=1)
    return Period(f"{day.year}-Q{q}", f"{day.year}年第{'一二三四'[q - 1]}季度", first, last)


def custom_period(start: date, end: date) -> Period:
    if end < start:
        raise ValidationFailed("统计周期的结束日期不能早于开始日期")
    if (end - start).days > 366 * 5:
        raise ValidationFailed("自定义统计周期不能超过五年")
    return Period(f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}", start, end)


def today() -> date:
    return timezone.localtime(clock.now()).date()


def parse_period(value: str | None, *, start: date | None = None, end: date | None = None) -> Period:
    """`2026-11` · `2026-Q3` · `2026` · `2026-01-05..2026-02-10` · `all`; or `start`/`end` dates. Default: this month.
    Only periods inside the input window (core.input: from 2000 to a few years ahead): a year-9999 period would
    overflow when turned into moments, a 500 instead of an answer."""
    period = _parse(value, start=start, end=end)
    try:
        for day in (period.start, period.end):
            if day is not None:
                check_day(day, future=True)
    except ValueError as exc:
        raise ValidationFailed(f"统计周期超出范围：{exc}") from exc
    return period


def _parse(value: str | None, *, start: date | None = None, end: date | None = None) -> Period:
    if start or end:
        return custom_period(start or end, end or start)
    value = (value or "").strip()
    if not value:
        return month_period(today())
    if value == "all":
        return Period("all", "累计", None, None)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            return month_period(date(int(m[1]), int(m[2]), 1))
        if m := re.fullmatch(r"(\d{4})-?Q([1-4])", value, re.IGNORECASE):
            return quarter_period(date(int(m[1]), 3 * int(m[2]), 1))
        if m := re.fullmatch(r"(\d{4})", value):
            y = int(m[1])
            return Period(value, f"{y}年", date(y, 1, 1), date(y, 12, 31))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", value):
            return custom_period(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
    except ValueError:
        pass
    raise ValidationFailed("统计周期格式：2026-11、2026-Q3、2026、2026-01-05..2026-02-10 或 all")
