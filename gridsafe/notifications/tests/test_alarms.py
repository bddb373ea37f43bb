from datetime import datetime
from zoneinfo import ZoneInfo

from gridsafe.catalog.calendar import invalidate_calendar
from gridsafe.catalog.models import CalendarYear
from gridsafe.notifications.alarms import calendar_alarm_raise
from gridsafe.notifications.models import Notification

SH = ZoneInfo("Asia/Shanghai")


def test_admins_are_told_once_a_day_when_next_years_schedule_is_missing(people):
    invalidate_calendar()
    CalendarYear.objects.filter(year=2031).delete()
    late_2030 = datetime(2030, 12, 1, 9, 0, tzinfo=SH)
    CalendarYear.objects.get_or_create(year=2030)
    invalidate_calendar()
    assert calendar_alarm_raise(now=late_2030) == [2031]
    alarms = Notification.objects.filter(user=people["admin"], kind="system")
    assert alarms.count() == 1
    assert "2031" in alarms.get().title
    calendar_alarm_raise(now=late_2030.replace(hour=15))
    assert alarms.count() == 1  # not again the same day
    # Nobody else is alarmed.
    assert not Notification.objects.filter(user=people["county"], kind="system").exists()
    invalidate_calendar()


def test_no_alarm_when_the_coming_year_is_loaded(people):
    invalidate_calendar()
    mid_2025 = datetime(2025, 6, 1, 9, 0, tzinfo=SH)
    assert calendar_alarm_raise(now=mid_2025) == []
    assert not Notification.objects.filter(kind="system").exists()
