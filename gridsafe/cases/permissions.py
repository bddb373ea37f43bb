"""Who may see a case (`cases_visible_to`) and who may act on it (`can_<verb>_case`). The only place for these rules.

Jurisdiction (辖区) is the actor's unit's region subtree; departments see what is dispatched to them; grid workers
see their grids and their own reports. Missing and out of jurisdiction both answer 404."""

import uuid

from django.conf import settings
from django.db.models import Q

# Re-exported, hence "X as X" (mypy's no_implicit_reexport): the case rules are written in these terms, and
# dashboards.display builds a Jurisdiction.
from gridsafe.accounts.jurisdiction import DEPARTMENT_STAFF as DEPARTMENT_STAFF
from gridsafe.accounts.jurisdiction import LEADS as LEADS
from gridsafe.accounts.jurisdiction import REVIEWERS as REVIEWERS
from gridsafe.accounts.jurisdiction import Jurisdiction as Jurisdiction
from gridsafe.accounts.jurisdiction import jurisdiction_of as jurisdiction_of
from gridsafe.accounts.models import Role, UnitKind, User
from gridsafe.cases.models import Case, CasePart, CaseQuerySet, Level, PartState
from gridsafe.cases.transitions import TRANSITIONS, WHILE_WITH_WORKER, Action, Closure, State
from gridsafe.core import clock
from gridsafe.core.audit import audit_refusal
from gridsafe.core.errors import CaseNotFound, NotPermitted


def cases_visible_to(user: User) -> CaseQuerySet:
    """Cases in the user's 辖区, as an unevaluated queryset: every list, dashboard and export starts here. A
    department also sees the cases it co-handles (协办, one indexed subquery on its parts), and only those."""
    scope = jurisdiction_of(user).q()
    if scope_department := jurisdiction_of(user).department_id:
        scope |= Q(pk__in=CasePart.objects.filter(department_id=scope_department).values("case_id"))
    return Case.objects.filter(scope)


def get_case_for_user(user: User, case_id: int, *, for_update: bool = False) -> Case:
    qs = cases_visible_to(user).select_related("category", "domain", "region", "holder_unit__region", "department")
    case = qs.filter(pk=case_id).first()
    if case is None:
        raise CaseNotFound("未找到该隐患")  # the same answer for missing and not yours
    return case


def get_case_for_action(user: User, case_id: int, *, action: str, request_id: uuid.UUID | None = None) -> Case:
    """The case an action endpoint acts on: one in the user's 辖区, and nothing else. A retry of an earlier action
    gets no way round this (not even after the action itself took the case out of the user's view, a department's
    回退): a request id is no key to a case, and what a user may no longer see they do not get back by resending.
    Whether a request is a retry is decided after this, by the service (`cases.services._replayed`).

    A 404 here is an attempt on a case that is missing or not the user's: audited (outcome "not_found") like the
    refusals the services audit (`case_service`), the one read in this module that writes."""
    try:
        return get_case_for_user(user, case_id)
    except CaseNotFound as error:
        audit_refusal(
            actor=user,
            action=f"case.{Action(action)}",
            target=f"case:{case_id}",
            error=error,
            payload={"request_id": request_id},
        )
        raise


def level_unit_id(case: Case) -> int:
    """The station or centre that owns the case's review: the dispatcher while a department holds it."""
    if case.held_by_department and case.dispatcher_unit_id:
        return case.dispatcher_unit_id
    return case.holder_unit_id


def _member_of(user: User, unit_id: int | None, roles: frozenset[str]) -> bool:
    return unit_id is not None and user.unit_id == unit_id and user.role in roles


def _is_above(user: User, case: Case) -> bool:
    """A leader, or a centre at a higher tier whose 辖区 contains the case."""
    if user.role == Role.LEADER:
        return jurisdiction_of(user).covers_path(case.region_path)
    if user.role not in REVIEWERS or user.unit is None or user.unit.kind != UnitKind.CENTRE:
        return False
    if not jurisdiction_of(user).covers_path(case.region_path):
        return False
    tier = {1: Level.COUNTY, 2: Level.TOWNSHIP}.get(user.unit.region.level, 0)
    return tier > case.level or (case.held_by_department and user.unit_id == case.dispatcher_unit_id)


def can_assign_case(user: User, case: Case) -> bool:
    return not case.held_by_department and _member_of(user, case.holder_unit_id, REVIEWERS)


def can_escalate_case(user: User, case: Case) -> bool:
    return case.level < Level.COUNTY and can_assign_case(user, case)


def can_dispatch_case(user: User, case: Case) -> bool:
    return (
        case.level >= Level.TOWNSHIP
        and not case.held_by_department
        and _member_of(user, case.holder_unit_id, frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD}))
    )


def can_start_case(user: User, case: Case) -> bool:
    return _member_of(user, case.department_id, DEPARTMENT_STAFF) and case.holder_unit_id == case.department_id


def can_return_case(user: User, case: Case) -> bool:
    if case.held_by_department:
        return _member_of(user, case.department_id, DEPARTMENT_STAFF)
    if case.state == State.PENDING_REVIEW and case.level == Level.VILLAGE:
        return False  # nothing below the village station to return to
    return _member_of(user, case.holder_unit_id, REVIEWERS)


def _works_on(user: User, case: Case) -> bool:
    if case.handler_id is not None and user.pk == case.handler_id:
        return True
    roles = DEPARTMENT_STAFF if case.held_by_department else REVIEWERS
    return _member_of(user, case.holder_unit_id, roles)


def can_submit_case(user: User, case: Case) -> bool:
    return _works_on(user, case)


def can_verify_case(user: User, case: Case) -> bool:
    """核查: never the handler. A 重大 case is closed (销号) only by its department after on-site review."""
    if user.pk in (case.handler_id, case.last_handler_id):
        return False
    if case.is_major:
        return _member_of(user, case.department_id, frozenset({Role.DEPT_LEAD}))
    if _member_of(user, level_unit_id(case), REVIEWERS):
        return True
    return user.role == Role.GRID_WORKER and jurisdiction_of(user).covers_path(case.region_path)


def can_request_extension_case(user: User, case: Case) -> bool:
    return not case.extension_pending and _works_on(user, case)


def can_decide_extension_case(user: User, case: Case) -> bool:
    return case.extension_pending and _member_of(user, level_unit_id(case), LEADS)


def can_suspend_case(user: User, case: Case) -> bool:
    return _member_of(user, level_unit_id(case), LEADS)


def can_void_case(user: User, case: Case) -> bool:
    return not case.held_by_department and _member_of(user, case.holder_unit_id, LEADS)


def can_merge_case(user: User, case: Case) -> bool:
    return _member_of(user, level_unit_id(case), REVIEWERS)


def can_reopen_case(user: User, case: Case) -> bool:
    if case.closure != Closure.RESOLVED or case.closed_at is None:
        return False
    if (clock.now() - case.closed_at).days >= settings.GRIDSAFE_REOPEN_DAYS:
        return False
    return _member_of(user, level_unit_id(case), REVIEWERS) or _is_above(user, case)


def can_supervise_case(user: User, case: Case) -> bool:
    return _is_above(user, case)


def can_reply_supervision_case(user: User, case: Case) -> bool:
    return (
        bool(case.supervision)
        and case.supervision_reply_due is not None
        and _member_of(user, case.holder_unit_id, REVIEWERS | DEPARTMENT_STAFF)
    )


def can_regrade_case(user: User, case: Case) -> bool:
    """定级: the department holding the case, or the township or county centre holding it. Never a grid worker or a
    village station (domain.md §6: a worker's 重大 is a proposal, an officer confirms it)."""
    if case.held_by_department:
        return _member_of(user, case.department_id, DEPARTMENT_STAFF)
    return case.level >= Level.TOWNSHIP and _member_of(user, case.holder_unit_id, REVIEWERS)


def can_comment_case(user: User, case: Case) -> bool:
    # anyone who can see the case (visibility is checked before this), except an enterprise account: it records
    # through its own page (hazards: 整改佐证), never on the staff timeline
    return user.role != Role.ENTERPRISE


def can_request_info_case(user: User, case: Case) -> bool:
    """退回核实/补充: the desk holding the case (not a department), once at a time."""
    return case.with_worker_id is None and can_assign_case(user, case)


def can_supply_info_case(user: User, case: Case) -> bool:
    """核实补充: only the grid worker the desk asked."""
    return case.with_worker_id is not None and user.pk == case.with_worker_id


def _own_part(user: User, case: Case, states: tuple[str, ...]) -> bool:
    """The user's department has a part of this case in one of `states` (one query, only for department staff)."""
    if user.role not in DEPARTMENT_STAFF or user.unit_id is None or user.unit_id == case.department_id:
        return False
    return CasePart.objects.filter(case_id=case.pk, department_id=user.unit_id, state__in=states).exists()


def can_assist_start_case(user: User, case: Case) -> bool:
    return _own_part(user, case, (PartState.DISPATCHED,))


def can_assist_report_case(user: User, case: Case) -> bool:
    return _own_part(user, case, (PartState.DISPATCHED, PartState.HANDLING))


def can_correct_case(user: User, case: Case) -> bool:
    """更正: the desk holding the case (category and location are the desk's to fix before a department has it)."""
    return can_assign_case(user, case)


ACTION_CHECKS = {
    Action.ASSIGN: can_assign_case,
    Action.ESCALATE: can_escalate_case,
    Action.DISPATCH: can_dispatch_case,
    Action.START: can_start_case,
    Action.RETURN: can_return_case,
    Action.SUBMIT: can_submit_case,
    Action.VERIFY_PASS: can_verify_case,
    Action.VERIFY_FAIL: can_verify_case,
    Action.REQUEST_EXTENSION: can_request_extension_case,
    Action.APPROVE_EXTENSION: can_decide_extension_case,
    Action.REJECT_EXTENSION: can_decide_extension_case,
    Action.SUSPEND: can_suspend_case,
    Action.RESUME: can_suspend_case,
    Action.VOID: can_void_case,
    Action.MERGE: can_merge_case,
    Action.TRANSFER: can_merge_case,
    Action.REOPEN: can_reopen_case,
    Action.SUPERVISE: can_supervise_case,
    Action.REPLY_SUPERVISION: can_reply_supervision_case,
    Action.URGE: can_supervise_case,
    Action.COMMENT: can_comment_case,
    Action.REGRADE: can_regrade_case,
    Action.REQUEST_INFO: can_request_info_case,
    Action.SUPPLY_INFO: can_supply_info_case,
    Action.ASSIST_START: can_assist_start_case,
    Action.ASSIST_REPORT: can_assist_report_case,
    Action.CORRECT: can_correct_case,
}


def ensure_can(action: str, user: User, case: Case) -> None:
    if not ACTION_CHECKS[Action(action)](user, case):
        raise NotPermitted(f"您无权对该隐患执行“{Action(action).label}”")


def allowed_actions(user: User, case: Case) -> list[str]:
    """The actions this user may take now: the table allows the move and the check passes."""
    return [
        action.value
        for (state, action) in TRANSITIONS
        if state == case.state
        and (case.with_worker_id is None or action in WHILE_WITH_WORKER)
        and ACTION_CHECKS[action](user, case)
    ]
