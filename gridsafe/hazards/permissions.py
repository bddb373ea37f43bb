"""Who may see a major hazard or an enterprise's records, and who may act on them. The only place for these rules.

Visibility follows the case (cases_visible_to: the 辖区 from accounts.jurisdiction, for an enterprise account its
own places' cases); missing and not yours both answer 404."""

from django.db.models import Q, QuerySet

from gridsafe.accounts.jurisdiction import DEPARTMENT_STAFF, REVIEWERS, jurisdiction_of
from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case
from gridsafe.cases.permissions import can_regrade_case, cases_visible_to
from gridsafe.core.errors import NotFound, NotPermitted
from gridsafe.hazards.models import MajorHazard, MajorHazardQuerySet, SelfFinding
from gridsafe.hazards.transitions import MajorAction

# The county centre, its leaders and every department may open the list; an enterprise sees its own.
LIST_ROLES = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.LEADER, Role.ADMIN, Role.STATION_OFFICER})
LIST_ROLES |= DEPARTMENT_STAFF


def major_hazards_visible_to(user: User) -> MajorHazardQuerySet:
    return MajorHazard.objects.filter(case__in=cases_visible_to(user).values("pk"))


def get_major_hazard_for_user(user: User, hazard_id: int) -> MajorHazard:
    hazard = (
        major_hazards_visible_to(user)
        .select_related("case__category", "case__domain", "case__region", "case__place", "case__department")
        .select_related("lead_unit")
        .filter(pk=hazard_id)
        .first()
    )
    if hazard is None:
        raise NotFound("未找到该重大隐患")
    return hazard


def enterprise_id_of(user: User) -> int | None:
    return jurisdiction_of(user).enterprise_id if user.role == Role.ENTERPRISE else None


def owns_case(user: User, case: Case) -> bool:
    """The enterprise account whose place the case is at."""
    ent = enterprise_id_of(user)
    return ent is not None and case.place is not None and case.place.enterprise_id == ent


def _holding_department(user: User, case: Case) -> bool:
    """The department the case is dispatched to; before any dispatch, the centre holding it."""
    if case.department_id is not None:
        return user.role in DEPARTMENT_STAFF and user.unit_id == case.department_id
    return user.role in REVIEWERS and user.unit_id == case.holder_unit_id


def can_act_major(user: User, hazard: MajorHazard, action: str) -> bool:
    case = hazard.case
    if action == MajorAction.OPEN:
        return can_regrade_case(user, case)
    if action in (MajorAction.FIVE, MajorAction.PROGRESS):
        return _holding_department(user, case) or owns_case(user, case)
    if action == MajorAction.CLOSE:
        return user.role == Role.DEPT_LEAD and user.unit_id == case.department_id
    return _holding_department(user, case)


def ensure_can_act_major(user: User, hazard: MajorHazard, action: str) -> None:
    if not can_act_major(user, hazard, action):
        raise NotPermitted(f"您无权执行“{MajorAction(action).label}”")


def can_see_hazard_list(user: User) -> bool:
    return user.is_authenticated and (user.role in LIST_ROLES or user.is_superuser)


def can_see_statistics(user: User) -> bool:
    return user.is_authenticated and user.role in LIST_ROLES - {Role.STATION_OFFICER} | {Role.LEADER}


def is_enterprise(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ENTERPRISE and enterprise_id_of(user) is not None


def reported_findings_visible_to(user: User) -> QuerySet[SelfFinding]:
    """Findings enterprises reported to the grid, at places in a station's or centre's 辖区."""
    if user.role not in REVIEWERS:
        return SelfFinding.objects.none()
    scope = jurisdiction_of(user)
    query = Q(pk__in=[])
    for path in scope.paths:
        query |= Q(place__region_path=path) | Q(place__region_path__startswith=path + ".")
    return SelfFinding.objects.filter(query, reported=True)


def can_register_finding(user: User, finding: SelfFinding) -> bool:
    return user.role in REVIEWERS and jurisdiction_of(user).covers_path(finding.place.region_path)


def can_see_findings(user: User) -> bool:
    return user.is_authenticated and user.role in REVIEWERS
