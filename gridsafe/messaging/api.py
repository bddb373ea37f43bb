"""The messaging app's API under /api/v1/messaging/: my message preferences (the field app's 设置 uses it)."""

from ninja import Field, Router, Schema

from gridsafe.core.errors import ValidationFailed
from gridsafe.core.input import InputSchema, ShortText
from gridsafe.messaging.models import UserPreference
from gridsafe.messaging.views import PreferenceForm, preferences_audit

router = Router(tags=["messaging"])


class PreferencesOut(Schema):
    sms_enabled: bool = Field(description="接收短信")
    wecom_enabled: bool = Field(description="接收企业微信")
    wecom_userid: str = Field(description="企业微信账号；空为登录名")
    quiet_start: str | None = Field(description="免打扰开始，HH:MM；空为不设")
    quiet_end: str | None = Field(description="免打扰结束，HH:MM")


class PreferencesIn(InputSchema):
    sms_enabled: bool = True
    wecom_enabled: bool = True
    wecom_userid: ShortText = ""
    quiet_start: ShortText | None = None
    quiet_end: ShortText | None = None


def _out(pref: UserPreference) -> dict:
    return {
        "sms_enabled": pref.sms_enabled,
        "wecom_enabled": pref.wecom_enabled,
        "wecom_userid": pref.wecom_userid,
        "quiet_start": pref.quiet_start.strftime("%H:%M") if pref.quiet_start else None,
        "quiet_end": pref.quiet_end.strftime("%H:%M") if pref.quiet_end else None,
    }


def _mine(request) -> UserPreference:
    return UserPreference.objects.filter(user=request.user).first() or UserPreference(user=request.user)


@router.get("/preferences", response=PreferencesOut, operation_id="messaging_preferences_get")
def preferences_get(request):
    """My channels (短信, 企业微信) and quiet hours: messages in quiet hours wait until they end, except urgent ones."""
    return _out(_mine(request))


@router.put("/preferences", response=PreferencesOut, operation_id="messaging_preferences_put")
def preferences_put(request, body: PreferencesIn):
    """Set my channels and quiet hours (both times or neither; HH:MM, Asia/Shanghai)."""
    data = {k: v for k, v in body.dict().items() if v not in (None, False)}
    form = PreferenceForm(data, instance=_mine(request))
    if not form.is_valid():
        raise ValidationFailed("；".join(str(m) for messages in form.errors.values() for m in messages))
    form.save()
    preferences_audit(request, form)
    return _out(form.instance)
