"""Who may see a supervised place (`places_visible_to`) and who may change it (`can_edit_place`).

The 辖区 is the one from `cases.permissions.jurisdiction_of`: a grid worker sees the places of their grids, a
station or centre its region's subtree; a department sees the places of its domains inside its region. Missing and
out of jurisdiction both answer 404."""

from collections.abc import Iterable

from django.db.models import Q

from gridsafe.accounts.jurisdiction import DEPARTMENT_STAFF, REVIEWERS, jurisdiction_of
from gridsafe.accounts.models import Role, User
from gridsafe.core.errors import NotFound, NotPermitted
from gridsafe.places.models import Place, PlaceQuerySet

EDITORS = frozenset({Role.GRID_WORKER}) | REVIEWERS
CONTACT_READERS = frozenset({Role.GRID_WORKER, Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD})


def _paths_q(paths: Iterable[str]) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(region_path=path) | Q(region_path__startswith=path + ".")
    return query


def places_visible_to(user: User) -> PlaceQuerySet:
    """Active and inactive places in the user's 辖区, unevaluated. At most one query (a worker's grids) to build."""
    scope = jurisdiction_of(user)
    query = _paths_q(scope.paths)
    if user.is_authenticated and user.role in DEPARTMENT_STAFF and user.unit is not None:
        unit = user.unit
        query |= _paths_q([unit.region.path]) & Q(domain__in=unit.domains.all())
    return Place.objects.filter(query)


def get_place_for_user(user: User, place_id: int) -> Place:
    place = places_visible_to(user).select_related("domain", "region").filter(pk=place_id).first()
    if place is None:
        raise NotFound("未找到该监管对象")  # the same answer for missing and not yours
    return place


def covers_path(user: User, path: str) -> bool:
    return jurisdiction_of(user).covers_path(path)


def can_edit_place(user: User, place: Place) -> bool:
    return user.role in EDITORS and covers_path(user, place.region_path)


def can_reveal_contact(user: User, place: Place) -> bool:
    return user.role in CONTACT_READERS and covers_path(user, place.region_path)


def ensure_can_edit_place(user: User, place: Place) -> None:
    if not can_edit_place(user, place):
        raise NotPermitted("您无权修改该监管对象")
