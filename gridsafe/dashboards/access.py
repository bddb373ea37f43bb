"""Who may see which statistics: the "visible to" half for dashboards, built on the cases app's jurisdiction.

A region node is visible when it lies in the user's 辖区 (`jurisdiction_of(user).covers_path`); a department's
figures to its own staff and to the centre of the level it belongs to; a grid worker's to the worker and to
whoever covers their grids. Everything else is 404, the same answer as "does not exist"."""

from __future__ import annotations

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core.errors import NotFound
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region


def visible_region(user: User, code: str | None) -> Region:
    """The region node `code` (or the user's own node when empty) if it is in the user's 辖区; else 404."""
    if not code:
        region = default_region(user)
        if region is None:
            raise NotFound("未找到该区划")
        return region
    region = Region.objects.filter(code=code, is_active=True).defer("geometry").first()
    if region is None or not jurisdiction_of(user).covers_path(region.path):
        raise NotFound("未找到该区划")
    return region


def default_region(user: User) -> Region | None:
    """The node a user's dashboard opens on: their unit's region, or a grid worker's first grid."""
    scope = jurisdiction_of(user)
    if not scope.paths:
        return None
    paths = sorted(scope.paths, key=lambda p: (p.count("."), p))
    return Region.objects.filter(path=paths[0]).defer("geometry").first()


def may_see_unit(user: User, unit: Unit) -> bool:
    if user.unit_id == unit.pk:
        return True
    return unit.kind == UnitKind.DEPARTMENT and jurisdiction_of(user).covers_path(unit.region.path)


def visible_department(user: User, unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id, kind=UnitKind.DEPARTMENT).select_related("region").first()
    if unit is None or not may_see_unit(user, unit):
        raise NotFound("未找到该部门")
    return unit


def departments_visible_at(region: Region):
    """The departments that belong to a node (county departments at the county, 安监站/村建站 at a township)."""
    return Unit.objects.filter(kind=UnitKind.DEPARTMENT, is_active=True, region=region).order_by("code")


def visible_worker(user: User, worker_id: int) -> User:
    worker = User.objects.filter(pk=worker_id, role=Role.GRID_WORKER).select_related("unit__region").first()
    if worker is None:
        raise NotFound("未找到该网格员")
    if worker.pk == user.pk:
        return worker
    scope = jurisdiction_of(user)
    grids = list(worker.grids.values_list("path", flat=True))
    if any(scope.covers_path(p) for p in grids) or (worker.unit and scope.covers_path(worker.unit.region.path)):
        return worker
    raise NotFound("未找到该网格员")


def workers_in(region: Region):
    """Grid workers with a grid in the node's subtree."""
    grids = subtree_q("grids__path", region.path)  # a city: its counties' workers
    return User.objects.filter(grids, role=Role.GRID_WORKER, is_active=True).distinct().order_by("username")


def is_county_staff(user: User) -> bool:
    from django.conf import settings

    return jurisdiction_of(user).covers_path(settings.GRIDSAFE_COUNTY_CODE)
