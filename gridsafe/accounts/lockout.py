"""登录失败处理 — login-failure handling (domain.md §10.3), in one place for pages, the admin and the API token.

The audit log is the record: every attempt writes an `auth.login` row (success, failure, locked or partial) with
the username tried as target and the client address, so the counts survive restarts and are shared by every
worker and host. Three rules, so that nobody can lock someone else out by guessing their username:

- **Account and address together.** MAX failures of one account from one address within WINDOW minutes (since
  that address's last success or an unlock) lock that account *from that address* for LOCK minutes. The owner
  signing in from anywhere else is not affected (a county leader cannot be locked out by a stranger).
- **A CAPTCHA, not a lock, for the account.** CAPTCHA_AFTER failures of an account within WINDOW from any
  addresses (since its last success or an unlock) slow it down to human speed: every further attempt first needs
  a solved CAPTCHA (accounts/challenge.py); a wrong or missing answer is refused before the password is checked.
  Not from an address the account signed in from within KNOWN_ADDRESS_DAYS: the owner at their usual desk is
  not slowed by strangers elsewhere (the account+address lock still bounds guesses from there). The API cannot
  show a CAPTCHA: it answers 403 `captcha_required`, and the client signs in once through the login page (whose
  success resets the count) or waits for the window to pass.
- **A CAPTCHA, not a block, for the address.** IP_MAX failures from one address within WINDOW (any accounts) put
  the CAPTCHA in front of everyone behind it, so one office behind a NAT address is slowed, never shut out.
  The per-address rate limit (GRIDSAFE_LOGIN_RATE, backends.py) still bounds attempts per minute.

The second factor is counted too: each wrong one-time code is a failure of the account from its address (it
comes after a right password, so it counts toward the account+address lock), and MAX wrong codes within WINDOW
from any addresses lock the second-factor step of that account for LOCK minutes — only someone who knows the
password can make them, so this lock cannot be used to shut out an owner whose password is safe.

Refused attempts ("locked") are not failures, so a lock ends on time however often someone keeps trying.
Outcomes: success, failure, locked (refused unchecked; payload.reason says why), partial (right password, second
factor still owed: neither resets nor adds to a count)."""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError
from gridsafe.core.models import AuditEvent

LOGIN = "auth.login"
UNLOCK = "auth.unlock"
CAPTCHA_PASSED = "gridsafe_captcha_passed"  # request attribute: this request's CAPTCHA was answered right


class LoginRefused(ValidationError):
    """Raised from the authentication backend: Django's login form shows it as the form error, and the token
    endpoint turns it into problem+json (403 account_locked, 403 captcha_required, or 429 rate_limited)."""


class CaptchaRequired(DomainError):
    """The API's answer where the login page would show a CAPTCHA: sign in through the page (/login/) once."""

    status = 403
    code = "captcha_required"
    title = _("CAPTCHA required")


def _minutes(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def _failures(username: str, now: datetime, *, ip: str | None = None, per_address=False, otp=False, limit: int):
    """The newest failures (times, newest first, at most `limit`) of `username` since its last success or unlock,
    within WINDOW + LOCK. `per_address`: only those from `ip` (None: from no known address), and only a success
    from there resets; `otp`: only wrong one-time codes. One query on the audit_action_target index."""
    window = timedelta(minutes=settings.GRIDSAFE_LOGIN_WINDOW_MINUTES)
    lock = timedelta(minutes=settings.GRIDSAFE_LOGIN_LOCK_MINUTES)
    rows = AuditEvent.objects.filter(
        action__in=[LOGIN, UNLOCK], target=username, created_at__gte=now - window - lock, created_at__lte=now
    ).exclude(outcome__in=["locked", "partial"])
    if per_address:
        rows = rows.filter(Q(action=UNLOCK) | (Q(ip=ip) if ip else Q(ip__isnull=True)))
    if otp:  # a signed-in second factor is audited as an otp success, so successes still reset
        rows = rows.filter(Q(action=UNLOCK) | Q(payload__factor="otp"))
    failures = []
    for action, outcome, at in rows.order_by("-created_at", "-id").values_list("action", "outcome", "created_at")[
        :limit
    ]:
        if action == UNLOCK or outcome == "success":
            break  # a success (from this address, when counting per address) or an unlock starts the count again
        failures.append(at)
    return failures


def _locked_until(failures: list[datetime], now: datetime) -> datetime | None:
    window = timedelta(minutes=settings.GRIDSAFE_LOGIN_WINDOW_MINUTES)
    lock = timedelta(minutes=settings.GRIDSAFE_LOGIN_LOCK_MINUTES)
    limit = settings.GRIDSAFE_LOGIN_MAX_FAILURES
    if len(failures) >= limit and failures[0] - failures[limit - 1] <= window and now < failures[0] + lock:
        return failures[0] + lock
    return None


def account_locked_until(username: str, ip: str | None, now: datetime | None = None) -> datetime | None:
    """When the lock of this account from this address ends, or None. Without an address (a shell, a test
    client's login()) every failure counts as from one unknown address."""
    now = now or clock.now()
    failures = _failures(username, now, ip=ip, per_address=True, limit=settings.GRIDSAFE_LOGIN_MAX_FAILURES)
    return _locked_until(failures, now)


def second_factor_locked_until(username: str, now: datetime | None = None) -> datetime | None:
    """When the lock of this account's second-factor step ends (MAX wrong codes from any addresses), or None."""
    now = now or clock.now()
    failures = _failures(username, now, otp=True, limit=settings.GRIDSAFE_LOGIN_MAX_FAILURES)
    return _locked_until(failures, now)


def captcha_required(*, username: str | None, ip: str | None, now: datetime | None = None) -> bool:
    """Whether an attempt at `username` (None: not known yet, the empty login page) from `ip` must first solve
    a CAPTCHA: the account has CAPTCHA_AFTER recent failures from anywhere, or the address IP_MAX (any accounts)."""
    now = now or clock.now()
    since = now - timedelta(minutes=settings.GRIDSAFE_LOGIN_WINDOW_MINUTES)
    if username:
        limit = settings.GRIDSAFE_LOGIN_CAPTCHA_AFTER
        if sum(at >= since for at in _failures(username, now, limit=limit)) >= limit and not _known_address(
            username, ip, now
        ):
            return True
    if ip:
        failures = AuditEvent.objects.filter(action=LOGIN, ip=ip, outcome="failure", created_at__gte=since)
        if failures.count() >= settings.GRIDSAFE_LOGIN_IP_MAX_FAILURES:
            return True
    return False


def _known_address(username: str, ip: str | None, now: datetime) -> bool:
    """The account signed in from this address within KNOWN_ADDRESS_DAYS (0: no address is known)."""
    days = settings.GRIDSAFE_LOGIN_KNOWN_ADDRESS_DAYS
    if not ip or not days:
        return False
    return AuditEvent.objects.filter(
        action=LOGIN, target=username, ip=ip, outcome="success", created_at__gte=now - timedelta(days=days)
    ).exists()


def captcha_passed(request) -> bool:
    return bool(getattr(request, CAPTCHA_PASSED, False))


def captcha_mark_passed(request) -> None:
    """The form (or endpoint) that checked this request's CAPTCHA answer tells the backend so."""
    setattr(request, CAPTCHA_PASSED, True)


def login_refusal(*, username: str, ip: str | None) -> str | None:
    """The message to refuse this password attempt with unchecked (the account is locked from this address),
    or None when it may go ahead (perhaps behind a CAPTCHA: captcha_required)."""
    now = clock.now()
    until = account_locked_until(username, ip, now)
    if until is not None:
        return f"账号已锁定，请 {_minutes(until - now)} 分钟后再试"
    return None


def second_factor_refusal(*, username: str, ip: str | None) -> str | None:
    """The message to refuse a one-time code with unchecked — even a right one — or None: the account is locked
    from this address (wrong passwords or codes), or its second-factor step is locked."""
    now = clock.now()
    until = account_locked_until(username, ip, now)
    if until is None:
        until = second_factor_locked_until(username, now)
    if until is not None:
        return f"账号已锁定，请 {_minutes(until - now)} 分钟后再试"
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


def login_refused_record(*, username: str, ip: str | None, via: str, reason: str, factor: str = "password") -> None:
    """Audit an attempt refused before its password or code was checked (reason: locked, rate, captcha)."""
    audit_record(
        action=LOGIN, target=username, outcome="locked", ip=ip, payload={"via": via, "reason": reason, "factor": factor}
    )
