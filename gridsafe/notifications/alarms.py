"""The calendar alarm: deadlines must not be guessed (domain.md §4). When the State Council's schedule for the
coming year is not loaded and the year is near, every administrator gets one system notification a day. Here, not
in catalog: it writes notifications, a layer above the calendar."""

from datetime import timedelta

from gridsafe.accounts.models import Role, User
from gridsafe.catalog.calendar import current_calendar
from gridsafe.core import clock
from gridsafe.notifications.models import Notification, NotificationKind

LOOKAHEAD_DAYS = 60


def calendar_alarm_raise(*, now=None) -> list[int]:
    """Notify administrators of unpublished years within the next LOOKAHEAD_DAYS. Returns the missing years.
    At most one notification per administrator per day (checked against today's rows)."""
    now = now or clock.now()
    missing = sorted(current_calendar().missing_years(now, now + timedelta(days=LOOKAHEAD_DAYS)))
    if not missing:
        return []
    years = "、".join(str(y) for y in missing)
    title = f"【工作日历】{years} 年放假安排尚未录入"
    body = (
        f"{years} 年的法定节假日和调休安排未录入，涉及该年的工作日时限将按周一至周五计算。"
        "请在管理后台“工作日历”中录入国务院办公厅发布的安排，或升级 chinesecalendar。"
    )
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    told_today = Notification.objects.filter(kind=NotificationKind.SYSTEM, created_at__gte=start_of_day, title=title)
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk__in=told_today.values("user_id"))
    Notification.objects.bulk_create(
        [
            Notification(user=admin, kind=NotificationKind.SYSTEM, title=title, body=body, created_at=now)
            for admin in admins
        ]
    )
    return missing
