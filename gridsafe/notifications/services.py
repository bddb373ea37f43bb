"""Who hears of a case event. Runs after commit (a task), never inside the case transaction; the desk's
notifications of a report or a dispatch are written when the desk looks (`inbox_catch_up`)."""

from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Max, Q, Subquery, Value
from django.db.models.functions import Coalesce, Now

from gridsafe.accounts.models import Role, User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.permissions import LEADS, level_unit_id
from gridsafe.core import rows
from gridsafe.notifications.models import DeskCursor, Notification, NotificationKind

DESK_ROLES = (Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.DEPT_HANDLER, Role.DEPT_LEAD)

KIND_OF_EVENT: dict[str, str] = {
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
    EventKind.CASE_REGRADED: NotificationKind.REGRADED,
    EventKind.CASE_INFO_REQUESTED: NotificationKind.RETURNED,  # 退回核实: a task for the worker asked
    EventKind.CASE_INFO_SUPPLIED: NotificationKind.NEW_TASK,  # the answer: back on the desk
    EventKind.PART_REPORTED: NotificationKind.NEW_TASK,  # a 协办 part in: the lead department's desk
    EventKind.CASE_CORRECTED: NotificationKind.REGRADED,  # category or location corrected: the reporter hears
}


def _recipients(event: CaseEvent, desk: list[int]) -> list[tuple[int, str]]:
    """(user id, notification kind) pairs. The holder unit's desk (`desk`: its active staff at the desk roles, read
    with the event) hears of everything that lands on it."""
    case = event.case
    kind = KIND_OF_EVENT.get(event.kind)
    if kind is None:
        return []
    people: list[tuple[int, str]] = [(uid, kind) for uid in desk]
    personal: set[int | None] = set()  # a case may have no handler yet: the Nones are dropped below
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
        EventKind.CASE_REGRADED,  # the worker who proposed 重大 hears whether it was confirmed
    ):
        personal.add(case.reporter_id)  # reviewer feedback reaches the collector (onadata #1614)
    if event.kind == EventKind.CASE_INFO_REQUESTED:
        personal.add(event.payload.get("worker_id"))
    if event.kind == EventKind.CASE_CORRECTED:
        personal |= {case.reporter_id, event.payload.get("worker_id")}
    if event.kind == EventKind.CASE_DISPATCHED and event.payload.get("co_department_ids"):
        # 协办: the co-handling departments' desks hear of their part (the lead's desk hears as the holder).
        people += [
            (uid, kind)
            for uid in User.objects.filter(
                unit_id__in=event.payload["co_department_ids"], role__in=DESK_ROLES, is_active=True
            ).values_list("pk", flat=True)
        ]
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


_EVENT_FIELDS = ("id", "kind", "case_id", "actor_id", "holder_unit_id", "comment", "payload", "created_at")
# The case fields the recipient rules and the message read; anything else loads on first access.
_CASE_FIELDS = (
    "id",
    "category_id",
    "description",
    "region_id",
    "reporter_id",
    "handler_id",
    "last_handler_id",
    "holder_unit_id",
    "department_id",
    "dispatcher_unit_id",
)


def _event_with_case(event_id: int) -> tuple[CaseEvent, str, list[int]] | None:
    """The event, its case (the fields above), the category's name and the ids of the holder unit's desk: one
    literal query, as it runs for every report (see core.rows)."""

    def build() -> str:
        roles = ", ".join(["%s"] * len(DESK_ROLES))
        desk = rows.comma_list(
            'SELECT "d"."id" AS v FROM "accounts_user" "d" WHERE "d"."unit_id" = "e"."holder_unit_id" '
            f'AND "d"."is_active" = %s AND "d"."role" IN ({roles})'
        )
        return (
            f"SELECT {rows.columns(CaseEvent, _EVENT_FIELDS, 'e')}, {rows.columns(Case, _CASE_FIELDS, 'c')}, "
            f'"k"."name", {desk} FROM "cases_caseevent" "e" INNER JOIN "cases_case" "c" ON "c"."id" = "e"."case_id" '
            f'INNER JOIN "catalog_category" "k" ON "k"."id" = "c"."category_id" WHERE "e"."id" = %s'
        )

    with connection.cursor() as cursor:
        cursor.execute(rows.statement(("notification_event",), build), [True, *DESK_ROLES, event_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(_EVENT_FIELDS)
    event = rows.instance(CaseEvent, _EVENT_FIELDS, row[:n])
    event.case = rows.instance(Case, _CASE_FIELDS, row[n : n + len(_CASE_FIELDS)])
    return event, row[-2], [int(uid) for uid in row[-1].split(",")] if row[-1] else []


# Events only the holder unit's desk hears of (see `_recipients`). Their notifications are not written when the
# case changes but when a desk member looks at the inbox (`inbox_catch_up`): a report then costs no write beyond
# its own statement, and a desk of five is five rows only once five people have looked.
DESK_ONLY = frozenset(
    {EventKind.CASE_REPORTED, EventKind.CASE_DISPATCHED, EventKind.EXTENSION_APPROVED, EventKind.EXTENSION_REJECTED}
)
# How long after the database showed an event id every transaction that had taken an id up to it has committed or
# rolled back: far longer than any write stays open (a case transaction lasts milliseconds; the worker's longest
# seconds). Only then does a desk's cursor move up to that id; until then the ids above the cursor are read again.
DESK_SETTLE = timedelta(minutes=15)


def needs_task(event_kind: str) -> bool:
    """Whether a case event needs the after-commit notification task: not when only the desk hears of it. A
    dispatch always does: its 协办 departments hear of it too (the task skips nothing the desk look writes: the
    notification's unique key makes the second write nothing)."""
    return event_kind in KIND_OF_EVENT and (event_kind not in DESK_ONLY or event_kind == EventKind.CASE_DISPATCHED)


def _catch_up_sql() -> str:
    """The user's notifications of their desk's new events, titled and bodied by the database from the event, case
    and category rows exactly as `notification_send_for_event` words them."""
    kinds = ", ".join(["%s"] * len(DESK_ONLY))
    by_kind = " ".join(["WHEN %s THEN %s"] * len(DESK_ONLY))
    return f"""
        INSERT INTO "notifications_notification" ("user_id", "kind", "case_id", "event_id", "title", "body", "created_at")
        SELECT %s, CASE "e"."kind" {by_kind} END, "e"."case_id", "e"."id",
               CAST(CASE "e"."kind" {by_kind} END AS text) || "k"."name" || ' #' || CAST("c"."id" AS text),
               SUBSTR(COALESCE(NULLIF("e"."comment", ''), "c"."description"), 1, 500),
               "e"."created_at"
        FROM "cases_caseevent" "e"
        INNER JOIN "cases_case" "c" ON "c"."id" = "e"."case_id"
        INNER JOIN "catalog_category" "k" ON "k"."id" = "c"."category_id"
        WHERE "e"."holder_unit_id" = %s AND "e"."id" > %s AND "e"."kind" IN ({kinds})
          AND ("e"."actor_id" IS NULL OR "e"."actor_id" <> %s)
        ON CONFLICT DO NOTHING"""


def _desk_start(user: User, cursor: DeskCursor | None) -> int:
    """The id below which a desk member hears of nothing: for one who never looked, the last event of their desk
    before their account was made; for one moved to another unit or role, the newest event now (what had landed on
    the new desk before they came is not theirs to hear of)."""
    events = CaseEvent.objects.all()
    if cursor is None:
        events = events.filter(holder_unit_id=user.unit_id, created_at__lt=user.date_joined)
    return events.aggregate(top=Max("id"))["top"] or 0


def inbox_catch_up(user: User) -> int:
    """拉取 — write the user's notifications of the reports and dispatches that landed on their unit's desk since
    their inbox last looked (one INSERT … SELECT on the caseevent_desk index; nothing for anyone not at a desk).
    Every inbox read calls this first: the list, the badge poll, "mark all read". Returns rows written.

    Why an id cursor and how it cannot miss a late commit: an event's id is taken when it is inserted, but its
    transaction commits later, so an event can become visible after one with a higher id was already read. The
    cursor (DeskCursor.event_id) therefore never moves to the highest id read, only to an id the database showed
    (`seen_id`, with `seen_at` on the database's clock) at least DESK_SETTLE ago: every transaction that had taken an
    id up to it has ended since. Each look reads every desk event above the cursor — the last DESK_SETTLE or so of
    them, read again at each look — and the notification's unique key (user, event, kind) with ON CONFLICT DO
    NOTHING makes a re-read write nothing. No app server's clock is involved, so one whose clock lags loses no
    event (the old 15-minute look-back over created_at did). Three queries a look: the cursor, the INSERT …
    SELECT, and, once per DESK_SETTLE, the cursor's move."""
    if not (user.is_active and user.unit_id and user.role in DESK_ROLES):
        return 0
    cursor = (
        DeskCursor.objects.filter(user=user)
        .annotate(settled=ExpressionWrapper(Q(seen_at__lte=Now() - DESK_SETTLE), output_field=BooleanField()))
        .first()
    )
    fresh = cursor is None or (cursor.unit_id, cursor.role) != (user.unit_id, user.role)
    since = cursor.event_id if cursor is not None and not fresh else _desk_start(user, cursor)
    order = sorted(DESK_ONLY)
    kinds = [value for kind in order for value in (kind, KIND_OF_EVENT[kind])]
    titles = [value for kind in order for value in (kind, f"【{EventKind(kind).label}】")]
    with connection.cursor() as db:
        db.execute(
            rows.statement(("inbox_catch_up",), _catch_up_sql),
            [user.pk, *kinds, *titles, user.unit_id, since, *order, user.pk],
        )
        written: int = db.rowcount  # DB-API cursors are untyped; rowcount is an int (-1 when unknown)
    # The newest id visible now, read by the same statement that stamps the database's time on it.
    newest = Coalesce(Subquery(CaseEvent.objects.order_by("-id").values("id")[:1]), Value(0))
    if fresh:
        DeskCursor.objects.update_or_create(
            user=user,
            defaults={
                "event_id": since,
                "seen_id": newest,
                "seen_at": Now(),
                "unit_id": user.unit_id,
                "role": user.role,
            },
        )
    elif cursor is not None and cursor.settled:  # not fresh: there is a cursor
        # Settled when the cursor was read, before the INSERT above read the ids up to seen_id: all of them were
        # visible to it. The SET reads the row's old seen_id (SQL evaluates every right-hand side on the old row).
        DeskCursor.objects.filter(user=user, seen_id=cursor.seen_id).update(
            event_id=F("seen_id"), seen_id=newest, seen_at=Now()
        )
    return written


def notification_send_for_event(*, event_id: int, desk_only_too: bool = True) -> int:
    """Writes one Notification per recipient, in one statement (a duplicate is skipped: the task may run twice).
    Returns how many it tried to write. The task passes `desk_only_too=False`: for a DESK_ONLY event it writes only
    to the people beyond the holder's desk (a dispatch's 协办 departments), since the desk hears when it looks."""
    found = _event_with_case(event_id)
    if found is None:
        return 0
    event, category_name, desk = found
    case = event.case
    recipients = _recipients(event, desk)
    if event.kind in DESK_ONLY and not desk_only_too:
        # The holder's desk hears of this when it looks (`inbox_catch_up`); the task writes only the others (协办).
        recipients = [(uid, kind) for uid, kind in recipients if uid not in desk]
    title = f"【{event.get_kind_display()}】{category_name} #{case.pk}"
    body = (event.comment or case.description)[:500]
    return rows.insert_values(
        Notification,
        ("user", "kind", "case", "event", "title", "body", "created_at"),
        [(uid, kind, case.pk, event.pk, title, body, event.created_at) for uid, kind in recipients],
        ignore_conflicts=True,
    )
