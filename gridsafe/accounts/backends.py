"""The one authentication backend: Django's ModelBackend behind a login rate limit and the lockout of
accounts/lockout.py, with every attempt audited. Used by the login page, the admin and POST /api/v1/auth/token."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from gridsafe.accounts.lockout import LoginRefused, login_attempt_record, login_refusal, login_refused_record
from gridsafe.core.errors import RateLimited
from gridsafe.core.http import client_ip
from gridsafe.core.ratelimit import ratelimit_hit


def request_via(request) -> str:
    return "api" if request is None or request.path.startswith("/api/") else "page"


class GuardedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username")
        if username is None or password is None:
            return None
        ip = client_ip(request)
        via = request_via(request)
        try:
            if ip:  # no request (Client.login, shell): nothing to count per address
                ratelimit_hit("login", ip, settings.GRIDSAFE_LOGIN_RATE)
        except RateLimited:
            login_refused_record(username=username, ip=ip, via=via, reason="rate")
            raise LoginRefused("登录尝试过于频繁，请稍后再试", code="rate_limited") from None
        message = login_refusal(username=username, ip=ip)
        if message:
            login_refused_record(username=username, ip=ip, via=via, reason="locked")
            raise LoginRefused(message, code="locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        from gridsafe.accounts.otp import otp_required

        partial = user is not None and otp_required(user)
        login_attempt_record(username=username, user=user, ip=ip, via=via, partial=partial)
        if user is None:
            message = login_refusal(username=username, ip=ip)  # this failure may have been the one that locks
            if message:
                raise LoginRefused(message, code="locked")
        return user
