"""Writes for accounts: tokens, password expiry, and the work of the 系统管理员 (users) and 安全管理员 (roles,
lockouts). Every write is audited; login attempts are audited by the authentication backend."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Model, Q
from django.http import HttpRequest

from gridsafe.accounts.backends import request_via
from gridsafe.accounts.identities import (
    Identity,
    identities,
    identities_changed,
    identity_fresh,
    identity_keep,
)
from gridsafe.accounts.identities import tokens_revoke as _tokens_revoke
from gridsafe.accounts.lockout import UNLOCK, CaptchaRequired, LoginRefused
from gridsafe.accounts.models import ApiToken, Role, Unit, User
from gridsafe.accounts.otp import otp_enrolment_due, otp_required, totp_verify
from gridsafe.accounts.permissions import ADMIN_ROLES, can_manage_security, can_manage_users
from gridsafe.accounts.routing import unit_routing
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    NotPermitted,
    OtpEnrolmentRequired,
    OtpRequired,
    PasswordExpired,
    RateLimited,
    ValidationFailed,
)
from gridsafe.core.http import client_ip
from gridsafe.regions.models import Region

# `password_changed_at` of a password an administrator set for someone else: expired whatever the maximum age, so
# its owner must choose their own at the next login (AccountSecurityMiddleware; no API token until then).
PASSWORD_SET_BY_ADMIN = datetime(1970, 1, 1, tzinfo=UTC)
# A token's `last_used_at` is written at most this often, by user_for_token's lookup, which a process's requests
# with that token then skip for the rest of the minute (accounts.identities).
TOKEN_TOUCH_INTERVAL = timedelta(seconds=60)


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_set_by_admin(user: User) -> bool:
    return user.password_changed_at <= PASSWORD_SET_BY_ADMIN


def password_expired(user: User) -> bool:
    """定期更换 — the password is older than GRIDSAFE_PASSWORD_MAX_AGE_DAYS (0: never expires), or an administrator
    set it (password_change_required)."""
    if password_set_by_admin(user):
        return True
    days = settings.GRIDSAFE_PASSWORD_MAX_AGE_DAYS
    return bool(days) and user.password_changed_at + timedelta(days=days) <= clock.now()


def password_change_required(user: User) -> None:
    """After an administrator set `user`'s password: it must be changed at the next login. Call after the save
    (PasswordHistoryValidator.password_changed restarts the clock on every save of a new password)."""
    User.objects.filter(pk=user.pk).update(password_changed_at=PASSWORD_SET_BY_ADMIN)
    identities_changed()
    user.password_changed_at = PASSWORD_SET_BY_ADMIN


def tokens_revoke(user: User) -> int:
    """Every bearer token of `user` stops working (password, role or second factor changed, account deactivated)."""
    return _tokens_revoke(user.pk)


def token_issue(*, request: HttpRequest, username: str, password: str, otp: str | None = None) -> tuple[str, ApiToken]:
    """登录 — issue a bearer token. The backend audits the password check and applies the lockout; a second
    factor is checked for enrolled privileged users; an expired password gets no token (403 password_expired)."""
    try:
        user = authenticate(request, username=username, password=password)
    except LoginRefused as exc:
        if exc.code == "rate_limited":
            raise RateLimited(exc.messages[0]) from None
        if exc.code == "captcha_required":  # the API shows no CAPTCHA: one sign-in on the page resets the count
            raise CaptchaRequired("登录失败次数较多，请先在网页登录页输入验证码登录，或稍后再试") from None
        raise AccountLocked(exc.messages[0]) from None
    if user is None:
        raise AuthenticationFailed("用户名或密码错误")
    ip = client_ip(request)
    if otp_required(user):
        if not otp:
            raise OtpRequired("请输入动态口令（otp）")
        if not totp_verify(user=user, code=otp, ip=ip, via=request_via(request)):
            raise AuthenticationFailed("动态口令错误或已使用")
    if otp_enrolment_due(user):
        raise OtpEnrolmentRequired("请先在网页端绑定动态口令（/account/2fa/setup/）")
    if password_expired(user):
        set_by_admin = password_set_by_admin(user)
        audit_record(
            actor=user,
            action="auth.token",
            target=username,
            outcome="failure",
            ip=ip,
            payload={"reason": "password_set_by_admin" if set_by_admin else "password_expired"},
        )
        if set_by_admin:
            raise PasswordExpired("密码由管理员设置，请在网页端修改密码后再登录")
        raise PasswordExpired("密码已过期，请在网页端修改密码后再登录")
    key = secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken.objects.create(
        key_hash=token_hash(key),
        user=user,
        expires_at=now + timedelta(hours=settings.GRIDSAFE_API_TOKEN_HOURS),
        last_used_at=now,  # so the requests of its first minute need no UPDATE
    )
    return key, token


_REGION_FIELDS = ("id", "code", "name", "level", "parent_id", "path")  # not the boundary: no request needs it


def _values(obj: Model, fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(obj, f) for f in fields)


_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields)
_UNIT_FIELDS = tuple(f.attname for f in Unit._meta.concrete_fields)


def user_for_token(key: str, *, activity: bool = True) -> User | None:
    """The active user of a live bearer token, with their unit, the unit's region (without its boundary) and their
    grid paths loaded; None when the token is unknown, expired, idle too long or its user deactivated.

    A token unused for longer than SESSION_COOKIE_AGE (the session idle limit) is refused, and each use slides that
    window on. `last_used_at` is moved by one conditional UPDATE at most once a minute (TOKEN_TOUCH_INTERVAL), so
    concurrent requests do not all write and the idle limit is honoured to within that minute. A background poll
    (`activity=False`: the badge, the big-screen feed) is answered but does not slide the window, as for a session.

    The lookup is an ORM query (with the user's grids, a second), and what it read is kept by this process
    (accounts.identities): the same token's requests in the next minute cost no query, and any revocation reaches
    every process within a second of its commit."""
    now = clock.now()
    key_hash = token_hash(key)
    # This process's copies, taken before the lookup: its row goes into this same dict, so a revocation landing
    # during the lookup drops the row with the dict.
    kept = identities.get()
    identity = identity_fresh(kept, key_hash)
    if identity is None or identity.last_used_at < now - min(TOKEN_TOUCH_INTERVAL, _idle_limit()):
        identity = _token_lookup(key_hash, now, touch=activity)
        if identity is None:
            return None
        identity_keep(kept, key_hash, identity)
    elif identity.expires_at <= now:
        return None
    return _user_from_row(identity.row)


def _idle_limit() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _token_lookup(key_hash: str, now: datetime, *, touch: bool = True) -> Identity | None:
    try:
        token = (
            ApiToken.objects.select_related("user__unit__region")
            .only(
                "id",
                "expires_at",
                "last_used_at",
                *(f"user__{f}" for f in _USER_FIELDS),
                *(f"user__unit__{f}" for f in _UNIT_FIELDS),
                *(f"user__unit__region__{f}" for f in _REGION_FIELDS),
            )
            .get(key_hash=key_hash, expires_at__gt=now, last_used_at__gte=now - _idle_limit(), user__is_active=True)
        )
    except ApiToken.DoesNotExist:
        return None
    if touch and token.last_used_at < now - TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk, last_used_at__lt=now - TOKEN_TOUCH_INTERVAL).update(last_used_at=now)
        token.last_used_at = now
    user = token.user
    unit = user.unit if user.unit_id is not None else None
    # What the lookup read, as plain values: every request builds its own instances from them.
    row = (
        _values(user, _USER_FIELDS),
        _values(unit, _UNIT_FIELDS) if unit else None,
        _values(unit.region, _REGION_FIELDS) if unit and unit.region_id is not None else None,
        user.grid_paths(),
    )
    return Identity(row, token.expires_at, token.last_used_at, identities.clock())


def _user_from_row(row: tuple[Any, ...]) -> User:
    user_values, unit_values, region_values, grid_paths = row
    user = User.from_db("default", _USER_FIELDS, user_values)
    if unit_values is not None:
        user.unit = Unit.from_db("default", _UNIT_FIELDS, unit_values)
        if region_values is not None:
            user.unit.region = Region.from_db("default", _REGION_FIELDS, region_values)
    user.preloaded_grid_paths = grid_paths
    return user


def tokens_purge_expired() -> int:
    """Delete API tokens that can no longer authenticate: past their expiry, or idle longer than the idle limit
    (SESSION_COOKIE_AGE). Their rows are only lookup keys (hashes), but a table that only grows is a table that
    slows every request's token lookup. The worker runs this hourly. Returns how many were deleted."""
    now = clock.now()
    idle_since = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    deleted, _ = ApiToken.objects.filter(Q(expires_at__lte=now) | Q(last_used_at__lt=idle_since)).delete()
    return deleted


def token_revoke(*, user: User, key: str, ip: str | None = None) -> bool:
    """退出登录 — the bearer token `key` of `user` stops working. False when it is not (or no longer) theirs."""
    deleted, _ = ApiToken.objects.filter(key_hash=token_hash(key), user_id=user.pk).delete()
    if deleted:
        identities_changed()
        audit_record(actor=user, action="auth.logout", target=user.username, ip=ip, payload={"via": "api"})
    return bool(deleted)


# ---------------------------------------------------------------- 系统管理员: accounts


@transaction.atomic
def user_create(*, actor: User, username: str, display_name: str, unit: Unit | None, ip: str | None = None) -> User:
    """开户 — a new ordinary account (网格员). Its role is then the 安全管理员's decision (user_role_change). It starts
    with an unusable password: no administrator knows a password of someone else (三员分立); its owner sets the
    first one with a one-time reset code (accounts.resets)."""
    if not can_manage_users(actor):
        raise NotPermitted("只有系统管理员可以新建账号")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed("用户名已存在")
    user = User(username=username, display_name=display_name, unit=unit, role=Role.GRID_WORKER)
    user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor, action="user.created", target=username, ip=ip, payload={"unit": unit.pk if unit else None}
    )
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User, ip: str | None = None) -> User:
    """销户 — deactivate (never delete: events keep the actor). Its tokens stop working at once."""
    if not can_manage_users(actor):
        raise NotPermitted("只有系统管理员可以停用账号")
    if user.role in ADMIN_ROLES and not can_manage_security(actor):
        raise NotPermitted("管理员账号由安全管理员停用")
    User.objects.filter(pk=user.pk).update(is_active=False)
    tokens_revoke(user)
    audit_record(actor=actor, action="user.deactivated", target=user.username, ip=ip)
    user.refresh_from_db()
    return user


# ---------------------------------------------------------------- 安全管理员: roles, lockouts


@transaction.atomic
def user_role_change(*, actor: User, user: User, role: str, ip: str | None = None) -> User:
    """授权 — change a user's role. Only the 安全管理员, never on their own account. The user's bearer tokens are
    revoked: a token carries no role of its own, but the person must sign in again under the new one."""
    if not can_manage_security(actor):
        raise NotPermitted("只有安全管理员可以变更角色")
    if role not in Role.values:
        raise ValidationFailed("角色无效")
    if user.pk == actor.pk:
        raise NotPermitted("不能变更自己的角色")
    old = user.role
    User.objects.filter(pk=user.pk).update(role=role)
    if old != role:
        tokens_revoke(user)
    audit_record(
        actor=actor, action="user.role_changed", target=user.username, ip=ip, payload={"old": old, "new": role}
    )
    user.refresh_from_db()
    return user


def user_unlock(*, actor: User, username: str, ip: str | None = None) -> None:
    """解锁 — lift a login lockout before it ends (the count starts again from this audit row)."""
    if not can_manage_security(actor):
        raise NotPermitted("只有安全管理员可以解锁账号")
    audit_record(actor=actor, action=UNLOCK, target=username, ip=ip)


# -- reference data: each write owns the invalidation of the caches built from its rows (core.cache) ----------------


# `domains` are catalog.Domain rows; accounts sits below catalog in the import-linter layers, so it cannot name them.
def unit_save(unit: Unit, *, domains: Iterable[Any] | None = None) -> Unit:
    """A unit and (given) its domains: case routing reads both, a member's token lookup carries the unit (the
    identity cache follows unit_routing). The admin calls this."""
    with transaction.atomic():
        unit.save()
        if domains is not None:
            unit.domains.set(domains)
        unit_routing.invalidate()
    return unit


def unit_delete(unit: Unit) -> None:
    with transaction.atomic():
        unit.delete()
        unit_routing.invalidate()


def user_save(user: User, *, grids: Iterable[Region] | None = None) -> User:
    """A user's fields and (given) their grids, which their token lookups carry. The admin calls this; a role
    change goes through user_role_change."""
    with transaction.atomic():
        user.save()
        if grids is not None:
            user.grids.set(grids)
        identities_changed()
    return user
