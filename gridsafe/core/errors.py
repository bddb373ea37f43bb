"""Typed domain errors. Each carries its HTTP status and a stable `code`; one handler renders problem+json."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "error"
    title: str | Promise = _("Request failed")  # a subclass may give plain text

    def __init__(self, detail: str | None = None, **extra):
        self.detail = str(detail) if detail is not None else str(self.title)
        self.extra = extra
        super().__init__(self.detail)


class NotFound(DomainError):
    """Missing and out of jurisdiction look the same: 泉山村 must not learn 南溪村's case ids."""

    status = 404
    code = "not_found"
    title = _("Not found")


class CaseNotFound(NotFound):
    code = "not_found"


class NotPermitted(DomainError):
    status = 403
    code = "not_permitted"
    title = _("You may not do this")


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"
    title = _("This action is not possible in the case's current state")


class StaleVersion(DomainError):
    status = 409
    code = "stale_version"
    title = _("Someone else changed this case; reload it and try again")


class IdempotencyConflict(DomainError):
    status = 409
    code = "idempotency_conflict"
    title = _("This client id was already used for different content")


class RequestIdReused(IdempotencyConflict):
    """A request id already used on this case by another person, for another action or with another body: a
    retry must be the identical request, and a request id found elsewhere is no key to the case."""

    code = "request_id_reused"
    title = "该请求编号已用于另一次操作"  # not in the catalogue: the detail always says more, in Chinese


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    title = _("The request is not valid")


class OutsideJurisdiction(ValidationFailed):
    """A report placed in (or for a place in) someone else's 辖区. The client sees the same 422 `validation_failed`
    as any bad input; the class exists so the audit can tell this refusal from a typo."""


class OutsideCounty(ValidationFailed):
    code = "outside_county"
    title = _("The point is outside the county")


class AuthenticationFailed(DomainError):
    status = 401
    code = "authentication_failed"
    title = _("Authentication failed")


class AccountLocked(DomainError):
    """Too many failed logins for this account or from this address (等保: login-failure lockout)."""

    status = 403
    code = "account_locked"
    title = _("Account locked")


class PasswordExpired(DomainError):
    status = 403
    code = "password_expired"
    title = _("Password expired")


class OtpRequired(DomainError):
    status = 401
    code = "otp_required"
    title = _("A one-time code is required")


class OtpEnrolmentRequired(DomainError):
    status = 403
    code = "otp_enrolment_required"
    title = _("Two-factor enrolment required")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = _("Too many requests")

    def __init__(self, detail: str | None = None, *, retry_after: int = 60, **extra):
        super().__init__(detail or "请求过于频繁，请稍后再试", retry_after=retry_after, **extra)
        self.headers = {"Retry-After": str(max(1, retry_after))}


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only row."""
