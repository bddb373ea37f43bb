"""Every write to a hazard case. One service per action; each checks, in order: repeat → permission → state →
payload → version, then updates the row with a version-conditional UPDATE, appends one CaseEvent in the same
transaction, and schedules notifications after commit. Page, API, field app and sweep all call these.

Split by concern, as Zulip splits zerver/actions/: `deadlines` (the clock), `replay` (repeat checks), `moves` (the
one write path), `report` (上报), `actions` and `supervision` (the transitions), `attachments` (附件). Import from
here; the modules are where a name lives, not a second way in."""

from gridsafe.cases.permissions import level_unit_id
from gridsafe.cases.services.actions import (
    ACTION_SERVICES,
    FIVE_IMPLEMENTATIONS,
    RETURN_REASONS,
    SUBMIT_METHODS,
    VOID_REASONS,
    case_approve_extension,
    case_assign,
    case_dispatch,
    case_escalate,
    case_merge,
    case_reject_extension,
    case_reopen,
    case_request_extension,
    case_resume,
    case_return,
    case_start,
    case_submit,
    case_suspend,
    case_transfer,
    case_verify_fail,
    case_verify_pass,
    case_void,
)
from gridsafe.cases.services.attachments import attachment_add
from gridsafe.cases.services.deadlines import SWEEP_NS, _clock, _frozen_overdue, _step_for
from gridsafe.cases.services.desk import (
    case_assist_report,
    case_assist_start,
    case_correct,
    case_request_info,
    case_supply_info,
    parts_outstanding,
)
from gridsafe.cases.services.moves import _move, case_service
from gridsafe.cases.services.replay import REQUEST_DIGEST_KEY, _canonical, request_digest
from gridsafe.cases.services.report import (
    CHANNELS,
    DESK_ROLES,
    DESK_SOURCES,
    POOR_ACCURACY_M,
    _case_insert,
    case_report,
    case_source,
)
from gridsafe.cases.services.supervision import (
    case_comment,
    case_regrade,
    case_reply_supervision,
    case_supervise,
    case_urge,
)

__all__ = [
    "ACTION_SERVICES",
    "CHANNELS",
    "DESK_ROLES",
    "DESK_SOURCES",
    "FIVE_IMPLEMENTATIONS",
    "POOR_ACCURACY_M",
    "REQUEST_DIGEST_KEY",
    "RETURN_REASONS",
    "SUBMIT_METHODS",
    "SWEEP_NS",
    "VOID_REASONS",
    "_canonical",
    "_case_insert",
    "_clock",
    "_frozen_overdue",
    "_move",
    "_step_for",
    "attachment_add",
    "case_approve_extension",
    "case_assign",
    "case_assist_report",
    "case_assist_start",
    "case_correct",
    "case_comment",
    "case_dispatch",
    "case_escalate",
    "case_merge",
    "case_regrade",
    "case_reject_extension",
    "case_reopen",
    "case_reply_supervision",
    "case_report",
    "case_request_info",
    "case_request_extension",
    "case_resume",
    "case_return",
    "case_service",
    "case_source",
    "case_start",
    "case_submit",
    "case_supervise",
    "case_supply_info",
    "case_suspend",
    "case_transfer",
    "case_urge",
    "case_verify_fail",
    "case_verify_pass",
    "case_void",
    "level_unit_id",
    "parts_outstanding",
    "request_digest",
]
