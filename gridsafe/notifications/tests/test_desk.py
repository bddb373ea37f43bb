"""The desk's notifications of a report or a dispatch are one INSERT … SELECT (no read first): they must say exactly
what the general path (read the event, pick recipients in Python, insert) says, to exactly the same people."""

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import CaseEvent
from gridsafe.cases.tests.helpers import report
from gridsafe.notifications.models import Notification
from gridsafe.notifications.services import notification_send_for_event


def _told(event: CaseEvent) -> set[tuple]:
    return set(
        Notification.objects.filter(event=event).values_list("user__username", "kind", "title", "body", "created_at")
    )


def _both_ways(event: CaseEvent) -> tuple[set, set]:
    fast = _told(event)
    Notification.objects.filter(event=event).delete()
    notification_send_for_event(event_id=event.pk)  # without the kind: the general path
    return fast, _told(event)


def test_the_station_desk_hears_of_a_report_in_the_same_words_either_way(api_as, people):
    station = people["nanxi"].unit
    User.objects.create_user(
        "nanxi_gone", password="x-Long-enough-9", unit=station, role=Role.STATION_OFFICER, is_active=False
    )
    case_id = report(api_as("nanxi_worker"), description="楼道内有电动车充电，插线板过载").json()["id"]
    event = CaseEvent.objects.get(case_id=case_id, kind="case.reported")

    fast, general = _both_ways(event)

    assert fast == general
    told = {username for username, *_ in fast}
    assert "nanxi" in told
    assert "nanxi_worker" not in told  # the reporter does not hear of their own report
    assert "nanxi_gone" not in told  # nor does a deactivated officer
    [(title, body)] = {(title, body) for _user, _kind, title, body, _at in fast}
    assert title == f"【上报隐患】{event.case.category.name} #{case_id}"
    assert body == "楼道内有电动车充电，插线板过载"


def test_a_dispatch_reaches_the_department_desk_in_the_same_words_either_way(api_as, people):
    worker, nanxi, bangtou, county = (api_as(n) for n in ("nanxi_worker", "nanxi", "bangtou", "county"))
    case = report(worker).json()
    case = nanxi.act(case["id"], "escalate", case["version"], reason="本级力量不能消除").json()
    case = bangtou.act(case["id"], "escalate", case["version"], reason="需县级部门执法").json()
    step = county.act(
        case["id"], "dispatch", case["version"], department_id=people["fire"].unit_id, comment="请消防大队处置"
    )
    assert step.status_code == 200, step.content
    event = CaseEvent.objects.get(case_id=case["id"], kind="case.dispatched")

    fast, general = _both_ways(event)

    assert fast == general
    assert "fire" in {username for username, *_ in fast}
    assert "county" not in {username for username, *_ in fast}
    assert {(kind, body) for _u, kind, _t, body, _c in fast} == {("new_task", "请消防大队处置")}


def test_running_the_desk_notification_twice_writes_it_once(api_as, people):
    case_id = report(api_as("nanxi_worker")).json()["id"]
    event = CaseEvent.objects.get(case_id=case_id, kind="case.reported")
    before = Notification.objects.filter(event=event).count()

    assert before >= 1
    notification_send_for_event(event_id=event.pk, kind=event.kind)  # the task ran again (a worker retry)

    assert Notification.objects.filter(event=event).count() == before
