"""The deadline sweep (domain.md §4 traffic lights) with the clock at chosen instants.

A grid worker's report on Monday 2025-03-03 09:00 starts the village 研判 step: 4 工作时 in office hours 08:00–12:00
and 14:30–17:30. By hand: yellow (80 % = 3.2 h) at 09–12 (3 h) + 12 min from 14:30 = 14:42; due (4 h) at 15:30;
2× (8 h) at Mon 6 h + Tue 08:00–10:00 = Tue 10:00; 3× (12 h) at Mon 6 h + Tue 08–12 and 14:30–16:30 = Tue 16:30."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridsafe.cases.models import Case, CaseEvent, Supervision
from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.notifications.models import Notification

NOTHING = {"due_soon": 0, "overdue": 0, "cards": 0, "lost_race": 0}


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """One sweep pass at `when`, with its after-commit notifications delivered."""

    def run(when: str):
        with clock.frozen(at(when)), django_capture_on_commit_callbacks(execute=True):
            return sweep_due_cases(now=at(when))

    return run


def _reported(flow, when="2025-03-03 09:00") -> Case:
    with clock.frozen(at(when)):
        return flow.report()


def _facts(overdue_steps) -> list[tuple]:
    parse = datetime.fromisoformat
    return [(f["step"], parse(f["started_at"]), parse(f["due_at"]), parse(f["detected_at"])) for f in overdue_steps]


def _kinds(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


def test_the_deadlines_are_those_computed_by_hand(flow):
    case = _reported(flow)
    assert (case.step, case.yellow_at, case.due_at) == (
        "review_village",
        at("2025-03-03 14:42"),
        at("2025-03-03 15:30"),
    )
    assert case.light_at(at("2025-03-03 14:41")) == "green"
    assert case.light_at(at("2025-03-03 14:42")) == "yellow"
    assert case.light_at(at("2025-03-03 15:31")) == "red"


def test_yellow_writes_a_due_soon_event_and_tells_the_station(flow, sweep, people):
    case = _reported(flow)

    assert sweep("2025-03-03 14:41") == NOTHING
    assert _kinds(case) == ["case.reported"]

    assert sweep("2025-03-03 14:42") == {**NOTHING, "due_soon": 1}

    stored = Case.objects.get(pk=case.pk)
    assert _kinds(case) == ["case.reported", "case.due_soon"]
    assert (stored.alert_stage, stored.version, stored.state) == (1, 2, "pending_review")
    assert Notification.objects.filter(case=case, user=people["nanxi"], kind="due_soon").count() == 1
    assert stored.overdue_steps == []


def test_exactly_at_the_deadline_is_not_yet_overdue(flow, sweep):
    case = _reported(flow)
    sweep("2025-03-03 14:42")
    assert sweep("2025-03-03 15:30") == NOTHING
    assert _kinds(case) == ["case.reported", "case.due_soon"]


def test_past_the_deadline_freezes_the_fact_and_raises_an_automatic_normal_supervision(flow, sweep, people):
    case = _reported(flow)
    sweep("2025-03-03 14:42")

    assert sweep("2025-03-03 15:31") == {**NOTHING, "overdue": 1}

    stored = Case.objects.get(pk=case.pk)
    assert _kinds(case) == ["case.reported", "case.due_soon", "case.overdue", "case.supervised"]
    assert _facts(stored.overdue_steps) == [
        ("review_village", at("2025-03-03 09:00"), at("2025-03-03 15:30"), at("2025-03-03 15:31"))
    ]
    order = Supervision.objects.get(case=case)
    assert (order.level, order.automatic, order.issued_by, order.target_unit_id) == (
        "normal",
        True,
        None,
        people["nanxi"].unit_id,
    )
    assert stored.supervision == "normal"
    assert stored.supervision_reply_due is not None
    assert CaseEvent.objects.get(case=case, kind="case.supervised").actor_label == "系统"
    for kind in ("overdue", "supervised"):
        assert Notification.objects.filter(case=case, user=people["nanxi"], kind=kind).count() == 1
    assert stored.light_at(at("2025-03-03 15:31")) == "red"


def test_overdue_fact_survives_leaving_the_step(flow, sweep, as_user):
    case = _reported(flow)
    sweep("2025-03-03 15:31")
    with clock.frozen(at("2025-03-03 16:00")):
        response = as_user("nanxi").act(
            case.pk, "escalate", Case.objects.get(pk=case.pk).version, reason="本级不能消除"
        )
    assert response.status_code == 200, response.content
    assert _facts(response.json()["overdue_steps"]) == [
        ("review_village", at("2025-03-03 09:00"), at("2025-03-03 15:30"), at("2025-03-03 15:31"))
    ]
    # The new step's clock starts fresh: green again.
    assert response.json()["light"] == "green"


def test_twice_the_limit_is_a_yellow_card_and_three_times_a_red_card(flow, sweep):
    case = _reported(flow)
    sweep("2025-03-03 14:42")
    sweep("2025-03-03 15:31")

    assert sweep("2025-03-04 09:59") == NOTHING
    assert sweep("2025-03-04 10:00") == {**NOTHING, "cards": 1}
    assert Case.objects.get(pk=case.pk).supervision == "yellow"

    assert sweep("2025-03-04 16:29") == NOTHING
    assert sweep("2025-03-04 16:30") == {**NOTHING, "cards": 1}
    stored = Case.objects.get(pk=case.pk)
    assert stored.supervision == "red"
    assert list(Supervision.objects.filter(case=case).values_list("level", "automatic")) == [
        ("normal", True),
        ("yellow", True),
        ("red", True),
    ]
    # Nothing further is due: the red card is the last stage.
    assert stored.next_sweep_at is None
    assert sweep("2025-03-10 09:00") == NOTHING


def test_one_late_sweep_raises_only_the_step_reached_and_a_second_run_changes_nothing(flow, sweep, people):
    """A sweep that first sees the case at 3× its limit raises the red card alone: 普通, 黄牌 and 红牌 are steps,
    not three notices in the same minute (issue 14)."""
    case = _reported(flow)

    first = sweep("2025-03-05 09:00")

    assert first == {**NOTHING, "overdue": 1, "cards": 1}
    kinds = ["case.reported", "case.overdue", "case.supervised"]
    assert _kinds(case) == kinds
    assert list(Supervision.objects.filter(case=case).values_list("level", flat=True)) == ["red"]
    assert Notification.objects.filter(case=case, user=people["nanxi"], kind="supervised").count() == 1
    version = Case.objects.get(pk=case.pk).version
    notifications = Notification.objects.filter(case=case).count()

    assert sweep("2025-03-05 09:00") == NOTHING
    assert sweep("2025-03-06 09:00") == NOTHING
    assert _kinds(case) == kinds
    assert Case.objects.get(pk=case.pk).version == version
    assert Notification.objects.filter(case=case).count() == notifications
    assert Supervision.objects.filter(case=case).count() == 1


def test_a_sweep_between_two_and_three_times_raises_the_yellow_card_alone(flow, sweep):
    case = _reported(flow)
    assert sweep("2025-03-04 11:00") == {**NOTHING, "overdue": 1, "cards": 1}  # 2× at Tue 10:00, 3× at 16:30
    assert list(Supervision.objects.filter(case=case).values_list("level", flat=True)) == ["yellow"]
    assert sweep("2025-03-04 16:30") == {**NOTHING, "cards": 1}
    assert list(Supervision.objects.filter(case=case).values_list("level", flat=True)) == ["yellow", "red"]


def test_an_open_order_as_strong_is_not_repeated_by_the_sweep(flow, sweep, as_user):
    """A leader's red card on the step: the sweep's normal, yellow and red find it open and raise no notice."""
    case = _reported(flow)
    with clock.frozen(at("2025-03-03 10:00")):
        response = as_user("leader").act(case.pk, "supervise", case.version, level="red", instruction="立即处置")
    assert response.status_code == 200, response.content
    assert sweep("2025-03-03 15:31") == {**NOTHING, "overdue": 1}
    assert sweep("2025-03-04 16:30") == NOTHING
    assert list(Supervision.objects.filter(case=case).values_list("level", "automatic")) == [("red", False)]
    assert Case.objects.get(pk=case.pk).next_sweep_at is None


def test_a_case_not_yet_due_is_untouched(flow, sweep):
    due = _reported(flow, "2025-03-03 09:00")
    later = _reported(flow, "2025-03-03 14:00")  # counting starts 14:30: yellow 17:30 + 0.2 h → Tue 08:12
    assert later.yellow_at == at("2025-03-04 08:12")

    assert sweep("2025-03-03 17:30") == {**NOTHING, "overdue": 1}

    stored = Case.objects.get(pk=later.pk)
    assert (stored.version, stored.alert_stage, stored.updated_at) == (1, 0, later.updated_at)
    assert _kinds(later) == ["case.reported"]
    assert Case.objects.get(pk=due.pk).alert_stage == 2


def test_suspended_and_closed_cases_are_not_swept(flow, sweep):
    with clock.frozen(at("2025-03-03 09:00")):
        voided = flow.act(flow.report(), "void", "nanxi", reason_code="not_hazard", reason="无隐患")
        suspended = flow.suspended()
    assert sweep("2025-03-05 09:00") == NOTHING
    assert _kinds(voided) == ["case.reported", "case.voided"]
    assert _kinds(suspended)[-1] == "case.suspended"
    assert Case.objects.get(pk=suspended.pk).overdue_steps == []


def test_the_sweep_reads_only_due_rows(flow, sweep):
    """The cost of a pass follows the due cases, not the open ones."""
    _reported(flow, "2025-03-03 09:00")  # yellow 14:42
    _reported(flow, "2025-03-03 09:30")  # 2.5 h by noon + 0.7 h from 14:30: yellow 15:12
    with CaptureQueriesContext(connection) as one_due:
        assert sweep("2025-03-03 14:42")["due_soon"] == 1

    for _ in range(5):
        _reported(flow, "2025-03-03 14:42")  # yellow Tue 08:24
    with CaptureQueriesContext(connection) as one_due_five_waiting:
        assert sweep("2025-03-03 15:12")["due_soon"] == 1
    assert len(one_due_five_waiting) == len(one_due)

    with CaptureQueriesContext(connection) as none_due:
        assert sweep("2025-03-03 15:13") == NOTHING
    assert len(none_due) == 1  # the one indexed scan of next_sweep_at


def test_a_new_deadline_after_an_extension_gets_its_own_alerts(flow, sweep, as_user):
    """处置 of this category is 1 工作日 (7 h): started Mon 09:00, due Tue 09:00."""
    fire, county_lead = as_user("fire"), as_user("county_lead")
    with clock.frozen(at("2025-03-03 09:00")):
        case = flow.handling_dept()
    assert sweep("2025-03-04 09:01")["overdue"] == 1
    with clock.frozen(at("2025-03-04 10:00")):
        version = Case.objects.get(pk=case.pk).version
        version = fire.act(
            case.pk, "request_extension", version, requested_due="2025-03-06T17:30:00+08:00", reason="需采购"
        ).json()["version"]
        approved = county_lead.act(case.pk, "approve_extension", version)
    assert approved.status_code == 200, approved.content
    assert sweep("2025-03-05 09:01") == NOTHING  # the old 2× instant no longer counts

    assert sweep("2025-03-06 17:31") == {**NOTHING, "overdue": 1}

    assert _kinds(case).count("case.overdue") == 2
    stored = Case.objects.get(pk=case.pk)
    assert [f["step"] for f in stored.overdue_steps] == ["handle"]  # one frozen fact per step
    # 2× the limit counts on from the deadline in force: Thu 17:30 + 7 h = Fri 17:30.
    assert stored.next_sweep_at == at("2025-03-07 17:30")
    assert sweep("2025-03-07 17:30") == {**NOTHING, "cards": 1}
    assert Case.objects.get(pk=case.pk).supervision == "yellow"


def test_after_a_resume_the_time_suspended_does_not_count(flow, sweep, as_user):
    county_lead = as_user("county_lead")
    with clock.frozen(at("2025-03-03 09:00")):
        case = flow.handling_dept()  # yellow Mon 17:06, due Tue 09:00
    assert sweep("2025-03-03 17:10") == {**NOTHING, "due_soon": 1}
    with clock.frozen(at("2025-03-03 17:20")):  # 10 min + Tue 08–09: 70 min left
        version = Case.objects.get(pk=case.pk).version
        version = county_lead.act(case.pk, "suspend", version, reason="需资金", review_date="2025-03-10").json()[
            "version"
        ]
    with clock.frozen(at("2025-03-05 10:00")):
        assert county_lead.act(case.pk, "resume", version).status_code == 200
    stored = Case.objects.get(pk=case.pk)
    assert abs((stored.due_at - at("2025-03-05 11:10")).total_seconds()) < 1
    assert stored.overdue_steps == []

    # Less than 20 % of the limit is left, so it is yellow at once: a new warning for the new deadline.
    assert sweep("2025-03-05 10:00") == {**NOTHING, "due_soon": 1}
    assert sweep("2025-03-05 11:11") == {**NOTHING, "overdue": 1}
    assert _facts(Case.objects.get(pk=case.pk).overdue_steps)[0][2] == Case.objects.get(pk=case.pk).due_at
    # 2× counts on from the new deadline: Wed 11:10 + 7 h = 50 min + 3 h + Thu 08:00–11:10.
    assert abs((Case.objects.get(pk=case.pk).next_sweep_at - at("2025-03-06 11:10")).total_seconds()) < 1
