"""Who writes checklists: the county centre's configuration roles. Checklists are county-wide reference data
(one per domain and place kind, answered in every grid), so there is no 辖区 to narrow them: either a user
configures them or the editor does not exist for them (404, the same as a page that is not there).

- 系统管理员 (and the demo's all-round administrator): they keep the catalog (accounts.permissions.SYSTEM_ROLES).
- 值班长 of the county (or city) grid centre: the centre that runs the field work decides what is checked.

Everyone else — township and village staff, grid workers, departments, leaders, the security and audit
administrators — gets 404 on every editor page and endpoint."""

from django.contrib.auth.models import AnonymousUser

from gridsafe.accounts.jurisdiction import jurisdiction_of
from gridsafe.accounts.models import Role, UnitKind, User
from gridsafe.accounts.permissions import SYSTEM_ROLES
from gridsafe.core.errors import NotFound


class ChecklistEditorNotFound(NotFound):
    pass


def can_configure_checklists(user: User | AnonymousUser | None) -> bool:
    """May write, publish, retire, import and export checklists. One query at most (the unit's region)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    assert isinstance(user, User)
    if user.role in SYSTEM_ROLES:
        return True
    if user.role != Role.CENTRE_LEAD or user.unit_id is None:
        return False
    # The 辖区 is computed once per request and cached on the user (the menu asks on every page): a centre whose
    # region is a root of the tree — a county, or a city above counties — has a path without a dot.
    paths = jurisdiction_of(user).paths
    unit = user.unit
    return len(paths) == 1 and "." not in paths[0] and unit is not None and unit.kind == UnitKind.CENTRE


def ensure_can_configure_checklists(user: User | AnonymousUser | None) -> None:
    if not can_configure_checklists(user):
        raise ChecklistEditorNotFound("未找到该页面")
