"""The transition table over every (state, action) pair, through the API.

Legal pairs: the case is driven into the state by the people who would do it (services only), then the action is
taken through the API by the person who would take it; it lands, moves the case to the state written here by hand
and writes one event. Illegal pairs: someone who may take that action on that case (so the 403 check cannot mask
the state check) gets 409 `invalid_transition`, and nothing changes. Where nobody may take the action at all in a
state (the permission itself depends on the state), everyone who can see the case gets 403; those pairs are listed
by hand in NOBODY_MAY, so a change to the rules shows up here."""

import inspect
from datetime import timedelta

import pytest

from gridsafe.cases.events import ACTION_EVENT, EventKind
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.permissions import ACTION_CHECKS, cases_visible_to, get_case_for_user
from gridsafe.cases.schemas import ACTION_SCHEMAS
from gridsafe.cases.services import ACTION_SERVICES
from gridsafe.cases.tests.helpers import VALID_FIELDS
from gridsafe.cases.transitions import TRANSITIONS, Action, State
from gridsafe.demo.world import NAMED_USERS

PR, DI, HA, SU, PV, CL = (
    "pending_review",
    "dispatched",
    "handling",
    "suspended",
    "pending_verification",
    "closed",
)
PERSONAS = [name for name, *_ in NAMED_USERS]


# ---------------------------------------------------------------- how each state is reached (services only)

VARIANTS = {
    "pr_l1": lambda f: f.pending_review_l1(),
    "pr_l2": lambda f: f.pending_review_l2(),
    "dispatched": lambda f: f.dispatched(),
    "handling_dept": lambda f: f.handling_dept(),
    "dispatched_joint": lambda f: f.dispatched_joint(),
    "handling_joint": lambda f: f.handling_joint(),
    "handling_l1": lambda f: f.handling_l1(),
    "handling_l2": lambda f: f.handling_l2(),
    "suspended": lambda f: f.suspended(),
    "suspended_l1": lambda f: f.act(
        f.handling_l1(), "suspend", "nanxi", reason="需要资金", review_date=_days_ahead(f, 7)
    ),
    "suspended_l2": lambda f: f.act(
        f.handling_l2(), "suspend", "bangtou_lead", reason="需要资金", review_date=_days_ahead(f, 7)
    ),
    "pv_dept": lambda f: f.pending_verification(),
    "pv_l1": lambda f: f.submit(f.handling_l1(), by="nanxi"),
    "pv_l2": lambda f: f.submit(f.handling_l2(), by="bangtou"),
    "closed_resolved": lambda f: f.closed_resolved(),
    "closed_invalid_l2": lambda f: f.act(
        f.pending_review_l2(), "void", "bangtou_lead", reason_code="not_hazard", reason="现场无隐患"
    ),
}
STATE_VARIANTS = {
    PR: ["pr_l1", "pr_l2"],
    DI: ["dispatched"],
    HA: ["handling_dept", "handling_l1", "handling_l2"],
    SU: ["suspended", "suspended_l1", "suspended_l2"],
    PV: ["pv_dept", "pv_l1", "pv_l2"],
    CL: ["closed_resolved", "closed_invalid_l2"],
}


def _days_ahead(flow, days):
    from gridsafe.core import clock

    return (clock.now() + timedelta(days=days)).date()


def _supervised(flow, case, by):
    return flow.act(case, "supervise", by, level="normal", instruction="请加快办理")


def _extension_requested(flow, case):
    due = get_case_for_user(flow.user("fire"), case.pk).due_at
    return flow.act(case, "request_extension", "fire", requested_due=due + timedelta(days=2), reason="需采购充电柜")


def _with_worker(flow, case):
    by = "nanxi" if case.level == 1 else "bangtou"
    return flow.act(case, "request_info", by, reason="请到现场核实")


def _master(flow, case):
    return {"master_id": flow.report().pk}


# (state, action) → (variant, extra preparation, actor, fields, expected state). Written by hand from domain.md §3.
LEGAL = {
    (PR, "assign"): ("pr_l1", None, "nanxi", {}, HA),
    (PR, "escalate"): ("pr_l1", None, "nanxi", {"reason": "本级力量不能消除"}, PR),
    (PR, "dispatch"): ("pr_l2", None, "bangtou", {}, DI),
    (PR, "return"): ("pr_l2", None, "bangtou", {"reason_code": "incomplete", "reason": "缺照片"}, PR),
    (PR, "void"): ("pr_l1", None, "nanxi", {"reason_code": "not_hazard", "reason": "现场无隐患"}, CL),
    (PR, "merge"): ("pr_l1", None, "nanxi", _master, CL),
    (PR, "transfer"): ("pr_l1", None, "nanxi", {"external_body": "12345热线", "external_ref": "GD-1"}, CL),
    (PR, "supervise"): ("pr_l1", None, "bangtou", {"level": "normal", "instruction": "请加快"}, PR),
    (PR, "reply_supervision"): ("pr_l1", lambda f, c: _supervised(f, c, "bangtou"), "nanxi", {"reply": "已安排"}, PR),
    (PR, "urge"): ("pr_l1", None, "bangtou", {"comment": "请尽快"}, PR),
    (PR, "comment"): ("pr_l1", None, "nanxi_worker", {"comment": "补充说明"}, PR),
    (PR, "regrade"): ("pr_l2", None, "bangtou", {"grade": "major", "basis": "GB 35181-2025 第5.1条"}, PR),
    (DI, "start"): ("dispatched", None, "fire", {}, HA),
    (DI, "return"): ("dispatched", None, "fire", {"reason_code": "not_our_duty", "reason": "非消防职责"}, PR),
    (DI, "merge"): ("dispatched", None, "county", _master, CL),
    (DI, "supervise"): ("dispatched", None, "leader", {"level": "yellow", "instruction": "限期签收"}, DI),
    (DI, "reply_supervision"): ("dispatched", lambda f, c: _supervised(f, c, "leader"), "fire", {"reply": "已签"}, DI),
    (DI, "urge"): ("dispatched", None, "county", {"comment": "请尽快签收"}, DI),
    (DI, "comment"): ("dispatched", None, "fire", {"comment": "今日到场"}, DI),
    (DI, "regrade"): ("dispatched", None, "fire", {"grade": "major", "basis": "GB 35181-2025 第5.1条"}, DI),
    (HA, "escalate"): ("handling_l1", None, "nanxi", {"reason": "本级力量不能消除"}, PR),
    (HA, "dispatch"): ("handling_l2", None, "bangtou", {}, DI),
    (HA, "return"): ("handling_dept", None, "fire", {"reason_code": "wrong_location", "reason": "位置错误"}, PR),
    (HA, "submit"): (
        "handling_dept",
        None,
        "fire",
        lambda f, c: {"method": "rectified", "measures": "已清理", "attachment_ids": [f.photo(c, "fire")]},
        PV,
    ),
    (HA, "request_extension"): (
        "handling_dept",
        None,
        "fire",
        lambda f, c: {"requested_due": (c.due_at + timedelta(days=2)).isoformat(), "reason": "需采购"},
        HA,
    ),
    (HA, "approve_extension"): ("handling_dept", _extension_requested, "county_lead", {}, HA),
    (HA, "reject_extension"): ("handling_dept", _extension_requested, "county_lead", {"reason": "理由不足"}, HA),
    (HA, "suspend"): (
        "handling_dept",
        None,
        "county_lead",
        lambda f, c: {"reason": "需要资金", "review_date": _days_ahead(f, 7).isoformat()},
        SU,
    ),
    (HA, "merge"): ("handling_dept", None, "county", _master, CL),
    (HA, "transfer"): ("handling_dept", None, "county", {"external_body": "县公安局", "external_ref": "JQ-9"}, CL),
    (HA, "supervise"): ("handling_dept", None, "leader", {"level": "red", "instruction": "红牌督办"}, HA),
    (HA, "reply_supervision"): ("handling_dept", lambda f, c: _supervised(f, c, "leader"), "fire", {"reply": "好"}, HA),
    (HA, "urge"): ("handling_dept", None, "county", {"comment": "请尽快"}, HA),
    (HA, "comment"): ("handling_dept", None, "fire", {"comment": "已到场"}, HA),
    (HA, "regrade"): ("handling_dept", None, "fire", {"grade": "major", "basis": "GB 35181-2025 第5.1条"}, HA),
    (SU, "resume"): ("suspended", None, "county_lead", {}, HA),
    (SU, "supervise"): ("suspended", None, "leader", {"level": "normal", "instruction": "请说明"}, SU),
    (SU, "reply_supervision"): ("suspended", lambda f, c: _supervised(f, c, "leader"), "fire", {"reply": "资金"}, SU),
    (SU, "urge"): ("suspended", None, "county", {"comment": "请尽快"}, SU),
    (SU, "comment"): ("suspended", None, "fire", {"comment": "等待资金"}, SU),
    (SU, "regrade"): ("suspended", None, "fire", {"grade": "major", "basis": "GB 35181-2025 第5.1条"}, SU),
    (PV, "verify_pass"): ("pv_dept", None, "county_lead", {"comment": "已整改"}, CL),
    (PV, "verify_fail"): ("pv_dept", None, "county_lead", {"reason": "仍在充电"}, HA),
    (PV, "supervise"): ("pv_dept", None, "leader", {"level": "normal", "instruction": "请核查"}, PV),
    (PV, "reply_supervision"): ("pv_dept", lambda f, c: _supervised(f, c, "leader"), "fire", {"reply": "待核查"}, PV),
    (PV, "urge"): ("pv_dept", None, "county", {"comment": "请尽快核查"}, PV),
    (PV, "comment"): ("pv_dept", None, "fire", {"comment": "已提交"}, PV),
    (PV, "regrade"): ("pv_dept", None, "fire", {"grade": "major", "basis": "GB 35181-2025 第5.1条"}, PV),
    (CL, "reopen"): ("closed_resolved", None, "county_lead", {"reason": "回访未整改"}, HA),
    (CL, "comment"): ("closed_resolved", None, "nanxi_worker", {"comment": "已复查"}, CL),
    (PR, "request_info"): ("pr_l1", None, "nanxi", {"reason": "请补充现场照片"}, PR),
    (HA, "request_info"): ("handling_l1", None, "nanxi", {"reason": "请核实整改范围"}, HA),
    (PR, "supply_info"): ("pr_l1", _with_worker, "nanxi_worker", {"answer": "已到现场核实"}, PR),
    (HA, "supply_info"): ("handling_l1", _with_worker, "nanxi_worker", {"answer": "已核实"}, HA),
    (DI, "assist_start"): ("dispatched_joint", None, "gas", {}, DI),
    (HA, "assist_start"): ("handling_joint", None, "gas", {}, HA),
    (DI, "assist_report"): ("dispatched_joint", None, "gas", {"report": "已关闭燃气阀门"}, DI),
    (HA, "assist_report"): ("handling_joint", None, "gas", {"report": "已关闭燃气阀门"}, HA),
    (PR, "correct"): ("pr_l1", None, "nanxi", {"reason": "类别选错", "category": "fire-escape-blocked"}, PR),
    (HA, "correct"): ("handling_l1", None, "nanxi", {"reason": "类别选错", "category": "fire-escape-blocked"}, HA),
}

# Pairs outside the table where the permission check itself already says no to everyone, so the answer is 403.
NOBODY_MAY = {
    (PR, "start"): "only the department a case is dispatched to signs for it",
    (PR, "approve_extension"): "no extension can be pending outside 处置",
    (PR, "reject_extension"): "no extension can be pending outside 处置",
    (PR, "reopen"): "only a case closed as resolved can be reopened",
    (DI, "assign"): "a case held by a department is not assigned by a centre",
    (DI, "escalate"): "a case held by a department is returned, not escalated",
    (DI, "dispatch"): "already dispatched",
    (DI, "approve_extension"): "no extension can be pending before 签收",
    (DI, "reject_extension"): "no extension can be pending before 签收",
    (DI, "void"): "a case held by a department cannot be voided",
    (DI, "reopen"): "only a case closed as resolved can be reopened",
    (HA, "reopen"): "only a case closed as resolved can be reopened",
    (SU, "approve_extension"): "a pending extension ends with 挂账",
    (SU, "reject_extension"): "a pending extension ends with 挂账",
    (SU, "reopen"): "only a case closed as resolved can be reopened",
    (PV, "approve_extension"): "提交整改 ends a pending extension",
    (PV, "reject_extension"): "提交整改 ends a pending extension",
    (PV, "reopen"): "only a case closed as resolved can be reopened",
    (CL, "approve_extension"): "closing ends a pending extension",
    (CL, "reject_extension"): "closing ends a pending extension",
    (CL, "reply_supervision"): "closing ends the 督办 reply deadline",
    (DI, "request_info"): "a case held by a department is returned to the desk, not sent back to the worker",
    (DI, "correct"): "a case held by a department is returned to the desk to be corrected",
    **{(s, "supply_info"): "only the worker a desk asked answers, and only while asked" for s in (DI, SU, PV, CL)},
    **{(s, "assist_start"): "only a department with a 协办 part signs it" for s in (PR, SU, PV, CL)},
    **{(s, "assist_report"): "only a department with a 协办 part reports it" for s in (PR, SU, PV, CL)},
}

ALL_PAIRS = [(state, action) for state in State.values for action in Action.values]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def test_the_legal_pairs_here_are_exactly_the_table():
    assert set(LEGAL) == {(s.value, a.value) for s, a in TRANSITIONS}
    assert len(ALL_PAIRS) == 6 * 27
    assert set(NOBODY_MAY) <= set(ILLEGAL)


def test_every_action_has_an_event_kind_a_permission_check_a_schema_and_a_service():
    assert set(ACTION_EVENT) == set(Action.values)
    assert all(kind in EventKind.values for kind in ACTION_EVENT.values())
    assert len(set(ACTION_EVENT.values())) == len(ACTION_EVENT)  # no two actions share a timeline label
    assert set(ACTION_CHECKS) == set(Action.values)
    assert set(ACTION_SCHEMAS) == set(Action.values)
    assert set(ACTION_SERVICES) == set(ACTION_SCHEMAS)


@pytest.mark.parametrize("action", sorted(ACTION_SCHEMAS))
def test_every_schema_field_is_a_service_argument_and_every_required_argument_a_field(action):
    """The API passes each body field to the service by name: a field the service lacks would be a 500."""
    fields = set(ACTION_SCHEMAS[action].model_fields) - {"version", "request_id"}
    params = inspect.signature(ACTION_SERVICES[action]).parameters
    given_by_api = {"case", "actor", "expected_version", "request_id"}
    assert fields <= set(params) - given_by_api
    required = {n for n, p in params.items() if p.default is inspect.Parameter.empty} - given_by_api
    assert required <= fields


@pytest.mark.parametrize(("state", "action"), sorted(LEGAL), ids=[f"{s}-{a}" for s, a in sorted(LEGAL)])
def test_legal_pair_lands(state, action, flow, as_user):
    variant, prepare, actor, fields, expected = LEGAL[(state, action)]
    case = VARIANTS[variant](flow)
    if prepare:
        case = prepare(flow, case)
    assert case.state == state
    if callable(fields):
        fields = fields(flow, case)
    events_before = CaseEvent.objects.filter(case=case).count()

    response = as_user(actor).act(case.pk, action, case.version, **fields)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == expected
    assert body["version"] == case.version + 1
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    last = body["events"][-1]
    assert (last["action"], last["kind"], last["from_state"], last["to_state"]) == (
        action,
        ACTION_EVENT[action],
        state,
        expected,
    )


def _as_seen_by(case, people) -> dict:
    """The case as each person who can see it loads it (the services' checks run on that object)."""
    return {
        name: get_case_for_user(people[name], case.pk)
        for name in PERSONAS
        if cases_visible_to(people[name]).filter(pk=case.pk).exists()
    }


@pytest.mark.parametrize("state", State.values)
def test_illegal_pairs_are_refused(state, flow, people, as_user):
    """One test per state, a subtest per action: every variant of the state is built once and shared, since a
    refused action changes nothing. Every failing pair is reported, not just the first."""
    failures = []
    cases = [VARIANTS[variant](flow) for variant in STATE_VARIANTS[state]]
    assert all(case.state == state for case in cases)
    cases = [(case, _as_seen_by(case, people)) for case in cases]
    for action in [a for (s, a) in ILLEGAL if s == state]:
        try:
            _check_illegal(state, action, cases, people, as_user)
        except AssertionError as exc:
            failures.append(f"({state}, {action}): {exc}")
    assert not failures, "\n".join(failures)


def _check_illegal(state, action, cases, people, as_user):
    seen = []
    for case, seen_by in cases:
        allowed = [name for name, loaded in seen_by.items() if ACTION_CHECKS[Action(action)](people[name], loaded)]
        seen.append((case, list(seen_by)))
        if allowed:
            assert (state, action) not in NOBODY_MAY, f"{allowed} may {action} in {state}: remove it from NOBODY_MAY"
            events = case.events.count()
            response = as_user(allowed[0]).act(case.pk, action, case.version, **VALID_FIELDS[action])
            assert response.status_code == 409, (allowed[0], response.content)
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["code"] == "invalid_transition"
            _assert_untouched(case, events)
            return
    assert (state, action) in NOBODY_MAY, f"nobody may {action} in {state}: list it in NOBODY_MAY with the reason"
    for case, visible_to in seen:
        assert visible_to
        events = case.events.count()
        # The people at the desk that holds the case, and the most senior who sees it, all get 403 from the API.
        holders = [n for n in visible_to if people[n].unit_id in (case.holder_unit_id, case.department_id)]
        for name in dict.fromkeys([*holders, visible_to[0]]):
            response = as_user(name).act(case.pk, action, case.version, **VALID_FIELDS[action])
            assert response.status_code == 403, (name, response.content)
            assert response.json()["code"] == "not_permitted"
        _assert_untouched(case, events)


def _assert_untouched(case, events_before):
    now = Case.objects.get(pk=case.pk)
    assert (now.state, now.version) == (case.state, case.version)
    assert CaseEvent.objects.filter(case=case).count() == events_before
