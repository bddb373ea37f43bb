"""Writes of the catalogue's reference data: one service per kind, each owning the invalidation of the caches built
from its rows (core.cache), in the write's own transaction. The admin calls these; so must any other writer
(imports, the shell). A change made around them still shows within core.cache.DEFAULT_MAX_AGE."""

from decimal import Decimal

from django.db import transaction

from gridsafe.accounts.models import UnitKind
from gridsafe.catalog.calendar import ADMIN_SOURCE, invalidate_calendar
from gridsafe.catalog.categories import categories
from gridsafe.catalog.limits import time_limits
from gridsafe.catalog.models import CalendarYear, Category, Domain, TimeLimit, WorkCalendarDay
from gridsafe.core.errors import ValidationFailed

TOMBSTONE_NOTE = "管理员删除：按常规"
MAX_LIMIT = Decimal(9999)  # a time limit longer than this in any unit is a typing mistake


def domain_save(domain: Domain) -> Domain:
    """The category cache carries each category's domain (code, name)."""
    with transaction.atomic():
        domain.save()
        categories.invalidate()
    return domain


def category_department_check(category: Category) -> None:
    """The category → department routing: a county-level department (cases escalated to the county go there)."""
    department = category.department
    if department is None:
        return
    if department.kind != UnitKind.DEPARTMENT or department.region.level != 1 or not department.is_active:
        raise ValidationFailed(f"“{department.name}”不是在用的县级职能部门，不能作为责任部门")


def category_save(category: Category) -> Category:
    """A switched-off category stops being accepted for new reports; its deadlines follow its own time limits; its
    department receives the category's cases dispatched at the county from the next dispatch on."""
    category_department_check(category)
    with transaction.atomic():
        category.save()
        categories.invalidate()
        time_limits.invalidate()
    return category


def time_limit_check(limit: TimeLimit) -> None:
    """A positive amount, and one row per (category or default, urgency, step): a second one would be ambiguous."""
    if limit.amount is None or not Decimal(0) < Decimal(limit.amount) <= MAX_LIMIT:
        raise ValidationFailed(f"时限须为正数（大于 0，不超过 {MAX_LIMIT}）")
    clash = TimeLimit.objects.filter(urgency=limit.urgency, step=limit.step)
    clash = (
        clash.filter(category__isnull=True) if limit.category_id is None else clash.filter(category=limit.category_id)
    )
    if clash.exclude(pk=limit.pk).exists():
        owner = "默认时限" if limit.category_id is None else f"“{limit.category}”的专用时限"
        raise ValidationFailed(
            f"{owner}中已有“{limit.get_urgency_display()} · {limit.get_step_display()}”一项：请修改原有时限"
        )


def time_limit_save(limit: TimeLimit) -> TimeLimit:
    """Deadlines computed after the save use it (the time-limit cache is invalidated in the same transaction)."""
    time_limit_check(limit)
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
