"""一次性重置码 — how a forgotten password is replaced without any administrator holding someone else's credential
(三员分立, domain.md §10.6: the 系统管理员 keeps accounts but never becomes a user).

No administrator sets another person's password anywhere (the admin's password page answers 403 for anyone but
the account's owner; a new account starts with an unusable password). Instead an administrator *issues a reset
code*: twelve random characters (about 59 bits), valid for RESET_CODE_HOURS, for one use, that can do nothing but
set a new password for that one user on the public page /account/reset/ (username, code, new password twice,
AUTH_PASSWORD_VALIDATORS). Only an HMAC of the code is stored.

Who issues one, and who sees it (`reset_code_refusal` is the one rule):
- the 安全管理员 (Role.SECURITY_ADMIN), for any active non-administrator account: either shown once on the admin
  page, to be handed over in person ("handover"), or sent to the phone on file ("phone");
- the 系统管理员 (Role.SYSTEM_ADMIN and the demo's Role.ADMIN), only "phone": the code goes to the user's own phone
  and the 系统管理员 never sees it. The phone on file is not editable in the admin, so the 系统管理员 cannot point it
  at their own;
- nobody, for an administrator or a superuser, nor for anyone who ever was one by the audit log
  (permissions.keeps_own_credentials: recovered outside the application, `gridsafe changepassword` by the
  operator), nor for oneself (the password page, with the old password).
A 安全管理员 who hands over a code could use it first; using it is then an audit row and the owner's password stops
working, so the takeover cannot go unnoticed — and the 安全管理员 creates no accounts.

Phone delivery goes through GRIDSAFE_SMS_BACKEND: empty (default) means no SMS channel, so codes are handed over;
"log" writes the message to the `gridsafe.sms` logger, and only while DEBUG (logs are the operator's to read, so
not a channel for production); "locmem" appends to SMS_OUTBOX (tests); anything else is the dotted path of a
callable `send(phone, template, params)` that raises when the message is refused. In production that is
`gridsafe.messaging.sms.send_for_accounts`: the county's SMS channel of 消息推送 (阿里云短信 with the 消息模板
`password_reset`, params `code` and `deadline`), logged in 发送记录 without the code.

Issuing a code revokes nothing (the user's password, sessions and tokens keep working until the code is used; an
older unused code of the same user is voided). Using it sets the password, which revokes the user's API tokens
(PasswordHistoryValidator.password_changed, and `tokens_revoke` here) and ends their sessions (Django checks
each session against the password hash). Wrong codes are `auth.login` failures with factor "reset_code", so they
count toward the account's and the address's lockout (accounts.lockout); the page is rate-limited per address;
and a code is spent after MAX_ATTEMPTS wrong tries. Issue, refusal and use are audit rows."""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string

from gridsafe.accounts.identities import tokens_revoke
from gridsafe.accounts.lockout import login_attempt_record, login_refusal, login_refused_record
from gridsafe.accounts.models import PasswordResetCode, ResetDelivery, User
from gridsafe.accounts.permissions import ADMIN_ROLES, can_manage_security, can_manage_users, keeps_own_credentials
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import AccountLocked, AuthenticationFailed, NotPermitted, ValidationFailed
from gridsafe.core.models import AuditEvent
from gridsafe.core.ratelimit import ratelimit_hit

RESET_CODE_HOURS = 24
MAX_ATTEMPTS = 5  # wrong tries before a code is spent
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed from an SMS
CODE_LENGTH = 12
ISSUED = "auth.reset_code_issued"
RESET = "auth.password_reset"
WRONG_CODE = "用户名或重置码错误，或重置码已失效"

RESET_TEMPLATE = "password_reset"  # the 消息模板 key an SMS gateway sends the code with
RESET_TEXT = (
    "【网格安全】您的密码重置码：{code}，{deadline}内有效，仅可用于设置新密码（/account/reset/）。"
    "如非本人申请，请联系安全管理员。"
)
SMS_OUTBOX: list[tuple[str, str]] = []  # the "locmem" backend's messages
logger = logging.getLogger("gridsafe.sms")


def _sms_log(phone: str, template: str, params: dict[str, str]) -> None:
    logger.warning("SMS to %s: %s", phone, RESET_TEXT.format(**params))


def _sms_outbox(phone: str, template: str, params: dict[str, str]) -> None:
    SMS_OUTBOX.append((phone, RESET_TEXT.format(**params)))


def sms_sender():
    """The configured SMS channel, `send(phone, template, params)`, or None (see the module docstring)."""
    backend = settings.GRIDSAFE_SMS_BACKEND
    if not backend:
        return None
    if backend == "locmem":
        return _sms_outbox
    if backend == "log":
        return _sms_log if settings.DEBUG else None
    return import_string(backend)


def code_hash(user_id: int, code: str) -> str:
    """HMAC of the normalised code, bound to its user: a code copied onto another user's row does not match."""
    key = hashlib.sha256(b"gridsafe reset code:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{user_id}:{normalise(code)}".encode(), hashlib.sha256).hexdigest()


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def reset_code_refusal(actor: User, user: User, delivery: str) -> tuple[str, str] | None:
    """(reason, message) why `actor` may not issue `user` a reset code delivered by `delivery`, or None."""
    security, system = can_manage_security(actor), can_manage_users(actor)
    if not (security or system):
        return "not_permitted", "只有安全管理员或系统管理员可以签发重置码"
    if user.pk == actor.pk:
        return "own_account", "本人请在“修改密码”页面修改自己的密码"
    if keeps_own_credentials(user) or _held_admin_rights(user):
        return "admin_credentials", "其他管理员的密码只能由本人修改"
    if not user.is_active:
        return "inactive", "账号已停用"
    if delivery not in ResetDelivery.values:
        return "delivery", "交付方式无效"
    if delivery == ResetDelivery.HANDOVER and not security:
        return "handover_by_security", "系统管理员只能将重置码发送到用户本人手机；当面交付请由安全管理员签发"
    if delivery == ResetDelivery.PHONE:
        if not user.phone:
            return "no_phone", "该用户未登记手机号，请由安全管理员签发并当面交付"
        if sms_sender() is None:
            return "no_channel", "未配置短信通道，请由安全管理员签发并当面交付"
    return None


def _held_admin_rights(user: User) -> bool:
    """Whether the audit log shows `user` ever held an administrator role or the superuser flag. Else the 安全管理员
    could demote the 审计管理员, hand themselves a code, set a password, restore the role and sign in as them."""
    roles = AuditEvent.objects.filter(action="user.role_changed", target=user.username).values_list(
        "payload", flat=True
    )
    if any({p.get("old"), p.get("new")} & set(ADMIN_ROLES) for p in roles):
        return True
    edits = AuditEvent.objects.filter(
        action__in=["admin.change", "admin.add"], target__startswith=f"accounts.user:{user.pk} "
    ).values_list("payload", flat=True)
    return any("is_superuser" in (p.get("fields") or {}) for p in edits)


def reset_code_issue(*, actor: User, user: User, delivery: str, ip: str | None = None) -> str | None:
    """签发重置码 — returns the code when it is to be handed over (show it once, never store it), None when it went
    to the user's phone. Raises NotPermitted (and audits the refusal) when `actor` may not issue it."""
    refusal = reset_code_refusal(actor, user, delivery)
    if refusal is not None:
        audit_record(
            actor=actor,
            action=ISSUED,
            target=user.username,
            outcome="refused",
            ip=ip,
            payload={"delivery": delivery, "reason": refusal[0]},
        )
        raise NotPermitted(refusal[1])
    return _issue(actor=actor, user=user, delivery=delivery, ip=ip)


@transaction.atomic
def _issue(*, actor: User, user: User, delivery: str, ip: str | None) -> str | None:
    now = clock.now()
    # One live code per user: a newer one voids the older (the first may have gone astray).
    PasswordResetCode.objects.filter(user=user, used_at=None, voided_at=None, expires_at__gt=now).update(voided_at=now)
    code = _new_code()
    row = PasswordResetCode.objects.create(
        user=user,
        code_hash=code_hash(user.pk, code),
        delivery=delivery,
        issued_by=actor,
        created_at=now,
        expires_at=now + timedelta(hours=RESET_CODE_HOURS),
    )
    if delivery == ResetDelivery.PHONE:
        # Inside the transaction: a gateway that fails rolls the code back and the administrator sees the error.
        sms_sender()(user.phone, RESET_TEMPLATE, {"code": code, "deadline": f"{RESET_CODE_HOURS}小时"})
    audit_record(
        actor=actor,
        action=ISSUED,
        target=user.username,
        ip=ip,
        payload={"code_id": row.pk, "delivery": delivery, "expires_at": row.expires_at},
    )
    return code if delivery == ResetDelivery.HANDOVER else None


def _live_codes(user: User):
    return PasswordResetCode.objects.filter(
        user=user, used_at=None, voided_at=None, expires_at__gt=clock.now(), failed_attempts__lt=MAX_ATTEMPTS
    )


def password_reset_with_code(*, username: str, code: str, password: str, ip: str | None = None) -> User:
    """用重置码设置新密码 — the one thing a reset code can do. Raises RateLimited (429) past GRIDSAFE_RESET_RATE per
    address, AccountLocked (403) while the account is locked from this address, AuthenticationFailed (401, one
    message for an unknown user, a wrong, used, expired or voided code) and ValidationFailed (422) for a password
    the validators refuse — checked only after the code matched, so the page tells nothing about a password to someone without
    the code (PasswordHistoryValidator would otherwise say whether a guess was a recent password)."""
    ratelimit_hit("password_reset", f"ip{ip}", settings.GRIDSAFE_RESET_RATE)
    refusal = login_refusal(username=username, ip=ip)
    if refusal is not None:
        login_refused_record(username=username, ip=ip, via="reset", reason="locked")
        raise AccountLocked(refusal)
    user = User.objects.filter(username=username, is_active=True).first()
    row = None
    if user is not None:
        wanted = code_hash(user.pk, code)
        row = next((r for r in _live_codes(user) if hmac.compare_digest(r.code_hash, wanted)), None)
    if row is None:
        if user is not None:
            _live_codes(user).update(failed_attempts=F("failed_attempts") + 1)
        login_attempt_record(username=username, user=None, ip=ip, via="reset", factor="reset_code")
        raise AuthenticationFailed(WRONG_CODE)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages)) from None
    with transaction.atomic():
        # The conditional UPDATE is the single use: of two requests with the same code, one finds it taken.
        now = clock.now()
        if not PasswordResetCode.objects.filter(pk=row.pk, used_at=None, voided_at=None).update(used_at=now):
            raise AuthenticationFailed(WRONG_CODE)
        user.set_password(password)
        user.save(update_fields=["password"])  # then Django's password_changed: history, clock, token revocation
        tokens_revoke(user.pk)  # whatever the validators configured, a reset ends every token
        audit_record(
            actor=user,
            action=RESET,
            target=user.username,
            ip=ip,
            payload={"code_id": row.pk, "delivery": row.delivery, "issued_by": row.issued_by_id},
        )
    return user
