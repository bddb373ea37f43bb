"""Account security pages: forced password change, second-factor verification and enrolment. Thin: each view
parses, calls one service and renders."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from gridsafe.accounts.backends import request_via
from gridsafe.accounts.forms import OtpForm
from gridsafe.accounts.middleware import OTP_SESSION_KEY
from gridsafe.accounts.otp import otp_required, totp_enrol_begin, totp_enrol_confirm, totp_uri, totp_verify
from gridsafe.accounts.permissions import PRIVILEGED_ROLES
from gridsafe.accounts.services import password_expired, password_set_by_admin
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import AccountLocked, RateLimited
from gridsafe.core.http import client_ip


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码 — Django's view (old password, new twice, AUTH_PASSWORD_VALIDATORS); audited."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "expired": password_expired(user),
            "set_by_admin": password_set_by_admin(user),
        }

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=self.request.user,
            action="auth.password_changed",
            target=self.request.user.username,
            ip=client_ip(self.request),
        )
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """二次验证 — the code from the authenticator app, after the password. Refused while the account is locked
    (even a right code) and rate-limited (otp.totp_verify); each wrong code counts toward the lockout."""
    user = request.user
    if not otp_required(user) or request.session.get(OTP_SESSION_KEY):
        return redirect(_next_url(request))
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ok = totp_verify(user=user, code=form.cleaned_data["code"], ip=client_ip(request), via=request_via(request))
        except (AccountLocked, RateLimited) as exc:
            form.add_error(None, exc.detail)
            status = exc.status
        else:
            if ok:
                request.session.cycle_key()  # a new session id once fully signed in
                request.session[OTP_SESSION_KEY] = True
                return redirect(_next_url(request))
            form.add_error("code", "动态口令错误或已使用，请重试")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """绑定动态口令 — show a new secret, bind it when the first code matches."""
    user = request.user
    if user.role not in PRIVILEGED_ROLES:
        messages.info(request, "当前角色无需绑定动态口令")
        return redirect("/")
    if user.otp_enabled:
        messages.info(request, "已绑定动态口令")
        return redirect("/")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Enrolment ends the user's other sessions and tokens; this one stays, under a new id, and counts as having
        # passed the second factor (the code just matched).
        if totp_enrol_confirm(
            user=user, code=form.cleaned_data["code"], ip=client_ip(request), session_key=request.session.session_key
        ):
            request.session.cycle_key()
            request.session[OTP_SESSION_KEY] = True
            messages.success(request, "动态口令绑定成功，今后登录需输入动态口令")
            return redirect("/")
        form.add_error("code", "动态口令不正确，请确认手机时间准确后重试")
        device = user.totp
    else:
        device, _uri = totp_enrol_begin(user=user)
    uri = totp_uri(user=user, secret=device.secret)
    return render(request, "accounts/otp_setup.html", {"form": form, "secret": device.secret, "uri": uri})
