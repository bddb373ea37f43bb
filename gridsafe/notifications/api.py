from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema

from gridsafe.core.input import BigInt, InputSchema
from gridsafe.core.paging import API_COUNT_CAP, capped_count, page_window
from gridsafe.notifications.models import Notification
from gridsafe.notifications.services import inbox_catch_up

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    case_id: int | None
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    total: int = Field(description="通知数：10 000 以内为精确值；超过时为 10001，且 total_capped 为 true")
    total_capped: bool = Field(description="total 已封顶（多于 10 000 条）")
    has_more: bool = Field(description="本页之后还有下一页")
    unread: int = Field(description="未读数：10 000 以内为精确值；超过时为 10001")


@router.get("", response=NotificationPage, operation_id="notification_list_for_user")
def notification_list(request, unread_only: bool = False, limit: BigInt = 50, offset: BigInt = 0):
    """My inbox: new tasks, escalations, returns, overdue warnings, 督办. Newest first. `total` and `unread` are
    exact up to 10 000 (a desk's inbox can hold millions over the years: an exact count read them all)."""
    inbox_catch_up(request.user)
    qs = Notification.objects.filter(user=request.user)
    unread = capped_count(qs.filter(read_at__isnull=True), API_COUNT_CAP)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    limit, offset = page_window(limit, offset, max_limit=200)
    rows = list(qs[offset : offset + limit + 1])
    total = capped_count(qs, API_COUNT_CAP)
    return {
        "items": rows[:limit],
        "total": total,
        "total_capped": total > API_COUNT_CAP,
        "has_more": len(rows) > limit,
        "unread": unread,
    }


class MarkReadIn(InputSchema):
    ids: list[int] | None = Field(default=None, max_length=1000)  # None: all


@router.post("/read", response={200: dict}, operation_id="notification_mark_read")
def notification_mark_read(request, body: MarkReadIn):
    if body.ids is None:
        inbox_catch_up(request.user)  # "all" includes what the desk has not fetched yet
    qs = Notification.objects.filter(user=request.user, read_at__isnull=True)
    if body.ids is not None:
        qs = qs.filter(pk__in=body.ids)
    return {"marked": qs.update(read_at=timezone.now())}
