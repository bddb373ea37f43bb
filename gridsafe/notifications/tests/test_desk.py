"""The desk's notifications of a report or a dispatch are written when a desk member looks at the inbox
(inbox_catch_up), not when the case changes. They must say exactly what the general path (read the event, pick the
recipients in Python, insert) would have said, to exactly the same people, once."""

import uuid
from datetime import timedelta

from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import CaseEvent
from gridsafe.cases.tests.helpers import report
from gridsafe.notifications.models import DeskCursor, Notification
from gridsafe.notifications.services import DESK_SETTLE, inbox_catch_up, notification_send_for_event


def _told(event: CaseEvent) -> set[tuple]:
    return set(
        Notification.objects.filter(event=event).values_list("user__username", "kind", "title", "body", "created_at")
    )


def _general_path(event: CaseEvent) -> set[tuple]:
    """What the after-commit task would write for this event, then those rows removed again."""
    before = set(Notification.objects.filter(event=event).values_list("pk", flat=True))
    notification_send_for_event(event_id=event.pk)
    told = _told(event)
    Notification.objects.filter(event=event).exclude(pk__in=before).delete()
    return told


def test_a_report_reaches_the_station_desk_when_it_looks_in_the_words_of_the_general_path(api_as, people):
    station = people["nanxi"].unit
    User.objects.create_user(
        "nanxi_gone", password="x-Long-enough-9", unit=station, role=Role.STATION_OFFICER, is_active=False
    )
    case_id = report(api_as("nanxi_worker"), description="楼道内有电动车充电，插线板过载").json()["id"]
    event = CaseEvent.objects.get(case_id=case_id, kind="case.reported")
    assert not Notification.objects.filter(event=event).exists()  # the report itself wrote none
    expected = _general_path(event)

    inbox = api_as("nanxi").get("/api/v1/notifications").json()

    assert [(n["kind"], n["case_id"]) for n in inbox["items"]] == [("new_task", case_id)]
    assert inbox["unread"] == 1
    item = inbox["items"][0]
    assert item["title"] == f"【上报隐患】{event.case.category.name} #{case_id}"
    assert item["body"] == "楼道内有电动车充电，插线板过载"
    for username in [u for u, *_ in expected if u != "nanxi"]:
        inbox_catch_up(User.objects.get(username=username))
    assert _told(event) == expected  # same people, same words, same times
    told = {username for username, *_ in expected}
    assert "nanxi_worker" not in told and "nanxi_gone" not in told


def test_a_dispatch_reaches_the_department_desk_and_no_other(api_as, people):
    worker, nanxi, bangtou, county, fire = (api_as(n) for n in ("nanxi_worker", "nanxi", "bangtou", "county", "fire"))
    case = report(worker).json()
    case = nanxi.act(case["id"], "escalate", case["version"], reason="本级力量不能消除").json()
    case = bangtou.act(case["id"], "escalate", case["version"], reason="需县级部门执法").json()
    step = county.act(
        case["id"], "dispatch", case["version"], department_id=people["fire"].unit_id, comment="请消防大队处置"
    )
    assert step.status_code == 200, step.content
    event = CaseEvent.objects.get(case_id=case["id"], kind="case.dispatched")
    expected = _general_path(event)

    items = fire.get("/api/v1/notifications").json()["items"]
    assert [(n["kind"], n["body"]) for n in items if n["case_id"] == case["id"]] == [("new_task", "请消防大队处置")]
    assert {u for u, *_ in _told(event)} == {"fire"} <= {u for u, *_ in expected}
    # Looking does not reach other desks' events: the gas department and the county centre get nothing of it.
    for other in ("gas", "county"):
        inbox_catch_up(people[other])
    assert {u for u, *_ in _told(event)} == {"fire"}


def _settle(user: User) -> None:
    """DESK_SETTLE passes on the database's clock after the cursor's last observation."""
    cursor = DeskCursor.objects.get(user=user)
    DeskCursor.objects.filter(user=user).update(seen_at=cursor.seen_at - DESK_SETTLE - timedelta(seconds=1))


def _event(case_id: int, unit_id: int, *, id: int, created_at=None) -> CaseEvent:
    """A dispatch event of this case to this desk, with the id its transaction took when it inserted."""
    return CaseEvent.objects.create(
        id=id,
        case_id=case_id,
        request_id=uuid.uuid4(),
        kind="case.dispatched",
        actor_label="县应急管理局",
        holder_unit_id=unit_id,
        comment=f"请处置 {id}",
        seq=id,
        created_at=created_at or timezone.now(),
    )


def test_looking_twice_writes_once_and_a_late_commit_is_still_delivered(api_as, people):
    """Two transactions take event ids; the one with the higher id commits first and the inbox reads it. The one
    with the lower id commits after that look (a slow transaction): it is still delivered, once."""
    nanxi = people["nanxi"]
    desk = nanxi.unit_id
    case = report(api_as("nanxi_worker")).json()["id"]
    top = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    _event(case, desk, id=top + 1000)  # committed first

    assert inbox_catch_up(nanxi) == 2  # the report and the higher dispatch
    assert inbox_catch_up(nanxi) == 0  # the badge polls every 15 s: nothing new, nothing written
    late = _event(case, desk, id=top + 500)  # lower id, committed after the look ...
    _settle(nanxi)  # ... and within DESK_SETTLE of it; now the cursor may move past what it saw

    assert inbox_catch_up(nanxi) == 1
    assert DeskCursor.objects.get(user=nanxi).event_id >= top + 1000  # it moved
    assert inbox_catch_up(nanxi) == 0
    _settle(nanxi)
    assert inbox_catch_up(nanxi) == 0
    assert Notification.objects.filter(user=nanxi, event=late, kind="new_task").count() == 1
    assert Notification.objects.filter(user=nanxi, case_id=case).count() == 3  # each event once


def test_an_event_from_a_host_whose_clock_lags_is_not_lost(api_as, people):
    nanxi = people["nanxi"]
    case = report(api_as("nanxi_worker")).json()["id"]
    inbox_catch_up(nanxi)
    _settle(nanxi)
    inbox_catch_up(nanxi)  # the cursor has moved on
    top = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    # Written by an app server whose clock is an hour behind: its time is older than anything read before.
    lagging = _event(case, nanxi.unit_id, id=top + 1, created_at=timezone.now() - timedelta(hours=1))

    assert inbox_catch_up(nanxi) == 1
    assert Notification.objects.filter(user=nanxi, event=lagging, kind="new_task").count() == 1


def test_a_poll_costs_the_same_queries_however_many_events_it_takes_in(api_as, people, django_assert_num_queries):
    nanxi = people["nanxi"]
    worker = api_as("nanxi_worker")
    inbox_catch_up(nanxi)
    with django_assert_num_queries(2):
        inbox_catch_up(nanxi)
    for _ in range(3):
        report(worker)
    with django_assert_num_queries(2):
        assert inbox_catch_up(nanxi) == 3
    _settle(nanxi)
    with django_assert_num_queries(3):  # once per DESK_SETTLE, the cursor moves
        inbox_catch_up(nanxi)


def test_only_desk_members_fetch_anything(api_as, people):
    report(api_as("nanxi_worker"))
    for username in ("nanxi_worker", "leader", "admin", "bangtou"):
        assert inbox_catch_up(people[username]) == 0
    assert not Notification.objects.filter(user__username__in=["nanxi_worker", "leader", "admin", "bangtou"]).exists()


def test_someone_moved_to_another_desk_hears_only_of_what_lands_there_afterwards(api_as, people):
    mover = people["quanshan"]
    assert inbox_catch_up(mover) == 0  # looked once, at the 泉山村 station
    before = report(api_as("nanxi_worker")).json()["id"]  # lands on the 南溪村 station
    mover.unit = people["nanxi"].unit
    mover.save(update_fields=["unit"])

    inbox_catch_up(mover)
    assert not Notification.objects.filter(user=mover, case_id=before).exists()  # landed before they came

    after = report(api_as("nanxi_worker")).json()["id"]
    inbox_catch_up(mover)
    assert Notification.objects.filter(user=mover, case_id=after, kind="new_task").exists()
