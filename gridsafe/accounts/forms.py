from django import forms
from django.contrib.auth.forms import AuthenticationForm

from gridsafe.core.input import InputForm


class LoginForm(AuthenticationForm):
    """Django's login form with our wording: one message for a wrong username or password, so neither is revealed."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确",
        "inactive": "该账号已停用，请联系管理员",
    }


class OtpForm(InputForm):
    code = forms.CharField(
        label="动态口令",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
