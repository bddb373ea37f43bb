"""The one authentication backend: Django's ModelBackend behind a login rate limit, the account+address lock and
the CAPTCHA rule of accounts/lockout.py, with every attempt audited. Used by the login page, the admin and
POST /api/v1/auth/token. A form that shows the CAPTCHA marks the request once the answer was right
(lockout.captcha_mark_passed); any other caller (the admin's login form, the API) is refused with
`captcha_required` while the CAPTCHA is due, before the password is checked."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from gridsafe.accounts.lockout import (
    LoginRefused,
    captcha_passed,
    captcha_required,
    login_attempt_record,
    login_refusal,
    login_refused_record,
)
from gridsafe.accounts.otp import otp_required
from gridsafe.core.errors import RateLimited
from gridsafe.core.http import client_ip
from gridsafe.core.ratelimit import ratelimit_hit


def request_via(request) -> str:
    return "api" if request is None or request.path.startswith("/api/") else "page"


class GuardedModelBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user of a page request, with their unit and its region in the same query: every page asks
        for the 辖区 (accounts.jurisdiction: `user.unit.region.path`), which took two more queries. The region's
        boundary is left out (a county's is kilobytes of GeoJSON); the one page that draws it loads it then."""
        user = (
            get_user_model()
            ._default_manager.select_related("unit__region")
            .defer("unit__region__geometry")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

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
        if captcha_required(username=username, ip=ip) and not captcha_passed(request):
            login_refused_record(username=username, ip=ip, via=via, reason="captcha")
            raise LoginRefused("登录失败次数较多，请在登录页输入验证码后再登录", code="captcha_required")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        partial = user is not None and otp_required(user)
        login_attempt_record(username=username, user=user, ip=ip, via=via, partial=partial)
        if user is None:
            message = login_refusal(username=username, ip=ip)  # this failure may have locked it from this address
            if message:
                raise LoginRefused(message, code="locked")
        return user
