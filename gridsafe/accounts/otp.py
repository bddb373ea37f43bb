"""双因素认证 — TOTP (RFC 6238, 30-second steps, 6 digits) for privileged roles (domain.md §10.5).

Enrolment is two steps: `totp_enrol_begin` makes a secret (stored encrypted) and `totp_enrol_confirm` binds it
once the user's authenticator app shows a matching code. From then on the password alone no longer signs that user
in: pages ask for a code after the password (AccountSecurityMiddleware), and token issue needs an `otp` field.
A code is accepted once: `last_step` moves forward with a conditional UPDATE, so a replayed code fails even when
two requests race. Wrong codes are audited as login failures, so they count toward the lockout (accounts/lockout.py);
while the account is locked from the address, or its second-factor step is locked, no code is checked, not even a
right one; and codes are rate-limited per user (GRIDSAFE_OTP_RATE), so they cannot be tried at wire speed.

Enrolling or resetting the second factor revokes the user's bearer tokens and ends their other sessions: what was
signed in with the password alone must not outlive the factor that now guards the account."""

import hmac

import pyotp
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction

from gridsafe.accounts.identities import identities_changed, tokens_revoke
from gridsafe.accounts.lockout import login_attempt_record, login_refused_record, second_factor_refusal
from gridsafe.accounts.models import TotpDevice, User
from gridsafe.accounts.permissions import PRIVILEGED_ROLES, can_manage_security, may_set_credentials
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import AccountLocked, NotPermitted, RateLimited, ValidationFailed
from gridsafe.core.ratelimit import ratelimit_hit

ISSUER = "网格安全 GridSafe"
STEP = 30


def otp_required(user: User) -> bool:
    """A privileged user with a confirmed device. No query (User.otp_enabled mirrors the device)."""
    return user.otp_enabled and user.role in PRIVILEGED_ROLES


def otp_enrolment_due(user: User) -> bool:
    """GRIDSAFE_2FA_REQUIRED is on and this privileged user has not enrolled yet."""
    from django.conf import settings

    return settings.GRIDSAFE_2FA_REQUIRED and user.role in PRIVILEGED_ROLES and not user.otp_enabled


def _matching_step(secret: str, code: str, *, after: int) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(clock.now().timestamp()) // STEP
    for step in (current, current - 1, current + 1):  # one step of clock drift either way
        if step > after and hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def totp_enrol_begin(*, user: User) -> tuple[TotpDevice, str]:
    """Start (or restart) enrolment: a fresh secret and its otpauth:// URI for the authenticator app.
    Refused when a confirmed device exists; the 安全管理员 resets it first."""
    if user.role not in PRIVILEGED_ROLES:
        raise NotPermitted("该角色无需绑定动态口令")
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise ValidationFailed("已绑定动态口令；如需更换，请联系安全管理员重置")
        secret = pyotp.random_base32()
        if device is None:
            device = TotpDevice.objects.create(user=user, secret=secret)
        else:
            device.secret, device.last_step, device.created_at = secret, 0, clock.now()
            device.save()
    return device, totp_uri(user=user, secret=secret)


def totp_uri(*, user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app imports (typed in, or as a QR code)."""
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=user.username, issuer_name=ISSUER)


def sessions_end(*, user: User, keep: str | None = None) -> int:
    """End every session of `user` but the one keyed `keep` (database sessions, the only engine configured).
    Sessions carry no user column, so the live ones are decoded: this runs on enrolment and reset only."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=clock.now()).exclude(pk=keep or "").iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def totp_enrol_confirm(*, user: User, code: str, ip: str | None, session_key: str | None = None) -> bool:
    """Bind the device once a code matches. The user's bearer tokens are revoked and their sessions other than
    `session_key` (the one that enrolled) end: a token or session from before now needs the second factor too.
    Writes one audit row."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise ValidationFailed("请先开始绑定")
    step = _matching_step(device.secret, code, after=device.last_step)
    if step is None:
        audit_record(actor=user, action="auth.2fa_enrol", target=user.username, outcome="failure", ip=ip)
        return False
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=clock.now(), last_step=step)
        User.objects.filter(pk=user.pk).update(otp_enabled=True)
        identities_changed()
        tokens_revoke(user.pk)
        sessions_end(user=user, keep=session_key)
    user.otp_enabled = True
    audit_record(actor=user, action="auth.2fa_enrol", target=user.username, ip=ip)
    return True


def totp_verify(*, user: User, code: str, ip: str | None, via: str) -> bool:
    """Check a login's second factor. Audits success or failure as an `auth.login` row (factor otp).
    Raises AccountLocked (403, nothing checked) while the account is locked from this address or its second-factor
    step is locked, and RateLimited (429) past GRIDSAFE_OTP_RATE codes per user."""
    refusal = second_factor_refusal(username=user.username, ip=ip)
    if refusal:
        login_refused_record(username=user.username, ip=ip, via=via, reason="locked", factor="otp")
        raise AccountLocked(refusal)
    try:
        ratelimit_hit("otp", f"u{user.pk}", settings.GRIDSAFE_OTP_RATE)
    except RateLimited as exc:
        login_refused_record(username=user.username, ip=ip, via=via, reason="rate", factor="otp")
        raise RateLimited("动态口令尝试过于频繁，请稍后再试", retry_after=int(exc.headers["Retry-After"])) from None
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    step = _matching_step(device.secret, code, after=device.last_step) if device else None
    ok = (
        step is not None
        and TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step) == 1  # replay race
    )
    login_attempt_record(username=user.username, user=user if ok else None, ip=ip, via=via, factor="otp")
    return ok


def totp_reset(*, actor: User, user: User, ip: str | None) -> None:
    """安全管理员 removes a user's device (lost phone); the user enrols again at next login. Never another
    administrator's (permissions.may_set_credentials): the refusal is audited. The user's bearer tokens are revoked
    and their sessions end."""
    if not can_manage_security(actor):
        raise NotPermitted("只有安全管理员可以重置动态口令")
    if not may_set_credentials(actor, user):
        audit_record(
            actor=actor,
            action="auth.2fa_reset",
            target=user.username,
            outcome="refused",
            ip=ip,
            payload={"reason": "admin_credentials"},
        )
        raise NotPermitted("不能重置其他管理员的动态口令")
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(otp_enabled=False)
        tokens_revoke(user.pk)
        sessions_end(user=user)
    user.otp_enabled = False
    audit_record(actor=actor, action="auth.2fa_reset", target=user.username, ip=ip)
