"""Who may administer what. 三员分立 (等保 level 3, domain.md §10.6): the 系统管理员 keeps units, users and the
catalog; the 安全管理员 keeps roles, grants, lockouts and second factors; the 审计管理员 only reads the audit log.
No role holds two of these, and each check names exactly one of them.

Role.ADMIN is the demo's all-round administrator: it counts as a 系统管理员 here (units, users, catalog), not as
a security or audit administrator. `gridsafe check_deploy` reports superusers and ADMIN accounts in production."""

from django.contrib.auth.models import AnonymousUser

from gridsafe.accounts.models import Role, User

SYSTEM_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.ADMIN})
SECURITY_ROLES = frozenset({Role.SECURITY_ADMIN})
AUDIT_ROLES = frozenset({Role.AUDIT_ADMIN})
ADMIN_ROLES = SYSTEM_ROLES | SECURITY_ROLES | AUDIT_ROLES
# Roles whose login needs a second factor once they have enrolled one (domain.md §10.5: privileged users).
PRIVILEGED_ROLES = frozenset({Role.CENTRE_LEAD, Role.LEADER}) | ADMIN_ROLES
# Roles that may see a full phone or ID number (every reveal is audited): those who call people about a case.
PERSONAL_DATA_ROLES = frozenset(
    {Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.DEPT_LEAD, Role.LEADER, Role.SYSTEM_ADMIN}
)


def _active(user: User | AnonymousUser | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def can_manage_users(user: User) -> bool:
    """系统管理员: create and deactivate accounts, edit units and the catalog."""
    return _active(user) and user.role in SYSTEM_ROLES


def can_manage_security(user: User) -> bool:
    """安全管理员: change roles, unlock accounts, reset second factors."""
    return _active(user) and user.role in SECURITY_ROLES


def can_read_audit(user: User) -> bool:
    """审计管理员: read (never change) the audit log."""
    return _active(user) and user.role in AUDIT_ROLES


def keeps_own_credentials(user: User) -> bool:
    """An administrator's password and second factor are theirs alone: no other administrator sets or resets
    them (else the 系统管理员 could sign in as the 审计管理员, or the 安全管理员 as either). Superusers count too.
    A lost one is recovered outside the application (`gridsafe changepassword`, by the operator)."""
    return user.role in ADMIN_ROLES or user.is_superuser


def may_set_credentials(actor: User, user: User) -> bool:
    """Whether `actor` may set `user`'s password or reset their second factor (the role check — 系统管理员 or
    安全管理员 — is the caller's): always their own, never another administrator's."""
    return _active(actor) and (actor.pk == user.pk or not keeps_own_credentials(user))


def can_reveal_personal_data(user: User) -> bool:
    return _active(user) and user.role in PERSONAL_DATA_ROLES
