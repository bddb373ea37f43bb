"""用重置码设置新密码 — the public page where a user redeems a one-time reset code (accounts.resets). Thin: parse,
call `password_reset_with_code`, render. Not signed in: the code is the only proof, and it can only set a password."""

from django import forms
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gridsafe.accounts.resets import CODE_LENGTH, RESET_CODE_HOURS, password_reset_with_code
from gridsafe.core.errors import AccountLocked, AuthenticationFailed, RateLimited, ValidationFailed
from gridsafe.core.http import client_ip
from gridsafe.core.input import InputForm


class ResetForm(InputForm):
    username = forms.CharField(label="用户名", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    code = forms.CharField(
        label="重置码",
        max_length=CODE_LENGTH + 8,  # dashes and spaces as written down
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    new_password1 = forms.CharField(
        label="新密码", strip=False, max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label="确认新密码",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的密码不一致")
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = ResetForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_with_code(
                username=form.cleaned_data["username"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["new_password1"],
                ip=client_ip(request),
            )
        except ValidationFailed as exc:
            form.add_error("new_password1", exc.detail)
            status = 422
        except (AuthenticationFailed, AccountLocked, RateLimited) as exc:
            form.add_error(None, exc.detail)
            status = exc.status
        else:
            return redirect("/login/?reset=1")  # the login page says the new password is set
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/password_reset.html", {"form": form, "hours": RESET_CODE_HOURS}, status=status)
