"""Writes for accounts: tokens and audit of logins."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate

from gridsafe.accounts.models import ApiToken, User
from gridsafe.core import clock
from gridsafe.core.errors import AuthenticationFailed
from gridsafe.core.models import AuditEvent


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, username: str, password: str, ip: str | None) -> tuple[str, ApiToken]:
    """登录 — issue a bearer token. Writes one ApiToken and one AuditEvent (success or failure)."""
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        AuditEvent.objects.create(action="auth.login", target=username[:200], outcome="failure", ip=ip)
        raise AuthenticationFailed("用户名或密码错误")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        key_hash=token_hash(key), user=user, expires_at=clock.now() + timedelta(hours=settings.GRIDSAFE_API_TOKEN_HOURS)
    )
    AuditEvent.objects.create(
        actor=user, actor_label=user.label, action="auth.login", target=username, ip=ip, payload={"method": "token"}
    )
    return key, token


def user_for_token(key: str) -> User | None:
    """One query: the token joined to its user and unit."""
    token = (
        ApiToken.objects.select_related("user__unit__region")
        .filter(key_hash=token_hash(key), expires_at__gt=clock.now(), user__is_active=True)
        .first()
    )
    return token.user if token else None
