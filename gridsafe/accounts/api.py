from datetime import datetime

from django.contrib.auth import logout as django_logout
from django.db.models import Q
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import model_validator

from gridsafe.accounts.jurisdiction import jurisdiction_of
from gridsafe.accounts.models import User
from gridsafe.accounts.permissions import can_manage_security, can_manage_users, can_read_audit
from gridsafe.accounts.personal import personal_data_reveal
from gridsafe.accounts.services import token_issue, token_revoke, user_role_change, user_unlock
from gridsafe.core.errors import NotFound, NotPermitted
from gridsafe.core.http import client_ip
from gridsafe.core.input import Id, InputSchema, QueryMoment, check_range
from gridsafe.core.masking import mask_phone
from gridsafe.core.models import AuditEvent
from gridsafe.core.paging import page_window
from gridsafe.core.problem import Problem

router = Router(tags=["auth"])


class TokenIn(InputSchema):
    username: str
    password: str
    otp: str | None = None  # the authenticator's 6-digit code, for privileged users who enrolled one


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: Problem, 403: Problem, 422: Problem, 429: Problem},
    operation_id="token_issue",
)
def issue_token(request, body: TokenIn):
    """Log in: username and password (and `otp` once enrolled) → a bearer token for `Authorization: Bearer …`.
    401 wrong credentials or `otp_required`; 403 `account_locked` (too many failures of this account from this
    address, or wrong one-time codes), `captcha_required` (repeated failures of the account or from the address:
    the API shows no CAPTCHA, so sign in once on the login page, /login/, or wait out the 15-minute window — nothing
    was checked) or `password_expired`; 429 `rate_limited` (attempts per address, one-time codes per user)."""
    key, token = token_issue(request=request, username=body.username, password=body.password, otp=body.otp)
    return {"token": key, "expires_at": token.expires_at}


def _bearer_key(request) -> str | None:
    """The token of an `Authorization: Bearer …` header, read as ninja's HttpBearer reads it."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        return None
    return key


@router.post("/auth/logout", response={204: None, 401: Problem}, operation_id="token_revoke")
def logout(request):
    """Log out: the bearer token of this call stops working at once (a session caller's session ends instead).
    A token also ends after `SESSION_COOKIE_AGE` seconds unused, and when the password, role or second factor
    changes."""
    key = _bearer_key(request)
    if key is None or not token_revoke(user=request.user, key=key, ip=client_ip(request)):
        django_logout(request)  # signed in by session cookie (the bearer header, if any, did not authenticate)
    return Status(204, None)


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    unit_id: int | None
    unit_name: str | None
    unit_kind: str | None
    region_code: str | None
    jurisdiction_paths: list[str]
    department_id: int | None
    grids: list[str]


@router.get("/me", response={200: MeOut, 401: Problem}, operation_id="me_detail")
def me(request):
    """Who I am, my unit and my 辖区."""
    user = request.user
    scope = jurisdiction_of(user)
    unit = user.unit
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "role": user.role,
        "role_label": user.get_role_display(),
        "unit_id": user.unit_id,
        "unit_name": unit.name if unit else None,
        "unit_kind": unit.kind if unit else None,
        "region_code": unit.region.code if unit else None,
        "jurisdiction_paths": list(scope.paths),
        "department_id": scope.department_id,
        "grids": list(user.grids.values_list("code", flat=True)),
    }


def _user_in_scope(actor: User, user_id: int) -> User:
    """A user whose unit lies in the actor's 辖区 (the 系统管理员, who keeps the accounts: every user). Missing and out
    of scope look the same — to the 安全管理员 and 审计管理员 too, who may not reveal a phone number: else they would
    get 403 for every existing id and 404 for the rest."""
    user = User.objects.select_related("unit__region").filter(pk=user_id).first()
    if user is None:
        raise NotFound("用户不存在")
    scope = jurisdiction_of(actor)
    if can_manage_users(actor) or (user.unit_id and scope.covers_path(user.unit.region.path)):
        return user
    raise NotFound("用户不存在")


class PhoneOut(Schema):
    user_id: int
    phone: str
    phone_masked: str


@router.post(
    "/users/{user_id}/phone/reveal",
    response={200: PhoneOut, 401: Problem, 403: Problem, 404: Problem},
    operation_id="user_phone_reveal",
)
def phone_reveal(request, user_id: Id):
    """查看完整手机号 — authorised roles only; every reveal writes an audit row."""
    user = _user_in_scope(request.user, user_id)
    phone = personal_data_reveal(actor=request.user, obj=user, field="phone", ip=client_ip(request))
    return {"user_id": user.pk, "phone": phone, "phone_masked": mask_phone(phone)}


class RoleIn(InputSchema):
    role: str


class RoleOut(Schema):
    user_id: int
    role: str


@router.post(
    "/users/{user_id}/role",
    response={200: RoleOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    operation_id="user_role_change",
)
def role_change(request, user_id: Id, body: RoleIn):
    """授权 — 安全管理员 only; audited. Anyone else gets 404 whether or not the id exists: the answer must not tell
    them which user ids exist."""
    user = User.objects.filter(pk=user_id).first() if can_manage_security(request.user) else None
    if user is None:
        raise NotFound("用户不存在")
    user = user_role_change(actor=request.user, user=user, role=body.role, ip=client_ip(request))
    return {"user_id": user.pk, "role": user.role}


class UnlockIn(InputSchema):
    username: str


@router.post("/auth/unlock", response={204: None, 401: Problem, 403: Problem}, operation_id="user_unlock")
def unlock(request, body: UnlockIn):
    """解锁 — 安全管理员 only; audited."""
    user_unlock(actor=request.user, username=body.username, ip=client_ip(request))
    return Status(204, None)


class AuditEventOut(Schema):
    seq: int | None
    created_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    target: str
    outcome: str
    ip: str | None
    payload: dict
    hash: str


class AuditQuery(InputSchema):
    action: str | None = None
    target: str | None = None
    actor_id: int | None = None
    outcome: str | None = None
    since: QueryMoment | None = None
    until: QueryMoment | None = None
    before_seq: int | None = None
    limit: int = 100

    @model_validator(mode="after")
    def _bounded_range(self):
        check_range(self.since, self.until, label="时间范围（since 至 until）")
        return self


@router.get(
    "/audit/events", response={200: list[AuditEventOut], 401: Problem, 403: Problem}, operation_id="audit_event_list"
)
def audit_events(request, query: Query[AuditQuery]):
    """审计日志 — newest first, read only, for the 审计管理员 alone. Page with `before_seq`."""
    if not can_read_audit(request.user):
        raise NotPermitted("只有审计管理员可以查看审计日志")
    filters = Q()
    for name in ("action", "target", "actor_id", "outcome"):
        if getattr(query, name) is not None:
            filters &= Q(**{name: getattr(query, name)})
    if query.since:
        filters &= Q(created_at__gte=query.since)
    if query.until:
        filters &= Q(created_at__lt=query.until)
    if query.before_seq:
        filters &= Q(seq__lt=query.before_seq)
    rows = AuditEvent.objects.filter(filters).order_by("-seq", "-id")[: page_window(query.limit, 0, max_limit=500)[0]]
    return list(rows)
