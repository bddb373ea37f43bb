"""Who may see field records and who may write them. The only place for these rules.

GPS tracks are sensitive personal information (行踪轨迹, domain.md §10): a patrol — and with it its track — is
visible to the worker who walked it and to their supervisors only: the station officer of the village and the
township grid centre. The county centre, departments and other villages get the same 404 as for a patrol that does
not exist. Visits and publicity follow the ordinary 辖区 of `cases.permissions.jurisdiction_of`."""

from uuid import UUID

from django.db.models import Q, QuerySet

from gridsafe.accounts.models import Role, UnitKind, User
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core.errors import NotFound, NotPermitted
from gridsafe.field.models import Patrol, PlaceVisit, PublicityActivity
from gridsafe.regions.models import RegionLevel

TOWNSHIP_CENTRE_ROLES = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD})


class PatrolNotFound(NotFound):
    pass


def _subtree(field: str, path: str) -> Q:
    return Q(**{field: path}) | Q(**{f"{field}__startswith": path + "."})


def track_supervisor_path(user: User) -> str | None:
    """The region whose patrols this user supervises: a station officer's village or a township centre's
    township. None for everyone else (county centre, departments, leaders, other roles)."""
    if not user.is_authenticated or not user.is_active or user.unit is None:
        return None
    unit = user.unit
    if user.role == Role.STATION_OFFICER and unit.kind == UnitKind.STATION:
        return unit.region.path
    if (
        user.role in TOWNSHIP_CENTRE_ROLES
        and unit.kind == UnitKind.CENTRE
        and unit.region.level == RegionLevel.TOWNSHIP
    ):
        return unit.region.path
    return None


def patrols_visible_to(user: User) -> QuerySet[Patrol]:
    """The worker's own patrols, or the patrols under a supervisor's village / township. Unevaluated."""
    if not user.is_authenticated or not user.is_active:
        return Patrol.objects.none()
    query = Q(worker_id=user.pk)
    path = track_supervisor_path(user)
    if path is not None:
        query |= _subtree("grid_path", path)
    return Patrol.objects.filter(query)


def get_patrol_for_user(user: User, client_id: UUID) -> Patrol:
    patrol = patrols_visible_to(user).select_related("grid", "worker__unit").filter(client_id=client_id).first()
    if patrol is None:
        raise PatrolNotFound("未找到该巡查记录")  # the same answer for missing and not yours
    return patrol


def can_write_patrol(user: User, patrol: Patrol) -> bool:
    """Only the worker who walks it adds points or ends it; a supervisor may look, never write."""
    return patrol.worker_id == user.pk


def ensure_can_write_patrol(user: User, patrol: Patrol) -> None:
    if not can_write_patrol(user, patrol):
        raise NotPermitted("只有巡查本人可以记录轨迹或结束巡查")


def can_start_patrol(user: User) -> bool:
    # A patrol team member (巡逻队员) walks the grids their team covers, which are their jurisdiction.
    return user.is_authenticated and user.is_active and user.role in (Role.GRID_WORKER, Role.PATROL_MEMBER)


def visits_visible_to(user: User) -> QuerySet[PlaceVisit]:
    """Visits to places in the user's 辖区, and the user's own."""
    query = Q(worker_id=user.pk)
    for path in jurisdiction_of(user).paths:
        query |= _subtree("place__region_path", path)
    return PlaceVisit.objects.filter(query)


def get_visit_for_user(user: User, client_id: UUID) -> PlaceVisit:
    visit = visits_visible_to(user).select_related("place", "template", "patrol").filter(client_id=client_id).first()
    if visit is None:
        raise NotFound("未找到该检查记录")
    return visit


def publicity_visible_to(user: User) -> QuerySet[PublicityActivity]:
    query = Q(worker_id=user.pk)
    for path in jurisdiction_of(user).paths:
        query |= _subtree("grid_path", path)
    return PublicityActivity.objects.filter(query)


def get_publicity_for_user(user: User, client_id: UUID) -> PublicityActivity:
    activity = publicity_visible_to(user).select_related("grid", "worker__unit").filter(client_id=client_id).first()
    if activity is None:
        raise NotFound("未找到该宣传记录")
    return activity
