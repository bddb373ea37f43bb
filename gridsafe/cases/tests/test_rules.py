"""The domain rules of domain.md §3–§4, as the people of 南溪村, 榜头镇 and the county meet them through the API.
Time is moved with `core.clock.frozen`; the working week 2025-03-03 (Mon) – 03-07 (Fri) has no holiday, and office
hours are 08:00–12:00 and 14:30–17:30 (7 working hours a day)."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case, CaseEvent, Supervision
from gridsafe.cases.tests.helpers import NANXI, QUANSHAN, VALID_FIELDS, at, village_grid, village_grid_point
from gridsafe.core import clock
from gridsafe.notifications.models import Notification
from gridsafe.notifications.services import inbox_catch_up

MON_0900 = "2025-03-03 09:00"


def _stored(case_id) -> Case:
    return Case.objects.get(pk=case_id)


def _problem(response, status, code="validation_failed"):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    return body


def _dt(text):
    return datetime.fromisoformat(text)


def _notified(case_id, username, kind) -> bool:
    """Whether the user's inbox shows it (a desk's reports and dispatches are fetched when it looks)."""
    inbox_catch_up(User.objects.get(username=username))
    return Notification.objects.filter(case_id=case_id, user__username=username, kind=kind).exists()


# ---------------------------------------------------------------- 重大 and skip-level reporting


def test_officer_reports_major_straight_to_the_township_and_it_cannot_be_assigned(flow, as_user):
    case = flow.report("nanxi", severity="major")
    assert (case.grade, case.level, case.holder_unit.name) == ("major", 2, "榜头镇网格化中心")

    response = as_user("bangtou").act(case.pk, "assign", case.version)

    body = _problem(response, 403, "not_permitted")
    assert "重大" in body["detail"]
    assert _stored(case.pk).state == "pending_review"


def test_grid_worker_major_is_only_a_proposal_that_goes_to_the_township(as_user, people):
    worker = as_user("nanxi_worker")
    from gridsafe.cases.tests.helpers import report

    response = report(worker, severity="major")

    assert response.status_code == 201, response.content
    case = response.json()
    village_path = village_grid(NANXI).parent.path
    assert case["grade"] == "general"  # the worker proposes; an officer confirms
    assert (case["level"], case["holder_unit"]["name"]) == (2, "榜头镇网格化中心")
    detail = as_user("nanxi").get(f"/api/v1/cases/{case['id']}").json()  # the skipped station still sees it
    assert detail["cc_paths"] == [village_path]
    assert detail["events"][0]["payload"]["major_proposed"] is True
    assert detail["events"][0]["payload"]["skip_level"] is True
    assert _notified(case["id"], "bangtou", "new_task")
    # Since it is not (yet) 重大, the township may handle it itself.
    assert as_user("bangtou").act(case["id"], "assign", case["version"]).status_code == 200


def test_urgent_report_also_goes_straight_to_the_township(flow):
    case = flow.report(category="fireworks-unlicensed")  # an urgent category
    assert (case.urgent, case.level, case.cc_paths) == (True, 2, [village_grid(NANXI).parent.path])
    plain = flow.report(urgent=True)
    assert (plain.urgent, plain.level) == (True, 2)


def test_skip_level_escalation_is_only_for_major_or_urgent(flow, as_user, people):
    general = flow.report()
    response = as_user("nanxi").act(general.pk, "escalate", general.version, reason="需执法", target_level=3)
    _problem(response, 422)
    assert (_stored(general.pk).level, _stored(general.pk).version) == (1, 1)
    one_tier = as_user("nanxi").act(general.pk, "escalate", general.version, reason="本级不能消除")
    assert (one_tier.json()["level"], one_tier.json()["cc_paths"]) == (2, [])  # nothing skipped, nobody CC'd

    # A 重大 case back at the village (returned by the township for more information) may skip to the county.
    major = flow.act(
        flow.report("nanxi", severity="major"), "return", "bangtou", reason_code="incomplete", reason="补充照片"
    )
    assert (major.level, major.holder_unit.name) == (1, f"{NANXI}网格管理站")
    response = as_user("nanxi").act(major.pk, "escalate", major.version, reason="需县级执法", target_level=3)

    assert response.status_code == 200, response.content
    case = response.json()
    assert (case["level"], case["holder_unit"]["name"]) == (3, "县网格化中心")
    assert case["events"][-1]["payload"]["skip_level"] is True
    # The township it jumped over is CC'd, after the village CC'd on the original skip-level report.
    assert case["cc_paths"] == [village_grid(NANXI).parent.path, "350322.101"]
    # Leaving the village still notifies the township 专项整治指挥部.
    assert _notified(major.pk, "t350322101-command", "command_notice")
    assert _notified(major.pk, "county", "escalated")


@pytest.mark.parametrize("target_level", [1, 4])
def test_escalation_target_outside_the_tiers_is_422(flow, as_user, target_level):
    case = flow.report()
    response = as_user("nanxi").act(case.pk, "escalate", case.version, reason="x", target_level=target_level)
    _problem(response, 422)


def test_escalation_to_the_same_level_is_422(flow, as_user):
    case = flow.pending_review_l2()
    response = as_user("bangtou").act(case.pk, "escalate", case.version, reason="x", target_level=2)
    _problem(response, 422)
    assert _stored(case.pk).level == 2


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_escalation_needs_a_reason(flow, as_user, reason):
    case = flow.report()
    fields = {} if reason is None else {"reason": reason}
    response = as_user("nanxi").act(case.pk, "escalate", case.version, **fields)
    _problem(response, 422)
    assert _stored(case.pk).level == 1
    assert not CaseEvent.objects.filter(case=case, kind="case.escalated").exists()


def test_county_cannot_escalate_further(flow, as_user):
    case = flow.pending_review_l3()
    _problem(as_user("county").act(case.pk, "escalate", case.version, reason="x"), 403, "not_permitted")


# ---------------------------------------------------------------- 派遣 routing


@pytest.mark.parametrize(
    ("category", "department"),
    [
        ("fire-ebike-indoor", "县消防救援大队"),
        ("lpg-no-inspection", "县住建局(燃气管理)"),
        ("elevator-no-mark", "县市场监管局"),
    ],
)
def test_county_dispatch_defaults_to_the_categorys_county_department(flow, as_user, category, department):
    case = flow.pending_review_l3(category=category)
    response = as_user("county").act(case.pk, "dispatch", case.version)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["holder_unit"]["name"], body["step"]) == ("dispatched", department, "sign")
    assert body["department_id"] == body["holder_unit"]["id"]


@pytest.mark.parametrize(
    ("category", "department"), [("fire-ebike-indoor", "榜头镇安监站"), ("lpg-no-inspection", "榜头镇村建站")]
)
def test_township_dispatch_defaults_to_its_own_station(flow, as_user, category, department):
    case = flow.pending_review_l2(category=category)
    response = as_user("bangtou").act(case.pk, "dispatch", case.version)
    assert response.status_code == 200, response.content
    assert response.json()["holder_unit"]["name"] == department
    assert _notified(case.pk, f"t350322101-{'safety' if '安监' in department else 'construction'}", "new_task")


def test_dispatch_only_to_a_department_of_ones_own_tier(flow, as_user, people):
    case = flow.pending_review_l2()
    response = as_user("bangtou").act(case.pk, "dispatch", case.version, department_id=people["fire"].unit_id)
    _problem(response, 422)
    station = people["nanxi"].unit_id  # not a department at all
    _problem(as_user("bangtou").act(case.pk, "dispatch", case.version, department_id=station), 422)
    assert _stored(case.pk).state == "pending_review"


def test_village_station_cannot_dispatch(flow, as_user):
    case = flow.report()
    _problem(as_user("nanxi").act(case.pk, "dispatch", case.version), 403, "not_permitted")


# ---------------------------------------------------------------- 回退 and 错派


def test_department_return_goes_back_to_the_dispatcher_and_not_our_duty_counts_as_misdispatch(flow, as_user, people):
    case = flow.dispatched()
    response = as_user("fire").act(case.pk, "return", case.version, reason_code="not_our_duty", reason="非消防职责")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["level"], body["holder_unit"]["name"]) == ("pending_review", 3, "县网格化中心")
    assert body["department_id"] is None
    assert body["events"][-1]["payload"]["reason_label"] == "非本单位职责"
    assert _stored(case.pk).misdispatch_count == 1
    assert _notified(case.pk, "county", "returned")

    # Re-dispatched to the gas office, which returns it for missing information: not a 错派.
    case = flow.act(_stored(case.pk), "dispatch", "county", department_id=people["gas"].unit_id)
    response = as_user("gas").act(case.pk, "return", case.version, reason_code="incomplete", reason="缺地址")
    assert response.status_code == 200, response.content
    assert _stored(case.pk).misdispatch_count == 1


def test_township_returns_a_case_one_tier_down(flow, as_user):
    case = flow.pending_review_l2()
    response = as_user("bangtou").act(case.pk, "return", case.version, reason_code="incomplete", reason="缺照片")
    assert response.status_code == 200, response.content
    assert (response.json()["level"], response.json()["holder_unit"]["name"]) == (1, f"{NANXI}网格管理站")
    assert _notified(case.pk, "nanxi", "returned")


def test_village_cannot_return_below_itself(flow, as_user):
    case = flow.report()
    _problem(as_user("nanxi").act(case.pk, "return", case.version, **VALID_FIELDS["return"]), 403, "not_permitted")


@pytest.mark.parametrize(
    "fields", [{"reason_code": "because", "reason": "x"}, {"reason_code": "other", "reason": " "}, {"reason": "x"}]
)
def test_return_needs_a_listed_reason_and_an_explanation(flow, as_user, fields):
    case = flow.dispatched()
    _problem(as_user("fire").act(case.pk, "return", case.version, **fields), 422)
    assert _stored(case.pk).state == "dispatched"


# ---------------------------------------------------------------- 提交整改 evidence and 五落实


def test_submit_needs_an_after_photo_of_this_case(flow, as_user):
    case = flow.handling_dept()
    other = flow.handling_l1()
    fire = as_user("fire")
    fields = {"method": "rectified", "measures": "已清理楼道"}

    _problem(fire.act(case.pk, "submit", case.version, attachment_ids=[], **fields), 422)
    foreign_photo = flow.photo(other, "nanxi")
    _problem(fire.act(case.pk, "submit", case.version, attachment_ids=[foreign_photo], **fields), 422)
    assert _stored(case.pk).state == "handling"

    photo = flow.photo(case, "fire")
    response = fire.act(case.pk, "submit", case.version, attachment_ids=[photo], **fields)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending_verification"
    assert response.json()["events"][-1]["attachment_ids"] == [photo]


def _major_at_the_fire_brigade(flow):
    case = flow.report("nanxi", severity="major")  # 重大 → 榜头镇
    case = flow.act(case, "escalate", "bangtou", reason="需县级执法")
    case = flow.act(case, "dispatch", "county")
    return flow.act(case, "start", "fire")


FIVE = {
    "measures": "停业整改",
    "responsibility": "店主林某",
    "funds": "2万元",
    "deadline": "2025-03-31",
    "plan": "疏散预案",
}


def test_major_submit_needs_the_five_implementations(flow, as_user):
    case = _major_at_the_fire_brigade(flow)
    photo = flow.photo(case, "fire")
    fire = as_user("fire")
    fields = {"method": "stopped", "measures": "停业整改", "attachment_ids": [photo]}

    body = _problem(fire.act(case.pk, "submit", case.version, **fields), 422)
    assert "五落实" in body["detail"]
    partial = {k: v for k, v in FIVE.items() if k != "funds"}
    body = _problem(fire.act(case.pk, "submit", case.version, five_implementations=partial, **fields), 422)
    assert "funds" in body["detail"]
    blank = {**FIVE, "plan": "  "}
    _problem(fire.act(case.pk, "submit", case.version, five_implementations=blank, **fields), 422)

    response = fire.act(case.pk, "submit", case.version, five_implementations=FIVE, **fields)
    assert response.status_code == 200, response.content
    assert response.json()["events"][-1]["payload"]["five_implementations"] == FIVE


# ---------------------------------------------------------------- 核查: verifier ≠ handler; 重大 closes at the department


def test_the_handler_never_verifies_their_own_work(flow, as_user, people):
    case = flow.act(flow.report(), "assign", "nanxi", handler_id=people["nanxi_worker"].pk)
    case = flow.submit(case, by="nanxi_worker")

    _problem(as_user("nanxi_worker").act(case.pk, "verify_pass", case.version), 403, "not_permitted")
    _problem(as_user("nanxi_worker").act(case.pk, "verify_fail", case.version, reason="x"), 403, "not_permitted")
    response = as_user("nanxi").act(case.pk, "verify_pass", case.version, comment="已整改")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["closure"]) == ("closed", "resolved")


def test_station_officer_who_handled_it_cannot_verify_but_the_grid_worker_can(flow, as_user):
    case = flow.submit(flow.handling_l1(), by="nanxi")
    _problem(as_user("nanxi").act(case.pk, "verify_pass", case.version), 403, "not_permitted")
    assert as_user("nanxi_worker").act(case.pk, "verify_pass", case.version).json()["closure"] == "resolved"


def test_verify_fail_sends_the_case_back_to_its_handler_for_rework(flow, as_user):
    case = flow.pending_verification()
    response = as_user("county_lead").act(case.pk, "verify_fail", case.version, reason="仍有电动车在楼道充电")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["rework_count"], body["step"]) == ("handling", 1, "handle")
    assert body["handler_id"] == User.objects.get(username="fire").pk
    assert _notified(case.pk, "fire", "rework")


def test_a_major_case_is_closed_only_by_the_department_lead(flow, as_user):
    case = _major_at_the_fire_brigade(flow)
    photo = flow.photo(case, "fire")
    case = flow.act(
        case,
        "submit",
        "fire",
        method="stopped",
        measures="停业整改",
        attachment_ids=[photo],
        five_implementations=FIVE,
    )
    for name in ("fire", "county", "county_lead", "bangtou_lead", "leader"):
        response = as_user(name).act(case.pk, "verify_pass", case.version, comment="现场核查")
        _problem(response, 403, "not_permitted")
    assert _stored(case.pk).state == "pending_verification"

    response = as_user("fire_lead").act(case.pk, "verify_pass", case.version, comment="现场审查通过，销号")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["closure"]) == ("closed", "resolved")


# ---------------------------------------------------------------- 作废 / 并单 / 移交


def test_void_is_for_the_lead_only(flow, as_user):
    case = flow.pending_review_l2()
    _problem(as_user("bangtou").act(case.pk, "void", case.version, **VALID_FIELDS["void"]), 403, "not_permitted")
    response = as_user("bangtou_lead").act(case.pk, "void", case.version, **VALID_FIELDS["void"])
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["closure"]) == ("closed", "invalid")
    assert _notified(case.pk, "nanxi_worker", "closed")  # the reporter learns why


def test_void_needs_a_listed_reason(flow, as_user):
    case = flow.report()
    _problem(as_user("nanxi").act(case.pk, "void", case.version, reason_code="boring", reason="x"), 422)
    _problem(as_user("nanxi").act(case.pk, "void", case.version, reason_code="not_hazard", reason=""), 422)
    assert _stored(case.pk).state == "pending_review"


def test_merge_into_a_master_the_actor_can_see(flow, as_user):
    master, duplicate = flow.report(), flow.report()
    response = as_user("nanxi").act(duplicate.pk, "merge", duplicate.version, master_id=master.pk)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["closure"], body["master_id"]) == ("closed", "duplicate", master.pk)
    assert _stored(master.pk).state == "pending_review"


def test_merge_into_an_invisible_master_answers_as_if_it_did_not_exist(flow, as_user):
    theirs = flow.report("quanshan", point=village_grid_point(QUANSHAN))
    case = flow.report()
    nanxi = as_user("nanxi")
    hidden = _problem(nanxi.act(case.pk, "merge", case.version, master_id=theirs.pk), 422)
    missing = _problem(nanxi.act(case.pk, "merge", case.version, master_id=987654321), 422)
    assert hidden == missing
    _problem(nanxi.act(case.pk, "merge", case.version, master_id=case.pk), 422)
    assert _stored(case.pk).state == "pending_review"


def test_merge_into_a_closed_unresolved_master_is_422(flow, as_user):
    voided = flow.act(flow.report(), "void", "nanxi", reason_code="false_report", reason="虚假")
    case = flow.report()
    _problem(as_user("nanxi").act(case.pk, "merge", case.version, master_id=voided.pk), 422)


@pytest.mark.parametrize(
    "fields", [{"external_body": "12345热线", "external_ref": ""}, {"external_body": " ", "external_ref": "GD-1"}]
)
def test_transfer_needs_the_receiving_body_and_its_reference(flow, as_user, fields):
    case = flow.report()
    _problem(as_user("nanxi").act(case.pk, "transfer", case.version, **fields), 422)
    assert _stored(case.pk).state == "pending_review"


def test_transfer_closes_as_transferred_with_the_reference(flow, as_user):
    case = flow.report()
    response = as_user("nanxi").act(
        case.pk, "transfer", case.version, external_body="县公安局", external_ref="JQ-2025-7"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["closure"], body["external_body"], body["external_ref"]) == ("transferred", "县公安局", "JQ-2025-7")


# ---------------------------------------------------------------- 重新打开


def test_reopen_within_the_period_goes_back_to_the_last_handler_who_is_told(flow, as_user, people):
    county_lead = as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.closed_resolved()
    assert case.handler_id is None

    with clock.frozen(at(MON_0900) + timedelta(days=29, hours=23)):
        response = county_lead.act(case.pk, "reopen", case.version, reason="回访发现仍在楼道充电")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["closure"], body["reopen_count"]) == ("handling", "", 1)
    assert body["handler_id"] == people["fire"].pk
    assert (body["light"], body["step"]) == ("green", "handle")
    assert _notified(case.pk, "fire", "reopened")


def test_reopen_after_the_period_is_refused(flow, as_user):
    county_lead = as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.closed_resolved()
    with clock.frozen(at(MON_0900) + timedelta(days=30)):
        _problem(county_lead.act(case.pk, "reopen", case.version, reason="x"), 403, "not_permitted")
    assert _stored(case.pk).state == "closed"


@override_settings(GRIDSAFE_REOPEN_DAYS=3)
def test_reopen_period_comes_from_settings(flow, as_user):
    county_lead = as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.closed_resolved()
    with clock.frozen(at(MON_0900) + timedelta(days=3)):
        _problem(county_lead.act(case.pk, "reopen", case.version, reason="x"), 403, "not_permitted")
    with clock.frozen(at(MON_0900) + timedelta(days=2)):
        assert county_lead.act(case.pk, "reopen", case.version, reason="x").status_code == 200


def test_only_a_resolved_case_can_be_reopened(flow, as_user):
    case = flow.act(flow.report(), "void", "nanxi", reason_code="not_hazard", reason="无隐患")
    _problem(as_user("nanxi").act(case.pk, "reopen", case.version, reason="x"), 403, "not_permitted")


# ---------------------------------------------------------------- 挂账 stops the clock; 延期 keeps the original


def test_suspend_stops_the_clock_and_resume_restores_the_remaining_time(flow, as_user):
    county_lead = as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.handling_dept()
    # 处置 of this category: 1 工作日 = 7 working hours. Mon 09–12 (3 h) + 14:30–17:30 (3 h) + Tue 08–09 (1 h).
    assert case.due_at == at("2025-03-04 09:00")
    assert case.original_due_at == at("2025-03-04 09:00")

    with clock.frozen(at("2025-03-03 15:30")):  # 4 h used, 3 h left
        response = county_lead.act(case.pk, "suspend", case.version, reason="需要资金", review_date="2025-03-10")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["light"]) == ("suspended", "none")

    # Past the old deadline nothing turns red while suspended.
    from gridsafe.cases.sweep import sweep_due_cases

    sweep_due_cases(now=at("2025-03-04 10:00"))
    assert _stored(case.pk).overdue_steps == []
    assert not CaseEvent.objects.filter(case=case, kind="case.overdue").exists()

    with clock.frozen(at("2025-03-05 10:00")):
        response = county_lead.act(case.pk, "resume", response.json()["version"], comment="资金到位")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["light"]) == ("handling", "green")
    # 3 h left from Wed 10:00: 10–12 (2 h) + 14:30–15:30 (1 h). Yellow at 80 % of the 7 h: 1.6 h → 11:36.
    stored = _stored(case.pk)
    assert abs((stored.due_at - at("2025-03-05 15:30")).total_seconds()) < 1
    assert abs((stored.yellow_at - at("2025-03-05 11:36")).total_seconds()) < 1
    assert stored.overdue_steps == []


def test_suspension_is_approved_by_a_lead_and_needs_a_future_review_date(flow, as_user):
    with clock.frozen(at(MON_0900)):
        case = flow.handling_dept()
        county, county_lead = as_user("county"), as_user("county_lead")
        _problem(
            county.act(case.pk, "suspend", case.version, reason="需资金", review_date="2025-03-10"),
            403,
            "not_permitted",
        )
        _problem(county_lead.act(case.pk, "suspend", case.version, reason="需资金", review_date="2025-03-03"), 422)
        _problem(county_lead.act(case.pk, "suspend", case.version, reason="", review_date="2025-03-10"), 422)
    assert _stored(case.pk).state == "handling"


def test_extension_replaces_the_deadline_and_keeps_the_original(flow, as_user):
    fire, county, county_lead = as_user("fire"), as_user("county"), as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.handling_dept()
        original = at("2025-03-04 09:00")
        assert case.due_at == original

        too_early = fire.act(case.pk, "request_extension", case.version, requested_due=original.isoformat(), reason="x")
        _problem(too_early, 422)
        response = fire.act(
            case.pk, "request_extension", case.version, requested_due="2025-03-07T17:30:00+08:00", reason="需采购充电柜"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["extension_pending"], _dt(body["due_at"])) == (True, original)

        _problem(county.act(case.pk, "approve_extension", body["version"]), 403, "not_permitted")
        response = county_lead.act(case.pk, "approve_extension", body["version"], comment="同意")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["extension_pending"] is False
    assert _dt(body["due_at"]) == at("2025-03-07 17:30")
    assert _dt(body["original_due_at"]) == at("2025-03-04 09:00")
    assert _stored(case.pk).extension_count == 1
    assert _notified(case.pk, "fire", "extension")


def test_the_approver_hears_of_an_extension_request(flow, as_user):
    with clock.frozen(at(MON_0900)):
        case = flow.handling_dept()
        fire = as_user("fire")
        response = fire.act(
            case.pk, "request_extension", case.version, requested_due="2025-03-07T17:30:00+08:00", reason="需采购"
        )
    assert response.status_code == 200
    assert _notified(case.pk, "county_lead", "extension")


def test_rejected_extension_leaves_the_deadline(flow, as_user):
    fire, county_lead = as_user("fire"), as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.handling_dept()
        version = fire.act(
            case.pk, "request_extension", case.version, requested_due="2025-03-07T17:30:00+08:00", reason="需采购"
        ).json()["version"]
        response = county_lead.act(case.pk, "reject_extension", version, reason="可先临时处置")
    assert response.status_code == 200, response.content
    assert (response.json()["extension_pending"], _dt(response.json()["due_at"])) == (False, at("2025-03-04 09:00"))
    assert _stored(case.pk).extension_count == 0


@override_settings(GRIDSAFE_MAX_EXTENSIONS=1)
def test_extensions_are_limited_in_number(flow, as_user):
    fire, county_lead = as_user("fire"), as_user("county_lead")
    with clock.frozen(at(MON_0900)):
        case = flow.handling_dept()
        version = fire.act(
            case.pk, "request_extension", case.version, requested_due="2025-03-07T17:30:00+08:00", reason="需采购"
        ).json()["version"]
        version = county_lead.act(case.pk, "approve_extension", version).json()["version"]
        again = fire.act(
            case.pk, "request_extension", version, requested_due="2025-03-14T17:30:00+08:00", reason="再延"
        )
    body = _problem(again, 422)
    assert "上限" in body["detail"]


# ---------------------------------------------------------------- 督办 / 催办 / 备注


def test_supervision_comes_from_a_higher_tier_or_a_leader(flow, as_user):
    case = flow.report()
    fields = {"level": "normal", "instruction": "请加快办理"}
    _problem(as_user("nanxi").act(case.pk, "supervise", case.version, **fields), 403, "not_permitted")
    assert as_user("quanshan").act(case.pk, "supervise", case.version, **fields).status_code == 404

    response = as_user("bangtou").act(case.pk, "supervise", case.version, **fields)
    assert response.status_code == 200, response.content
    assert response.json()["supervision"] == "normal"
    assert _notified(case.pk, "nanxi", "supervised")
    response = as_user("leader").act(case.pk, "supervise", response.json()["version"], level="red", instruction="红牌")
    assert response.json()["supervision"] == "red"
    orders = list(Supervision.objects.filter(case=case).values_list("level", "target_unit__name", "automatic"))
    assert orders == [("normal", f"{NANXI}网格管理站", False), ("red", f"{NANXI}网格管理站", False)]


def test_a_lower_tier_cannot_supervise_the_county(flow, as_user):
    case = flow.pending_review_l3()
    fields = {"level": "normal", "instruction": "请加快"}
    _problem(as_user("bangtou").act(case.pk, "supervise", case.version, **fields), 403, "not_permitted")
    assert as_user("leader").act(case.pk, "supervise", case.version, **fields).status_code == 200


def test_the_dispatching_centre_supervises_its_department(flow, as_user):
    case = flow.dispatched()
    response = as_user("county").act(case.pk, "supervise", case.version, level="normal", instruction="请签收")
    assert response.status_code == 200, response.content
    assert _notified(case.pk, "fire", "supervised")


def test_supervision_needs_an_instruction(flow, as_user):
    case = flow.report()
    _problem(as_user("bangtou").act(case.pk, "supervise", case.version, level="normal", instruction=" "), 422)


def test_reply_clears_the_reply_deadline(flow, as_user):
    case = flow.act(flow.report(), "supervise", "bangtou", level="normal", instruction="请加快")
    assert case.supervision_reply_due is not None

    response = as_user("nanxi").act(case.pk, "reply_supervision", case.version, reply="已安排人员")
    assert response.status_code == 200, response.content
    stored = _stored(case.pk)
    assert stored.supervision_reply_due is None
    order = Supervision.objects.get(case=case)
    assert (order.reply, order.replied_by.username) == ("已安排人员", "nanxi")
    assert response.json()["supervisions"][0]["reply"] == "已安排人员"
    # Nothing is left to answer.
    _problem(as_user("nanxi").act(case.pk, "reply_supervision", stored.version, reply="again"), 403, "not_permitted")


def test_urge_is_recorded_and_reaches_the_holder(flow, as_user):
    case = flow.report()
    _problem(as_user("nanxi_worker").act(case.pk, "urge", case.version, comment="快点"), 403, "not_permitted")
    _problem(as_user("bangtou").act(case.pk, "urge", case.version, comment=""), 422)
    response = as_user("bangtou").act(case.pk, "urge", case.version, comment="请今日内研判")
    assert response.status_code == 200, response.content
    event = response.json()["events"][-1]
    assert (event["kind"], event["comment"]) == ("case.urged", "请今日内研判")
    assert _notified(case.pk, "nanxi", "urged")


def test_comment_by_anyone_who_sees_the_case_even_when_closed(flow, as_user):
    case = flow.act(flow.report(), "void", "nanxi", reason_code="not_hazard", reason="无隐患")
    _problem(as_user("nanxi_worker").act(case.pk, "comment", case.version, comment=""), 422)
    response = as_user("nanxi_worker").act(case.pk, "comment", case.version, comment="同意作废")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["events"][-1]["comment"]) == ("closed", "同意作废")
