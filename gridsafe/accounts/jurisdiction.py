"""辖区 — the part of the county a person answers for: their unit's region subtree; a department's staff, what is
dispatched to their department; a grid worker, their grids and their own reports; an enterprise's safety officer
(双重预防), the cases at its enterprise's places; the separated administrators, nothing. Every app that filters by
it (cases, places, regions, dashboards) asks here, in accounts, below them all."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from gridsafe.accounts.models import Role, User
from gridsafe.regions.cities import subtree_paths

REVIEWERS = frozenset({Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD})
LEADS = frozenset({Role.STATION_OFFICER, Role.CENTRE_LEAD})  # 站长 / 值班长: approve void, extension, suspension
DEPARTMENT_STAFF = frozenset({Role.DEPT_HANDLER, Role.DEPT_LEAD})
SEPARATED_ADMINS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


@dataclass(frozen=True)
class Jurisdiction:
    paths: tuple[str, ...]
    department_id: int | None = None
    reporter_id: int | None = None
    enterprise_id: int | None = None  # an enterprise account: the cases at its enterprise's places, nothing else

    def q(self, prefix: str = "") -> Q:
        query = Q(pk__in=[])
        for path in self.paths:
            query |= Q(**{f"{prefix}region_path": path}) | Q(**{f"{prefix}region_path__startswith": path + "."})
        if self.department_id is not None:
            query |= Q(**{f"{prefix}department_id": self.department_id})
        if self.reporter_id is not None:
            query |= Q(**{f"{prefix}reporter_id": self.reporter_id})
        if self.enterprise_id is not None:
            query |= Q(**{f"{prefix}place__enterprise_id": self.enterprise_id})
        return query

    def covers_path(self, path: str) -> bool:
        return any(path == p or path.startswith(p + ".") for p in self.paths)


def jurisdiction_of(user: User) -> Jurisdiction:
    """One query at most (a grid worker's grids), cached on the user object for the request."""
    cached = getattr(user, "_gridsafe_jurisdiction", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        result = Jurisdiction(paths=())
    elif user.role in (Role.GRID_WORKER, Role.PATROL_MEMBER):  # a patrol member: the grids their team covers
        result = Jurisdiction(paths=user.grid_paths(), reporter_id=user.pk)
    elif user.role == Role.ENTERPRISE:  # no region: its own places only, and without an enterprise nothing
        result = Jurisdiction(paths=(), enterprise_id=user.enterprise_id)
    elif user.role in SEPARATED_ADMINS:
        result = Jurisdiction(paths=())  # 三员分立: system, security and audit administrators see no cases
    elif user.role in DEPARTMENT_STAFF:
        result = Jurisdiction(paths=(), department_id=user.unit_id)
    elif user.unit_id is not None:
        result = Jurisdiction(paths=subtree_paths(user.unit.region.path))  # a city unit: its counties too
    elif user.role == Role.ADMIN or user.is_superuser:
        result = Jurisdiction(paths=(settings.GRIDSAFE_COUNTY_CODE,))
    else:
        result = Jurisdiction(paths=())
    user._gridsafe_jurisdiction = result
    return result
