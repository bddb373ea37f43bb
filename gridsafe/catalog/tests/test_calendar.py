"""Working calendar and deadline arithmetic (domain.md §4).

Every expected value below is worked out by hand from the State Council notice for 2025 (国办发明电〔2024〕12号):
国庆节/中秋节 Wed 1 – Wed 8 October 2025 off, Sunday 28 September and Saturday 11 October are working days.
Office hours are 08:00–12:00 and 14:30–17:30, i.e. 7 working hours per working day.
"""

import io
import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from gridsafe.catalog import calendar as calmod
from gridsafe.catalog.calendar import (
    WorkCalendar,
    calendar_seed,
    current_calendar,
    invalidate_calendar,
    library_years,
    parse_office_hours,
)
from gridsafe.catalog.models import CalendarYear, WorkCalendarDay
from gridsafe.core.cache import bump_version

SH = ZoneInfo("Asia/Shanghai")
OFFICE = [(time(8, 0), time(12, 0)), (time(14, 30), time(17, 30))]

# The exceptions around 国庆/中秋 2025, written out by hand.
NATIONAL_DAY_2025 = {
    date(2025, 9, 28): True,  # Sunday, 调休上班
    date(2025, 10, 1): False,  # Wed
    date(2025, 10, 2): False,  # Thu
    date(2025, 10, 3): False,  # Fri
    date(2025, 10, 6): False,  # Mon (中秋)
    date(2025, 10, 7): False,  # Tue
    date(2025, 10, 8): False,  # Wed
    date(2025, 10, 11): True,  # Saturday, 调休上班
}

# All 2025 exceptions to Monday–Friday, by hand from the notice: holidays falling on weekdays …
HOLIDAYS_ON_WEEKDAYS_2025 = {
    date(2025, 1, 1): "元旦",
    date(2025, 1, 28): "春节",
    date(2025, 1, 29): "春节",
    date(2025, 1, 30): "春节",
    date(2025, 1, 31): "春节",
    date(2025, 2, 3): "春节",
    date(2025, 2, 4): "春节",
    date(2025, 4, 4): "清明",
    date(2025, 5, 1): "劳动节",
    date(2025, 5, 2): "劳动节",
    date(2025, 5, 5): "劳动节",
    date(2025, 6, 2): "端午",
    date(2025, 10, 1): "国庆节",
    date(2025, 10, 2): "国庆节",
    date(2025, 10, 3): "国庆节",
    date(2025, 10, 6): "中秋",
    date(2025, 10, 7): "国庆节",
    date(2025, 10, 8): "国庆节",
}
# … and weekend days that are working days.
MAKEUP_DAYS_2025 = [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)]


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


@pytest.fixture
def cal():
    return WorkCalendar(exceptions=NATIONAL_DAY_2025, office_hours=OFFICE, published_years={2025}, tz=SH)


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """The process-wide calendar must not leak between tests (each test's DB rows are rolled back)."""
    calmod.calendar_cache.forget()
    yield
    calmod.calendar_cache.forget()


@pytest.fixture(autouse=True)
def empty_calendar(request):
    """The session database holds the demo's seeded calendar; the seeding tests start from none (rolled back)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    WorkCalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    invalidate_calendar()


# -- days ---------------------------------------------------------------------------------------------------------


def test_is_workday_national_day_2025(cal):
    assert cal.is_workday(date(2025, 9, 26))  # Friday
    assert not cal.is_workday(date(2025, 9, 27))  # Saturday
    assert cal.is_workday(date(2025, 9, 28))  # Sunday, make-up day
    assert cal.is_workday(date(2025, 9, 30))  # Tuesday
    for day in range(1, 9):
        assert not cal.is_workday(date(2025, 10, day)), day
    assert cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 10))
    assert cal.is_workday(date(2025, 10, 11))  # Saturday, make-up day
    assert not cal.is_workday(date(2025, 10, 12))  # Sunday
    assert cal.hours_per_day == 7.0


def test_parse_office_hours():
    assert parse_office_hours(["14:30-17:30", "08:00-12:00"]) == OFFICE
    with pytest.raises(ValueError):
        parse_office_hours(["12:00-08:00"])
    with pytest.raises(ValueError):
        parse_office_hours(["08:00-12:00", "11:00-13:00"])
    with pytest.raises(ValueError):
        parse_office_hours(["8 to 12"])


# -- working days -------------------------------------------------------------------------------------------------


def test_one_working_day_is_next_working_day_same_time(cal):
    assert cal.add(at(2025, 9, 22, 10), 1, "work_days") == at(2025, 9, 23, 10)  # Mon → Tue


def test_one_working_day_skips_national_day(cal):
    # Tue 30 Sep 10:00: 5 h left that day, Oct 1–8 off, Thu 9 Oct 08:00 + 2 h.
    assert cal.add(at(2025, 9, 30, 10), 1, "work_days") == at(2025, 10, 9, 10)


def test_one_working_day_lands_on_makeup_sunday(cal):
    # Fri 26 Sep 10:00: Saturday is off, Sunday 28 Sep is a make-up working day.
    assert cal.add(at(2025, 9, 26, 10), 1, "work_days") == at(2025, 9, 28, 10)


def test_thirty_working_days_across_the_holiday(cal):
    # Working days after Mon 1 Sep: 2–5 (4), 8–12 (9), 15–19 (14), 22–26 (19), Sun 28 (20), 29–30 (22),
    # 9–10 Oct (24), Sat 11 Oct (25), 13–17 Oct (30) → Fri 17 Oct, same time of day.
    assert cal.add(at(2025, 9, 1, 10), 30, "work_days") == at(2025, 10, 17, 10)
    assert cal.add(at(2025, 9, 1, 10), Decimal("30"), "work_days") == at(2025, 10, 17, 10)


def test_adding_working_days_jumps_whole_days(cal, monkeypatch):
    calls = []
    original = WorkCalendar._periods

    def spy(self, d):
        calls.append(d)
        return original(self, d)

    monkeypatch.setattr(WorkCalendar, "_periods", spy)
    assert cal.add(at(2025, 9, 1, 10), 30, "work_days") == at(2025, 10, 17, 10)
    # Only the start day and the landing day are walked period by period.
    assert calls == [date(2025, 9, 1), date(2025, 10, 17)]


def test_fractional_working_days(cal):
    # 1.5 working days = 10.5 h: Mon 08:00–17:30 is 7 h, then Tue 08:00 + 3.5 h = 11:30.
    assert cal.add(at(2025, 9, 22, 8), Decimal("1.5"), "work_days") == at(2025, 9, 23, 11, 30)
    # 0.5 working day = 3.5 h from Mon 10:00: 10–12 (2 h) + 14:30 + 1.5 h = 16:00.
    assert cal.add(at(2025, 9, 22, 10), 0.5, "work_days") == at(2025, 9, 22, 16)


def test_one_working_day_from_opening_ends_at_closing(cal):
    # Exactly 7 h from Mon 08:00 ends at Mon 17:30, not Tue 08:00.
    assert cal.add(at(2025, 9, 22, 8), 1, "work_days") == at(2025, 9, 22, 17, 30)


# -- working hours ------------------------------------------------------------------------------------------------


def test_work_hours_across_lunch(cal):
    # 11:00–12:00 (1 h), 14:30–15:30 (1 h).
    assert cal.add(at(2025, 9, 22, 11), 2, "work_hours") == at(2025, 9, 22, 15, 30)


def test_work_hours_across_the_night(cal):
    # Mon 17:00–17:30 (0.5 h), Tue 08:00–09:30 (1.5 h).
    assert cal.add(at(2025, 9, 22, 17), 2, "work_hours") == at(2025, 9, 23, 9, 30)


def test_work_hours_start_outside_office_hours(cal):
    assert cal.add(at(2025, 9, 22, 6), 1, "work_hours") == at(2025, 9, 22, 9)  # before opening
    assert cal.add(at(2025, 9, 22, 12, 30), 1, "work_hours") == at(2025, 9, 22, 15, 30)  # lunch break
    assert cal.add(at(2025, 9, 22, 18), 0.5, "work_hours") == at(2025, 9, 23, 8, 30)  # evening
    assert cal.add(at(2025, 9, 22, 17, 30), 0.25, "work_hours") == at(2025, 9, 23, 8, 15)  # at closing
    assert cal.add(at(2025, 9, 20, 9), 1, "work_hours") == at(2025, 9, 22, 9)  # Saturday → Monday
    assert cal.add(at(2025, 9, 27, 9), 1, "work_hours") == at(2025, 9, 28, 9)  # Saturday → make-up Sunday
    assert cal.add(at(2025, 10, 3, 11), 3, "work_hours") == at(2025, 10, 9, 11)  # inside the holiday


def test_work_hours_result_at_period_end_stays_there(cal):
    assert cal.add(at(2025, 9, 22, 8), 4, "work_hours") == at(2025, 9, 22, 12)  # not 14:30
    assert cal.add(at(2025, 9, 22, 10), 5, "work_hours") == at(2025, 9, 22, 17, 30)  # not Tue 08:00
    assert cal.add(at(2025, 9, 30, 15, 30), 2, "work_hours") == at(2025, 9, 30, 17, 30)  # not 9 Oct 08:00
    # The same on a later day: a full day's hours from closing time end at the next closing time.
    assert cal.add(at(2025, 9, 22, 17, 30), 7, "work_hours") == at(2025, 9, 23, 17, 30)  # not Wed 08:00
    assert cal.add(at(2025, 9, 30, 17, 30), 1, "work_days") == at(2025, 10, 9, 17, 30)  # not Fri 10 Oct 08:00


def test_work_hours_fractions_are_exact(cal):
    assert cal.add(at(2025, 9, 22, 8), 0.1, "work_hours") == at(2025, 9, 22, 8, 6)
    assert cal.add(at(2025, 9, 22, 8), Decimal("0.01"), "work_hours") == at(2025, 9, 22, 8, 0, 36)


def test_zero_amount_is_the_start(cal):
    assert cal.add(at(2025, 10, 4, 3), 0, "work_hours") == at(2025, 10, 4, 3)


def test_input_in_utc_gives_local_answer(cal):
    # Tue 30 Sep 10:00 Shanghai = 02:00 UTC.
    result = cal.add(datetime(2025, 9, 30, 2, tzinfo=ZoneInfo("UTC")), 1, "work_days")
    assert result == at(2025, 10, 9, 10)
    assert result.utcoffset() == timedelta(hours=8)


def test_bad_input(cal):
    with pytest.raises(ValueError):
        cal.add(datetime(2025, 9, 22, 10), 1, "work_hours")  # naive
    with pytest.raises(ValueError):
        cal.add(at(2025, 9, 22, 10), 1, "weeks")
    with pytest.raises(ValueError):
        cal.add(at(2025, 9, 22, 10), -1, "work_hours")


# -- natural time -------------------------------------------------------------------------------------------------


def test_minutes_ignore_the_calendar(cal):
    assert cal.add(at(2025, 9, 30, 23, 50), 30, "minutes") == at(2025, 10, 1, 0, 20)
    assert cal.add(at(2025, 10, 4, 11), Decimal("90"), "minutes") == at(2025, 10, 4, 12, 30)  # Saturday, holiday
    assert cal.elapsed(at(2025, 10, 4, 11), at(2025, 10, 4, 12, 30), "minutes") == 90.0


def test_natural_days_ignore_the_calendar(cal):
    assert cal.add(at(2025, 9, 30, 10), 3, "days") == at(2025, 10, 3, 10)
    assert cal.add(at(2025, 9, 30, 10), 1.5, "days") == at(2025, 10, 1, 22)
    assert cal.add(at(2025, 9, 30, 10), 10, "days") == at(2025, 10, 10, 10)
    assert cal.elapsed(at(2025, 9, 30, 10), at(2025, 10, 10, 10), "days") == 10.0


# -- elapsed ------------------------------------------------------------------------------------------------------


def test_elapsed_work_units(cal):
    assert cal.elapsed(at(2025, 9, 30, 10), at(2025, 10, 9, 10), "work_hours") == 7.0
    assert cal.elapsed(at(2025, 9, 30, 10), at(2025, 10, 9, 10), "work_days") == 1.0
    assert cal.elapsed(at(2025, 9, 22, 11), at(2025, 9, 22, 15, 30), "work_hours") == 2.0
    assert cal.elapsed(at(2025, 9, 22, 12), at(2025, 9, 22, 14, 30), "work_hours") == 0.0  # lunch
    assert cal.elapsed(at(2025, 10, 1), at(2025, 10, 8, 23, 59), "work_hours") == 0.0  # holiday
    assert cal.elapsed(at(2025, 9, 22, 15, 30), at(2025, 9, 22, 11), "work_hours") == -2.0  # reversed
    # Fri 26 Sep 08:00 → Mon 29 Sep 08:00: Friday (7 h) + make-up Sunday (7 h).
    assert cal.elapsed(at(2025, 9, 26, 8), at(2025, 9, 29, 8), "work_days") == 2.0
    # Mon 1 Sep 10:00 → Fri 17 Oct 10:00 is 30 working days (see the add test).
    assert cal.elapsed(at(2025, 9, 1, 10), at(2025, 10, 17, 10), "work_days") == 30.0


def test_elapsed_is_the_inverse_of_add(cal):
    cases = [
        ("work_hours", Decimal("0.25")),
        ("work_hours", 1),
        ("work_hours", 2.5),
        ("work_hours", 7),
        ("work_hours", Decimal("11.75")),
        ("work_days", Decimal("0.5")),
        ("work_days", 1),
        ("work_days", 3),
        ("minutes", 45),
        ("days", Decimal("1.25")),
    ]
    start = at(2025, 9, 25)
    checked = 0
    while start < at(2025, 10, 13):  # every 37 minutes, across nights, weekends and the holiday
        previous = start
        for unit, amount in cases:
            due = cal.add(start, amount, unit)
            assert due >= start
            assert abs(cal.elapsed(start, due, unit) - float(amount)) < 1e-9, (start, unit, amount)
            if unit == "work_hours":
                assert due >= previous  # more hours never end earlier
                previous = due
            if unit in ("work_hours", "work_days"):
                # A working-time deadline always falls inside office hours of a working day (closing included).
                local = due.astimezone(SH)
                assert cal.is_workday(local.date()), due
                assert any(s < local.time() <= e for s, e in OFFICE), due
            checked += 1
        start += timedelta(minutes=37)
    assert checked > 5000


# -- traffic lights -----------------------------------------------------------------------------------------------


def test_yellow_at_eighty_percent(cal):
    # 4 work hours from Mon 09:00: 80 % = 3.2 h → 09:00–12:00 (3 h) + 14:30 + 12 min. Due: 14:30 + 1 h.
    assert cal.deadlines(at(2025, 9, 22, 9), 4, "work_hours") == (at(2025, 9, 22, 14, 42), at(2025, 9, 22, 15, 30))
    # 1 working day from Tue 30 Sep 10:00: 80 % = 5.6 h → 5 h on Tuesday + 36 min on Thu 9 Oct.
    assert cal.deadlines(at(2025, 9, 30, 10), Decimal("1"), "work_days") == (
        at(2025, 10, 9, 8, 36),
        at(2025, 10, 9, 10),
    )
    # Natural days: 80 % of 10 days is 8 days.
    assert cal.deadlines(at(2025, 9, 30, 10), 10, "days") == (at(2025, 10, 8, 10), at(2025, 10, 10, 10))
    assert cal.deadlines(at(2025, 9, 30, 10), 30, "minutes") == (at(2025, 9, 30, 10, 24), at(2025, 9, 30, 10, 30))
    # Half of 2 work hours from 11:00 ends exactly at 12:00 and stays there.
    assert cal.deadlines(at(2025, 9, 22, 11), 2, "work_hours", yellow_ratio=0.5) == (
        at(2025, 9, 22, 12),
        at(2025, 9, 22, 15, 30),
    )


# -- missing years ------------------------------------------------------------------------------------------------


def test_missing_years():
    cal = WorkCalendar(exceptions={}, office_hours=OFFICE, published_years={2025, 2026}, tz=SH)
    assert cal.missing_years(at(2025, 1, 1), at(2026, 12, 31, 23, 59)) == set()
    assert cal.missing_years(at(2026, 12, 20), at(2027, 1, 10)) == {2027}
    assert cal.missing_years(at(2030, 12, 30), at(2031, 1, 5)) == {2030, 2031}
    # 17:00 UTC on 31 Dec 2026 is already 1 Jan 2027 in Shanghai.
    assert cal.missing_years(at(2026, 12, 1), datetime(2026, 12, 31, 17, tzinfo=ZoneInfo("UTC"))) == {2027}


def test_unpublished_year_falls_back_to_monday_friday_and_warns(caplog):
    cal = WorkCalendar(exceptions={}, office_hours=OFFICE, published_years={2030}, tz=SH)
    with caplog.at_level(logging.WARNING, logger="gridsafe.calendar"):
        # Tue 31 Dec 2030 10:00 + 1 working day: 2031 unknown, so 1 Jan (Wed) counts as a plain weekday.
        assert cal.add(at(2030, 12, 31, 10), 1, "work_days") == at(2031, 1, 1, 10)
    assert [r.name for r in caplog.records] == ["gridsafe.calendar"]
    assert "2031" in caplog.records[0].getMessage()
    assert "2030" not in caplog.records[0].getMessage().split(":")[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gridsafe.calendar"):
        cal.add(at(2030, 6, 3, 10), 1, "work_days")
        cal.add(at(2031, 6, 3, 10), 30, "minutes")  # natural time does not use the calendar
    assert caplog.records == []


# -- seeding from chinese_calendar --------------------------------------------------------------------------------


def test_library_coverage():
    # chinesecalendar 1.11.0 ships 2004–2026; the 2027 schedule is not in it.
    assert library_years() == list(range(2004, 2027))


@pytest.mark.django_db
def test_seed_2025_matches_the_state_council_notice():
    assert calendar_seed(years=[2025]) == 23
    rows = {r.date: (r.is_workday, r.note, r.source) for r in WorkCalendarDay.objects.all()}
    expected = {d: (False, name, "seed") for d, name in HOLIDAYS_ON_WEEKDAYS_2025.items()}
    expected.update({d: (True, "调休上班", "seed") for d in MAKEUP_DAYS_2025})
    assert rows == expected
    assert date(2025, 10, 4) not in rows  # a holiday on a Saturday is not an exception
    assert list(CalendarYear.objects.filter(published=True).values_list("year", flat=True)) == [2025]


@pytest.mark.django_db
def test_seed_is_idempotent():
    assert calendar_seed(years=[2025]) == 23
    before = list(WorkCalendarDay.objects.values_list("pk", "date", "is_workday", "note", "source"))
    assert calendar_seed(years=[2025]) == 0
    assert list(WorkCalendarDay.objects.values_list("pk", "date", "is_workday", "note", "source")) == before
    assert CalendarYear.objects.count() == 1


@pytest.mark.django_db
def test_seed_keeps_admin_rows_and_repairs_seed_rows():
    WorkCalendarDay.objects.create(date=date(2025, 10, 8), is_workday=True, note="县里安排值班", source="admin")
    WorkCalendarDay.objects.create(date=date(2025, 12, 31), is_workday=False, note="县里放假", source="admin")
    WorkCalendarDay.objects.create(date=date(2025, 10, 1), is_workday=True, note="wrong", source="seed")
    WorkCalendarDay.objects.create(date=date(2025, 3, 3), is_workday=False, note="stale", source="seed")
    # 23 wanted − 1 held by admin = 22 rows: 21 created + 1 repaired, and 1 stale seed row deleted.
    assert calendar_seed(years=[2025]) == 23
    assert WorkCalendarDay.objects.get(date=date(2025, 10, 8)).is_workday is True
    assert WorkCalendarDay.objects.get(date=date(2025, 10, 8)).source == "admin"
    assert WorkCalendarDay.objects.get(date=date(2025, 12, 31)).note == "县里放假"
    repaired = WorkCalendarDay.objects.get(date=date(2025, 10, 1))
    assert (repaired.is_workday, repaired.note, repaired.source) == (False, "国庆节", "seed")
    assert not WorkCalendarDay.objects.filter(date=date(2025, 3, 3)).exists()
    assert WorkCalendarDay.objects.count() == 24  # 22 seed + 2 admin
    assert calendar_seed(years=[2025]) == 0


@pytest.mark.django_db
def test_seed_refuses_a_year_the_library_lacks():
    with pytest.raises(ValueError, match="2031"):
        calendar_seed(years=[2031])
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_seed_all_years():
    written = calendar_seed()
    assert written > 23 * 20
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2004, 2027))
    # 1 Oct 2026 and 1 Jan 2026 are Thursdays and always holidays.
    assert not WorkCalendarDay.objects.get(date=date(2026, 10, 1)).is_workday
    assert not WorkCalendarDay.objects.get(date=date(2026, 1, 1)).is_workday
    assert calendar_seed() == 0
    cal = current_calendar()
    assert cal.missing_years(at(2026, 12, 25), at(2027, 1, 5)) == {2027}
    assert cal.missing_years(at(2031, 1, 1), at(2031, 1, 5)) == {2031}


# -- the calendar in force ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_current_calendar_from_the_database(django_assert_num_queries):
    calendar_seed(years=[2025])
    with django_assert_num_queries(3):  # its version row, the exceptions, the published years
        cal = current_calendar()
    with django_assert_num_queries(0):
        assert current_calendar() is cal
    assert cal.published_years == {2025}
    assert cal.add(at(2025, 9, 30, 10), 1, "work_days") == at(2025, 10, 9, 10)
    assert cal.add(at(2025, 9, 26, 10), 1, "work_days") == at(2025, 9, 28, 10)
    assert cal.add(at(2025, 9, 22, 11), 2, "work_hours") == at(2025, 9, 22, 15, 30)


@pytest.mark.django_db
def test_current_calendar_reflects_an_admin_edit_after_invalidate():
    calendar_seed(years=[2025])
    assert current_calendar().is_workday(date(2025, 10, 9))
    WorkCalendarDay.objects.create(date=date(2025, 10, 9), is_workday=False, note="台风停工", source="admin")
    assert current_calendar().is_workday(date(2025, 10, 9))  # still the cached copy
    invalidate_calendar()
    cal = current_calendar()
    assert not cal.is_workday(date(2025, 10, 9))
    # Tue 30 Sep 10:00: 5 h, then Oct 1–9 off, Fri 10 Oct 08:00 + 2 h.
    assert cal.add(at(2025, 9, 30, 10), 1, "work_days") == at(2025, 10, 10, 10)


@pytest.mark.django_db
def test_other_process_invalidation_seen_within_30_seconds(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(calmod.calendar_cache, "clock", lambda: now[0])
    calendar_seed(years=[2025])
    cal = current_calendar()
    # Another process edits the calendar and bumps the shared version; we do not look for 30 s.
    WorkCalendarDay.objects.create(date=date(2025, 10, 9), is_workday=False, note="台风停工", source="admin")
    bump_version(calmod.calendar_cache.name)
    now[0] += 29
    assert current_calendar() is cal
    now[0] += 2
    fresh = current_calendar()
    assert fresh is not cal
    assert not fresh.is_workday(date(2025, 10, 9))
    now[0] += 31
    assert current_calendar() is fresh  # version unchanged: no reload


# -- management command -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_warns_about_missing_years(monkeypatch):
    from gridsafe.catalog.management.commands import calendar_seed as command

    monkeypatch.setattr(command, "_this_year", lambda: 2026)
    out, err = io.StringIO(), io.StringIO()
    call_command("calendar_seed", "--year", "2025", stdout=out, stderr=err)
    assert "2025" in out.getvalue()
    assert "23 day rows written" in out.getvalue()
    assert "2004–2026" in out.getvalue()
    warnings = [line for line in err.getvalue().splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2
    assert "2026" in warnings[0]
    assert "2027" in warnings[1]

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(command, "_this_year", lambda: 2025)
    call_command("calendar_seed", stdout=out, stderr=err)
    assert "2004–2026" in out.getvalue()
    assert err.getvalue() == ""
    assert "2025 and 2026 are present" in out.getvalue()


@pytest.mark.django_db
def test_command_rejects_unknown_year():
    with pytest.raises(CommandError, match="2031"):
        call_command("calendar_seed", "--year", "2031", stdout=io.StringIO(), stderr=io.StringIO())
