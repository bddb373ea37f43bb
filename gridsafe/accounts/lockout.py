"""登录失败处理 — login-failure lockout (domain.md §10.3), in one place for pages, the admin and the API token.

The audit log is the record: every attempt writes an `auth.login` row (success, failure or locked) with the
username tried as target and the client address, so the count survives restarts and is shared by every worker
and host. An account is locked for LOCK minutes after MAX failures within WINDOW minutes since its last success
or unlock; an address is refused while it has IP_MAX failures within WINDOW. Refused attempts ("locked") do not
count as failures, so a lock ends on time however often someone keeps trying. Outcomes: success, failure,
locked (refused unchecked), partial (right password, second factor still owed: wrong codes keep counting)."""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.models import AuditEvent

LOGIN = "auth.login"
UNLOCK = "auth.unlock"


class LoginRefused(ValidationError):
    """Raised from the authentication backend: Django's login form shows it as the form error, and the token
    endpoint turns it into problem+json (403 account_locked, or 429 when the login rate limit is hit)."""


def _minutes(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def account_locked_until(username: str, now: datetime | None = None) -> datetime | None:
    """When the account's lock ends, or None. One indexed query (audit_action_target)."""
    now = now or clock.now()
    window = timedelta(minutes=settings.GRIDSAFE_LOGIN_WINDOW_MINUTES)
    lock = timedelta(minutes=settings.GRIDSAFE_LOGIN_LOCK_MINUTES)
    limit = settings.GRIDSAFE_LOGIN_MAX_FAILURES
    recent = (
        AuditEvent.objects.filter(
            action__in=[LOGIN, UNLOCK], target=username, created_at__gte=now - window - lock, created_at__lte=now
        )
        .exclude(outcome__in=["locked", "partial"])
        .order_by("-created_at", "-id")
        .values_list("action", "outcome", "created_at")[:limit]
    )
    failures = []
    for action, outcome, at in recent:
        if action == UNLOCK or outcome == "success":
            break  # a success or an unlock starts the count again
        failures.append(at)
    if len(failures) >= limit and failures[0] - failures[-1] <= window and now < failures[0] + lock:
        return failures[0] + lock
    return None


def address_blocked(ip: str | None, now: datetime | None = None) -> bool:
    if not ip:
        return False
    now = now or clock.now()
    since = now - timedelta(minutes=settings.GRIDSAFE_LOGIN_WINDOW_MINUTES)
    failures = AuditEvent.objects.filter(action=LOGIN, ip=ip, outcome="failure", created_at__gte=since)
    return failures.count() >= settings.GRIDSAFE_LOGIN_IP_MAX_FAILURES


def login_refusal(*, username: str, ip: str | None) -> str | None:
    """The message to refuse this attempt with, or None when it may go ahead."""
    now = clock.now()
    until = account_locked_until(username, now)
    if until is not None:
        return f"账号已锁定，请 {_minutes(until - now)} 分钟后再试"
    if address_blocked(ip, now):
        return f"该地址登录失败次数过多，请 {settings.GRIDSAFE_LOGIN_WINDOW_MINUTES} 分钟后再试"
    return None


def login_attempt_record(
    *, username: str, user, ip: str | None, via: str, factor: str = "password", partial: bool = False
) -> None:
    """Audit one attempt. `user` None is a failure (wrong username, password or one-time code); `partial` is a
    right password of a user who still owes a second factor, which does not reset the failure count."""
    audit_record(
        actor=user,
        action=LOGIN,
        target=username,
        outcome="failure" if user is None else ("partial" if partial else "success"),
        ip=ip,
        payload={"via": via, "factor": factor},
    )


def login_refused_record(*, username: str, ip: str | None, via: str, reason: str) -> None:
    audit_record(action=LOGIN, target=username, outcome="locked", ip=ip, payload={"via": via, "reason": reason})
