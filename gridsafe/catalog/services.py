"""Writes of the catalogue's reference data: one service per kind, each owning the invalidation of the caches built
from its rows (core.cache), in the write's own transaction. The admin calls these; so must any other writer
(imports, the shell). A change made around them still shows within core.cache.DEFAULT_MAX_AGE."""

from django.db import transaction

from gridsafe.catalog.calendar import ADMIN_SOURCE, invalidate_calendar
from gridsafe.catalog.categories import categories
from gridsafe.catalog.limits import time_limits
from gridsafe.catalog.models import CalendarYear, Category, Domain, TimeLimit, WorkCalendarDay

TOMBSTONE_NOTE = "管理员删除：按常规"


def domain_save(domain: Domain) -> Domain:
    """The category cache carries each category's domain (code, name)."""
    with transaction.atomic():
        domain.save()
        categories.invalidate()
    return domain


def category_save(category: Category) -> Category:
    """A switched-off category stops being accepted for new reports; its deadlines follow its own time limits."""
    with transaction.atomic():
        category.save()
        categories.invalidate()
        time_limits.invalidate()
    return category


def time_limit_save(limit: TimeLimit) -> TimeLimit:
    with transaction.atomic():
        limit.save()
        time_limits.invalidate()
    return limit


def time_limit_delete(limit: TimeLimit) -> None:
    with transaction.atomic():
        limit.delete()
        time_limits.invalidate()


def calendar_day_save(day: WorkCalendarDay) -> WorkCalendarDay:
    with transaction.atomic():
        day.save()
        invalidate_calendar()
    return day


def calendar_day_delete(day: WorkCalendarDay) -> bool:
    """Deleting an exception means "this day is as usual" (Monday–Friday work, weekend rest). A bare deletion would
    not last: the next seed from chinese_calendar re-creates the holiday. So the decision is kept as an admin row
    saying "as usual", which the seed leaves alone (returns True then). Deleting such an "as usual" row removes it
    for good (and hands the day back to the seed)."""
    usual = day.date.weekday() < 5
    with transaction.atomic():
        day.delete()
        kept = day.is_workday != usual
        if kept:
            WorkCalendarDay.objects.update_or_create(
                date=day.date, defaults={"is_workday": usual, "note": TOMBSTONE_NOTE, "source": ADMIN_SOURCE}
            )
        invalidate_calendar()
    return kept


def calendar_year_save(year: CalendarYear) -> CalendarYear:
    """A year not published makes a deadline in it raise an alarm."""
    with transaction.atomic():
        year.save()
        invalidate_calendar()
    return year


def calendar_year_delete(year: CalendarYear) -> None:
    with transaction.atomic():
        year.delete()
        invalidate_calendar()
