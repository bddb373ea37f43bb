"""消息推送设置: each user's channels, WeCom account and quiet hours, and what was sent to them lately."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from gridsafe.core.audit import audit_record
from gridsafe.core.http import current_client_ip
from gridsafe.messaging.models import Delivery, UserPreference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = UserPreference
        fields = ("sms_enabled", "wecom_enabled", "wecom_userid", "quiet_start", "quiet_end")
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "wecom_userid": "企业微信通讯录中的账号；留空时使用本系统登录名",
            "quiet_start": "免打扰时段内的一般消息在时段结束后发送；紧急消息（如紧急、重大隐患上报）照常发送",
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("免打扰时段的开始和结束时间要同时填写，或同时留空")
        if start is not None and start == end:
            raise forms.ValidationError("免打扰时段的开始和结束时间不能相同")
        return data


def preferences_audit(request: HttpRequest, form: PreferenceForm) -> None:
    audit_record(
        actor=request.user,
        action="messaging.preferences",
        target=request.user.username,
        ip=current_client_ip(),
        payload={k: str(v) for k, v in form.cleaned_data.items() if k in form.changed_data},
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    pref = UserPreference.objects.filter(user=request.user).first() or UserPreference(user=request.user)
    form = PreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST" and form.is_valid():
        form.save()
        preferences_audit(request, form)
        messages.success(request, "消息推送设置已保存")
        return redirect("messaging:preferences")
    recent = Delivery.objects.filter(user=request.user).order_by("-created_at", "-id")[:20]
    return render(
        request,
        "messaging/preferences.html",
        {"nav": "message_prefs", "form": form, "recent": recent},
        status=422 if form.errors else 200,
    )
