"""The transition table: the only list of state moves. Services look up `next_state`; nothing else changes state."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridsafe.core.errors import InvalidTransition


class State(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Pending review (待研判)")
    DISPATCHED = "dispatched", _("Dispatched (已派遣)")
    HANDLING = "handling", _("Handling (处置中)")
    SUSPENDED = "suspended", _("Suspended (挂账)")
    PENDING_VERIFICATION = "pending_verification", _("Pending verification (待核查)")
    CLOSED = "closed", _("Closed (已结案)")


class Closure(models.TextChoices):
    """How a closed case ended. Only `resolved` counts as fixed."""

    RESOLVED = "resolved", _("Resolved (已整改销号)")
    INVALID = "invalid", _("Invalid (作废)")
    DUPLICATE = "duplicate", _("Duplicate (重复并单)")
    TRANSFERRED = "transferred", _("Transferred (移交)")


class Action(models.TextChoices):
    ASSIGN = "assign", _("Assign (自处理/交办)")
    ESCALATE = "escalate", _("Escalate (上报)")
    DISPATCH = "dispatch", _("Dispatch (派遣)")
    START = "start", _("Sign and start (签收)")
    RETURN = "return", _("Return (回退)")
    SUBMIT = "submit", _("Submit rectification (提交整改)")
    VERIFY_PASS = "verify_pass", _("Verification passed (核查通过)")
    VERIFY_FAIL = "verify_fail", _("Verification failed (返工)")
    REQUEST_EXTENSION = "request_extension", _("Request extension (延期申请)")
    APPROVE_EXTENSION = "approve_extension", _("Approve extension (同意延期)")
    REJECT_EXTENSION = "reject_extension", _("Reject extension (驳回延期)")
    SUSPEND = "suspend", _("Suspend (挂账)")
    RESUME = "resume", _("Resume (恢复)")
    VOID = "void", _("Void (作废)")
    MERGE = "merge", _("Merge as duplicate (并单)")
    TRANSFER = "transfer", _("Transfer out (移交)")
    REOPEN = "reopen", _("Reopen (重新打开)")
    SUPERVISE = "supervise", _("Supervise (督办)")
    REPLY_SUPERVISION = "reply_supervision", _("Reply to supervision (督办回复)")
    URGE = "urge", _("Urge (催办)")
    COMMENT = "comment", _("Comment (备注)")
    REGRADE = "regrade", _("Set grade (定级)")
    REQUEST_INFO = "request_info", _("Back to the worker (退回核实/补充)")
    SUPPLY_INFO = "supply_info", _("Worker's answer (核实补充)")
    ASSIST_START = "assist_start", _("Co-handler signs (协办签收)")
    ASSIST_REPORT = "assist_report", _("Co-handler reports its part (协办反馈)")
    CORRECT = "correct", _("Correct category or location (更正)")


S, A = State, Action
OPEN_STATES = (S.PENDING_REVIEW, S.DISPATCHED, S.HANDLING, S.SUSPENDED, S.PENDING_VERIFICATION)
# 定级 (regrade) is a flag too: a 重大 proposal is confirmed, or a grade corrected, wherever the case stands.
_FLAG_ACTIONS_EVERYWHERE_OPEN = (A.SUPERVISE, A.REPLY_SUPERVISION, A.URGE, A.COMMENT, A.REGRADE)

TRANSITIONS: dict[tuple[State, Action], State] = {
    (S.PENDING_REVIEW, A.ASSIGN): S.HANDLING,  # 自处理/交办 at this level
    (S.PENDING_REVIEW, A.ESCALATE): S.PENDING_REVIEW,  # 上报: same state, level + 1 (or skip-level)
    (S.HANDLING, A.ESCALATE): S.PENDING_REVIEW,  # 本级力量不能消除
    (S.PENDING_REVIEW, A.DISPATCH): S.DISPATCHED,  # 派遣 to a department
    (S.HANDLING, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.START): S.HANDLING,  # 签收
    (S.DISPATCHED, A.RETURN): S.PENDING_REVIEW,  # 回退 to the dispatching level
    (S.HANDLING, A.RETURN): S.PENDING_REVIEW,
    (S.PENDING_REVIEW, A.RETURN): S.PENDING_REVIEW,  # back down one level (信息不全)
    (S.HANDLING, A.SUBMIT): S.PENDING_VERIFICATION,  # 提交整改 with evidence
    (S.PENDING_VERIFICATION, A.VERIFY_PASS): S.CLOSED,  # closure: resolved
    (S.PENDING_VERIFICATION, A.VERIFY_FAIL): S.HANDLING,  # 返工
    (S.HANDLING, A.REQUEST_EXTENSION): S.HANDLING,  # flag only
    (S.HANDLING, A.APPROVE_EXTENSION): S.HANDLING,
    (S.HANDLING, A.REJECT_EXTENSION): S.HANDLING,
    (S.HANDLING, A.SUSPEND): S.SUSPENDED,  # clock stops
    (S.SUSPENDED, A.RESUME): S.HANDLING,
    (S.PENDING_REVIEW, A.VOID): S.CLOSED,  # closure: invalid
    (S.PENDING_REVIEW, A.MERGE): S.CLOSED,  # closure: duplicate
    (S.DISPATCHED, A.MERGE): S.CLOSED,
    (S.HANDLING, A.MERGE): S.CLOSED,
    (S.PENDING_REVIEW, A.TRANSFER): S.CLOSED,  # closure: transferred
    (S.HANDLING, A.TRANSFER): S.CLOSED,
    (S.CLOSED, A.REOPEN): S.HANDLING,  # only closure resolved, within the reopen period
    **{(state, action): state for state in OPEN_STATES for action in _FLAG_ACTIONS_EVERYWHERE_OPEN},
    (S.CLOSED, A.COMMENT): S.CLOSED,
    # 退回核实/补充: a flag on the case held at a desk; its clock pauses until the worker answers (核实补充).
    (S.PENDING_REVIEW, A.REQUEST_INFO): S.PENDING_REVIEW,
    (S.HANDLING, A.REQUEST_INFO): S.HANDLING,
    (S.PENDING_REVIEW, A.SUPPLY_INFO): S.PENDING_REVIEW,
    (S.HANDLING, A.SUPPLY_INFO): S.HANDLING,
    # 协办: a co-handling department signs and reports its part while the lead holds the case.
    (S.DISPATCHED, A.ASSIST_START): S.DISPATCHED,
    (S.HANDLING, A.ASSIST_START): S.HANDLING,
    (S.DISPATCHED, A.ASSIST_REPORT): S.DISPATCHED,
    (S.HANDLING, A.ASSIST_REPORT): S.HANDLING,
    # 更正: category or location corrected by the desk holding the case; it re-routes and the clock is recomputed.
    (S.PENDING_REVIEW, A.CORRECT): S.PENDING_REVIEW,
    (S.HANDLING, A.CORRECT): S.HANDLING,
}

# While a case is with the grid worker (退回核实/补充) it waits for the answer: only these may happen meanwhile.
WHILE_WITH_WORKER = frozenset(
    {A.SUPPLY_INFO, A.COMMENT, A.SUPERVISE, A.REPLY_SUPERVISION, A.URGE, A.REGRADE, A.CORRECT, A.VOID}
)

CLOSURE_OF: dict[Action, Closure] = {
    A.VERIFY_PASS: Closure.RESOLVED,
    A.VOID: Closure.INVALID,
    A.MERGE: Closure.DUPLICATE,
    A.TRANSFER: Closure.TRANSFERRED,
}


def next_state(state: str, action: str) -> State:
    """The state after `action`, or InvalidTransition (409) if the table has no such move."""
    try:
        return TRANSITIONS[(State(state), Action(action))]
    except (KeyError, ValueError):
        raise InvalidTransition(
            f"不能在“{State(state).label}”状态下执行“{Action(action).label if action in Action.values else action}”"
        ) from None


def ensure_not_waiting(case_with_worker: bool, action: str) -> None:
    """409 for a move while the case waits for the grid worker's answer (退回核实/补充)."""
    if case_with_worker and action not in WHILE_WITH_WORKER:
        raise InvalidTransition(f"该隐患正等待网格员核实补充，暂不能“{Action(action).label}”")


def state_text(state: str, closure: str = "") -> str:
    """The state's name from the catalogue; a closed case always names how it closed (已结案·已整改销号, 已结案·已作废),
    since closed never means fixed. Pages, exports, the admin and the field app all show this one text."""
    text = str(State(state).label) if state in State.values else state
    if state == State.CLOSED and closure:
        return f"{text}·{Closure(closure).label if closure in Closure.values else closure}"
    return text


def actions_from(state: str) -> list[Action]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]
