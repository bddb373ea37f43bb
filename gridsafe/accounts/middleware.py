"""Signed-in pages: a privileged user with a second factor must enter a code after the password (/account/2fa/),
one who must enrol a second factor must do so (/account/2fa/setup/), and a user whose password is older than the
limit must change it (/account/password/) before anything else.

A password alone is a partial sign-in: the session holds the user, but not OTP_SESSION_KEY. Until the code is
entered, the second-factor page and signing out are the only pages it reaches — /account/ included, so a stolen
password cannot change the password and lock the owner out. Each step allows only its own pages (STEP_PAGES).
API calls with a session get problem+json 403 instead of a redirect; bearer-token calls are checked at token issue."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from gridsafe.accounts.otp import otp_enrolment_due, otp_required
from gridsafe.accounts.services import password_expired

OTP_SESSION_KEY = "gridsafe_otp_verified"
# Reachable whatever step is owed: files, the login page (which sends a signed-in user on) and signing out.
EXEMPT_PREFIXES = ("/static/", "/login/", "/logout/", "/admin/logout/", "/favicon", "/sw.js")
# The pages each owed step may use (URL names in accounts.urls); everything else redirects to the step's first.
STEP_PAGES = {
    "otp": ("accounts:otp_verify",),
    "enrol": ("accounts:otp_setup",),
    "password": ("accounts:password_change", "accounts:password_change_done"),
}


def _problem(code: str, detail: str) -> JsonResponse:
    body = {
        "type": f"https://gridsafe.invalid/problems/{code}",
        "title": detail,
        "status": 403,
        "detail": detail,
        "code": code,
    }
    return JsonResponse(
        body, status=403, content_type="application/problem+json", json_dumps_params={"ensure_ascii": False}
    )


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # accounts.urls not included (yet): the documented mount point
        return fallback


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            answer = self._gate(request, user)
            if answer is not None:
                return answer
        return self.get_response(request)

    def _gate(self, request, user):
        is_api = request.path.startswith("/api/")
        if not request.session.get(OTP_SESSION_KEY) and otp_required(user):
            if _on_step_page(request, "otp"):
                return None
            if is_api:
                return _problem("otp_required", "请先完成动态口令验证")
            target = _url("accounts:otp_verify", "/account/2fa/")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        if otp_enrolment_due(user):
            if _on_step_page(request, "enrol"):
                return None
            if is_api:
                return _problem("otp_enrolment_required", "请先绑定动态口令")
            return redirect(_url("accounts:otp_setup", "/account/2fa/setup/"))
        if password_expired(user):
            if _on_step_page(request, "password"):
                return None
            if is_api:
                return _problem("password_expired", "密码已过期，请先修改密码")
            return redirect(_url("accounts:password_change", "/account/password/"))
        return None


def _on_step_page(request, step: str) -> bool:
    return request.path in {_url(name, "") for name in STEP_PAGES[step]}
