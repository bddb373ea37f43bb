"""The desk's actions (issue 14): 退回核实/补充 with its paused clock, dispatch with a deadline and 协办 (co-handlers
sign and report; the lead submits only once every part is in; a co-handler sees the case and only it), 更正 of
category or location (re-routed, deadlines recomputed, the worker told)."""

import pytest

from gridsafe.cases.models import Case, CaseEvent, CasePart
from gridsafe.cases.permissions import cases_visible_to
from gridsafe.cases.tests.helpers import at, grid_point, village_grid_point
from gridsafe.core import clock
from gridsafe.notifications.models import Notification


@pytest.fixture
def captured(django_capture_on_commit_callbacks):
    """Run the after-commit notifications of what happens inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


# ---------------------------------------------------------------- 退回核实 / 补充


def test_back_to_the_worker_pauses_the_clock_and_the_answer_resumes_it(flow, as_user, people, captured):
    """Village 研判 is 4 工作时 (Mon 09:00 → 15:30). Asked back at 10:00 with 3 h left; answered Tue 09:00: due 12:00."""
    with clock.frozen(at("2025-03-03 09:00")):
        case = flow.report()
    with clock.frozen(at("2025-03-03 10:00")), captured():
        asked = as_user("nanxi").act(case.pk, "request_info", case.version, reason="照片看不清，请补拍")
    assert asked.status_code == 200, asked.content
    body = asked.json()
    assert (body["state"], body["due_at"], body["light"]) == ("pending_review", None, "none")
    stored = _fresh(case)
    assert stored.with_worker_id == people["nanxi_worker"].pk
    assert stored.remaining_on_suspend == pytest.approx(3.0)
    # The worker has a task (a notification that opens the case) and the case lists the answer as theirs to give.
    assert Notification.objects.filter(case=case, user=people["nanxi_worker"], kind="returned").count() == 1
    mine = as_user("nanxi_worker").get(f"/api/v1/cases/{case.pk}").json()
    assert sorted(mine["allowed_actions"]) == ["comment", "supply_info"]
    # While the case is with the worker, the desk cannot move it on.
    refused = as_user("nanxi").act(case.pk, "assign", stored.version)
    assert refused.status_code == 409
    assert "等待网格员核实补充" in refused.json()["detail"]

    with clock.frozen(at("2025-03-04 09:00")), captured():
        answered = as_user("nanxi_worker").act(case.pk, "supply_info", stored.version, answer="已补拍，楼道3辆电动车")
    assert answered.status_code == 200, answered.content
    stored = _fresh(case)
    assert stored.with_worker_id is None
    assert stored.due_at == at("2025-03-04 12:00")  # the 3 工作时 left, from Tue 09:00
    assert Notification.objects.filter(case=case, user=people["nanxi"], kind="new_task").exists()
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[-2:] == ["case.info_requested", "case.info_supplied"]


def test_back_to_the_worker_is_refused_to_others_and_named_workers_must_be_of_the_grid(flow, as_user, people):
    case = flow.report()
    assert as_user("nanxi_worker").act(case.pk, "request_info", case.version, reason="x").status_code == 403
    assert as_user("quanshan").act(case.pk, "request_info", case.version, reason="x").status_code == 404
    wrong = as_user("nanxi").act(
        case.pk, "request_info", case.version, reason="x", worker_id=people["licheng_worker"].pk
    )
    assert wrong.status_code == 422
    assert as_user("nanxi").act(case.pk, "request_info", case.version, reason=" ").status_code == 422
    # Only the worker asked may answer; nobody answers a case that was not sent back.
    assert as_user("nanxi_worker").act(case.pk, "supply_info", case.version, answer="x").status_code == 403


# ---------------------------------------------------------------- 派遣 with a deadline, 主办 + 协办


def test_joint_handling_the_lead_submits_only_once_every_part_is_in(flow, as_user, people, captured):
    gas = people["gas"].unit_id
    with clock.frozen(at("2025-03-03 09:00")):
        case = flow.pending_review_l3()
        with captured():
            dispatched = as_user("county").act(
                case.pk, "dispatch", case.version, co_department_ids=[gas], due_at="2025-03-07T17:00:00+08:00"
            )
    assert dispatched.status_code == 200, dispatched.content
    assert CasePart.objects.get(case=case).department_id == gas
    assert [(p["department_id"], p["state"]) for p in dispatched.json()["parts"]] == [(gas, "dispatched")]
    assert Notification.objects.filter(case=case, user=people["gas"]).exists()  # the co-handler hears
    with clock.frozen(at("2025-03-03 10:00")):
        started = as_user("fire").act(case.pk, "start", dispatched.json()["version"])
    assert started.status_code == 200
    # The dispatch's deadline is the 处置 deadline, not the category's 1 工作日.
    assert started.json()["due_at"] == "2025-03-07T09:00:00Z"  # 17:00 in 仙游

    photo = flow.photo(_fresh(case), "fire")
    submit = {"method": "rectified", "measures": "已清理", "attachment_ids": [photo]}
    refused = as_user("fire").act(case.pk, "submit", started.json()["version"], **submit)
    assert refused.status_code == 409
    assert "协办单位尚未反馈" in refused.json()["detail"] and "燃气" in refused.json()["detail"]

    signed = as_user("gas").act(case.pk, "assist_start", _fresh(case).version)
    assert signed.status_code == 200, signed.content
    with captured():
        reported = as_user("gas").act(case.pk, "assist_report", signed.json()["version"], report="已关阀检测")
    assert reported.status_code == 200, reported.content
    assert Notification.objects.filter(case=case, user=people["fire"], kind="new_task").exists()
    # Reporting twice is refused: the part is in.
    assert as_user("gas").act(case.pk, "assist_report", reported.json()["version"], report="x").status_code == 403

    done = as_user("fire").act(case.pk, "submit", reported.json()["version"], **submit)
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "pending_verification"


def test_a_co_handler_sees_the_case_and_only_it(flow, as_user, people):
    gas = people["gas"].unit_id
    joint = flow.dispatched_joint()
    alone = flow.dispatched()
    visible = set(cases_visible_to(people["gas"]).values_list("pk", flat=True))
    assert joint.pk in visible and alone.pk not in visible
    assert as_user("gas").get(f"/api/v1/cases/{joint.pk}").status_code == 200
    assert as_user("gas").get(f"/api/v1/cases/{alone.pk}").status_code == 404
    assert as_user("gas").act(alone.pk, "assist_start", alone.version).status_code == 404
    # Someone outside: 404.
    assert as_user("quanshan").get(f"/api/v1/cases/{joint.pk}").status_code == 404
    # A co-handler cannot act as the lead.
    assert as_user("gas").act(joint.pk, "start", joint.version).status_code == 403
    assert gas not in (joint.department_id, joint.holder_unit_id)


def test_dispatch_refuses_a_past_deadline_and_a_department_of_another_tier(flow, as_user, people):
    case = flow.pending_review_l3()
    past = as_user("county").act(case.pk, "dispatch", case.version, due_at="2020-01-01T00:00:00+08:00")
    assert past.status_code == 422
    station = people["nanxi"].unit_id
    other = as_user("county").act(case.pk, "dispatch", case.version, co_department_ids=[station])
    assert other.status_code == 422
    assert "协办单位只能是本级职能部门" in other.json()["detail"]


def test_a_return_by_the_lead_withdraws_the_parts(flow, as_user):
    case = flow.dispatched_joint()
    back = as_user("fire").act(case.pk, "return", case.version, reason_code="not_our_duty", reason="燃气为主")
    assert back.status_code == 200
    assert list(CasePart.objects.filter(case=case).values_list("state", flat=True)) == ["withdrawn"]
    assert as_user("gas").act(case.pk, "assist_start", back.json()["version"]).status_code == 403


# ---------------------------------------------------------------- 更正


def test_correcting_the_category_recomputes_the_deadline_and_tells_the_worker(flow, as_user, people, captured):
    with clock.frozen(at("2025-03-03 09:00")):
        case = flow.report()
    with clock.frozen(at("2025-03-03 10:00")), captured():
        fixed = as_user("nanxi").act(
            case.pk, "correct", case.version, reason="实为疏散通道堵塞", category="fire-escape-blocked"
        )
    assert fixed.status_code == 200, fixed.content
    stored = _fresh(case)
    assert stored.category.code == "fire-escape-blocked"
    assert stored.step_started_at == at("2025-03-03 09:00")  # the step's clock counts from its start
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.kind, event.comment) == ("case.corrected", "实为疏散通道堵塞")
    assert event.payload["from"]["category"] == "fire-ebike-indoor"
    assert Notification.objects.filter(case=case, user=people["nanxi_worker"]).exists()


def test_correcting_the_location_re_routes_the_case(flow, as_user, people):
    case = flow.pending_review_l2()  # at 榜头镇's centre
    lon, lat = village_grid_point("泉山村")
    moved = as_user("bangtou").act(case.pk, "correct", case.version, reason="位置标错", lon=lon, lat=lat)
    assert moved.status_code == 200, moved.content
    stored = _fresh(case)
    assert stored.region.parent.name == "泉山村"
    assert stored.holder_unit_id == people["bangtou"].unit_id  # the same township centre: no desk change
    # A village desk cannot move a case outside its 辖区.
    local = flow.report()
    far = grid_point(people["licheng_worker"])
    outside = as_user("nanxi").act(local.pk, "correct", local.version, reason="x", lon=far[0], lat=far[1])
    assert outside.status_code == 422
    assert as_user("nanxi").act(local.pk, "correct", local.version, reason="x").status_code == 422  # nothing to fix
    assert as_user("nanxi_worker").act(local.pk, "correct", local.version, reason="x").status_code == 403
