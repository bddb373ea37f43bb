from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from gridsafe.accounts.challenge import captcha_field
from gridsafe.accounts.lockout import captcha_mark_passed, captcha_required
from gridsafe.core.http import client_ip
from gridsafe.core.input import CONTROL_RE, InputForm, secure_form_field


class LoginForm(AuthenticationForm):
    """Django's login form with our wording: one message for a wrong username or password, so neither is revealed.

    After repeated failures of the account (from anywhere) or from this address it carries a CAPTCHA
    (accounts/lockout.py): a wrong or missing answer is refused before the password is checked, and a right one
    is passed to the authentication backend, which refuses any attempt that needed one and lacks it."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确",
        "inactive": "该账号已停用，请联系管理员",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        secure_form_field(self.fields["username"])  # core.input's rules: no control characters, bounded
        username = (self.data.get("username") or "").strip() if self.is_bound else None
        if username and CONTROL_RE.search(username):
            username = ""  # the field refuses it below; PostgreSQL cannot even look up a NUL (a 500)
        if request is not None and captcha_required(username=username, ip=client_ip(request)):
            self.fields["captcha"] = captcha_field()

    def clean(self):
        if "captcha" in self.fields:
            if self.has_error("captcha"):
                return self.cleaned_data  # refused unchecked: no password guess rides on a wrong answer
            captcha_mark_passed(self.request)
        try:
            return super().clean()
        except ValidationError:
            # The failure just made may be the one after which this account needs a CAPTCHA: show it now.
            username = (self.cleaned_data.get("username") or "").strip()
            if "captcha" not in self.fields and captcha_required(username=username, ip=client_ip(self.request)):
                self.fields["captcha"] = captcha_field()
            raise


class OtpForm(InputForm):
    code = forms.CharField(
        label="动态口令",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
