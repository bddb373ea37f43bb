from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema

from gridsafe.core.input import BigInt, InputSchema
from gridsafe.core.paging import page_window
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
    total: int
    unread: int


@router.get("", response=NotificationPage, operation_id="notification_list_for_user")
def notification_list(request, unread_only: bool = False, limit: BigInt = 50, offset: BigInt = 0):
    """My inbox: new tasks, escalations, returns, overdue warnings, 督办. Newest first."""
    inbox_catch_up(request.user)
    qs = Notification.objects.filter(user=request.user)
    unread = qs.filter(read_at__isnull=True).count()
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    limit, offset = page_window(limit, offset, max_limit=200)
    return {"items": list(qs[offset : offset + limit]), "total": qs.count(), "unread": unread}


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
