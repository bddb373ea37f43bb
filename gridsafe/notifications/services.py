"""Who hears of a case event. Runs after commit (a task), never inside the case transaction."""

from django.db.models import Q

from gridsafe.accounts.models import Role, User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import CaseEvent
from gridsafe.cases.permissions import LEADS, level_unit_id
from gridsafe.notifications.models import Notification, NotificationKind

DESK_ROLES = (Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.DEPT_HANDLER, Role.DEPT_LEAD)

KIND_OF_EVENT = {
    EventKind.CASE_REPORTED: NotificationKind.NEW_TASK,
    EventKind.CASE_ESCALATED: NotificationKind.ESCALATED,
    EventKind.CASE_DISPATCHED: NotificationKind.NEW_TASK,
    EventKind.CASE_RETURNED: NotificationKind.RETURNED,
    EventKind.CASE_SUBMITTED: NotificationKind.NEW_TASK,
    EventKind.CASE_REWORK: NotificationKind.REWORK,
    EventKind.CASE_REOPENED: NotificationKind.REOPENED,
    EventKind.CASE_SUPERVISED: NotificationKind.SUPERVISED,
    EventKind.CASE_URGED: NotificationKind.URGED,
    EventKind.CASE_DUE_SOON: NotificationKind.DUE_SOON,
    EventKind.CASE_OVERDUE: NotificationKind.OVERDUE,
    EventKind.EXTENSION_REQUESTED: NotificationKind.EXTENSION,
    EventKind.EXTENSION_APPROVED: NotificationKind.EXTENSION,
    EventKind.EXTENSION_REJECTED: NotificationKind.EXTENSION,
    EventKind.CASE_VERIFIED: NotificationKind.CLOSED,
    EventKind.CASE_VOIDED: NotificationKind.CLOSED,
    EventKind.CASE_MERGED: NotificationKind.CLOSED,
    EventKind.CASE_TRANSFERRED: NotificationKind.CLOSED,
}


def _recipients(event: CaseEvent) -> list[tuple[int, str]]:
    """(user id, notification kind) pairs. The holder unit's desk hears of everything that lands on it."""
    case = event.case
    kind = KIND_OF_EVENT.get(event.kind)
    if kind is None:
        return []
    desk = Q(unit_id=event.holder_unit_id, role__in=DESK_ROLES, is_active=True)
    people: list[tuple[int, str]] = [(uid, kind) for uid in User.objects.filter(desk).values_list("pk", flat=True)]
    personal: set[int] = set()
    if event.kind in (
        EventKind.CASE_REWORK,
        EventKind.CASE_REOPENED,
        EventKind.CASE_URGED,
        EventKind.CASE_SUPERVISED,
        EventKind.CASE_OVERDUE,
        EventKind.CASE_DUE_SOON,
    ):
        personal |= {case.handler_id, case.last_handler_id}
    if event.kind in (
        EventKind.CASE_RETURNED,
        EventKind.CASE_VERIFIED,
        EventKind.CASE_VOIDED,
        EventKind.CASE_MERGED,
        EventKind.CASE_TRANSFERRED,
    ):
        personal.add(case.reporter_id)  # reviewer feedback reaches the collector (onadata #1614)
    if event.kind == EventKind.CASE_SUBMITTED:
        # 核查 tasks: the reviewing desk and the grid's workers (never the handler).
        personal |= set(User.objects.filter(grids=case.region_id, is_active=True).values_list("pk", flat=True))
        personal.discard(case.last_handler_id)
    people += [(uid, kind) for uid in personal if uid]
    if event.kind in (EventKind.CASE_ESCALATED,) and event.payload.get("command_unit_id"):
        command = event.payload["command_unit_id"]
        people += [
            (uid, NotificationKind.COMMAND_NOTICE)
            for uid in User.objects.filter(unit_id=command, is_active=True).values_list("pk", flat=True)
        ]
    if event.kind == EventKind.EXTENSION_REQUESTED:
        # The decision is the level unit's lead's (the dispatching centre while a department holds the case).
        approvers = User.objects.filter(unit_id=level_unit_id(case), role__in=LEADS, is_active=True)
        people += [(uid, kind) for uid in approvers.values_list("pk", flat=True)]
    if event.actor_id:
        people = [(uid, k) for uid, k in people if uid != event.actor_id]
    return list(dict.fromkeys(people))


def notification_send_for_event(*, event_id: int) -> int:
    """Writes one Notification per recipient. Returns how many it tried to write."""
    try:  # get() by pk: `.first()` would order by the event's Meta.ordering for nothing
        event = CaseEvent.objects.select_related("case__category").get(pk=event_id)
    except CaseEvent.DoesNotExist:
        return 0
    case = event.case
    title = f"【{event.get_kind_display()}】{case.category.name} #{case.pk}"
    rows = [
        Notification(
            user_id=uid,
            kind=kind,
            case_id=case.pk,
            event_id=event.pk,
            title=title,
            body=(event.comment or case.description)[:500],
            created_at=event.created_at,
        )
        for uid, kind in _recipients(event)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
