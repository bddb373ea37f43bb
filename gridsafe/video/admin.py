"""The video app in the admin: the camera register and the alarm-type mapping are the 系统管理员's reference data
(audited edits); gateways are created by `gridsafe video_gateway create` (their secret is shown once) and may be
renamed or stopped here; alarms are business data, read-only for the 审计管理员."""

from django import forms
from django.contrib import admin

from gridsafe.accounts.admin import AuditedAdmin, BusinessDataAdmin, SystemAdminOnly
from gridsafe.core.errors import DomainError
from gridsafe.video.gb28181 import id_problems
from gridsafe.video.models import AlarmTypeRule, Camera, VideoAlarm, VideoGateway
from gridsafe.video.services import camera_place, gateway_delete, gateway_save


class CameraForm(forms.ModelForm):
    class Meta:
        model = Camera
        fields = ("device_id", "channel_id", "name", "owner", "address", "lon", "lat", "is_online", "is_active")

    def clean(self):
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        grid = None
        if lon is not None and lat is not None:
            try:
                data["lon"], data["lat"], grid = camera_place(lon=lon, lat=lat)
            except DomainError as error:
                self.add_error("lon", error.detail)
        if grid is not None and data.get("device_id") and data.get("channel_id"):
            parts = grid.path.split(".")
            township = parts[0] + parts[1] if len(parts) > 1 else None
            for field, message in id_problems(
                data["device_id"], data["channel_id"], county_code=parts[0], township_code=township
            ):
                self.add_error(field, message)
        self.grid = grid
        return data


@admin.register(Camera)
class CameraAdmin(SystemAdminOnly, AuditedAdmin):
    form = CameraForm
    list_display = ("name", "channel_id", "owner", "region", "is_online", "is_active")
    list_filter = ("owner", "is_online", "is_active")
    search_fields = ("name", "channel_id", "device_id", "address")
    list_select_related = ("region",)
    readonly_fields = ("region",)

    def save_model(self, request, obj, form, change):
        if form.grid is not None:
            obj.region_id = form.grid.region_id
            obj.region_path = form.grid.path
        super().save_model(request, obj, form, change)


@admin.register(VideoGateway)
class VideoGatewayAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("name", "key", "actor", "is_active", "created_at")
    fields = ("name", "key", "actor", "is_active", "created_at")
    readonly_fields = ("key", "actor", "created_at")

    def has_add_permission(self, request):
        return False  # `gridsafe video_gateway create NAME`: the secret is shown once, on the command line

    def save_object(self, request, obj, form):
        gateway_save(obj)

    def delete_object(self, request, obj):
        gateway_delete(obj)


@admin.register(AlarmTypeRule)
class AlarmTypeRuleAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("type", "category", "threshold", "is_active")
    list_editable = ("threshold", "is_active")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)


@admin.register(VideoAlarm)
class VideoAlarmAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("alarm_id", "type", "camera", "occurred_at", "confidence", "outcome", "case")
    list_filter = ("outcome", "type")
    search_fields = ("alarm_id", "camera__name", "camera__channel_id")
    list_select_related = ("camera", "case")
    fields = (
        "gateway",
        "alarm_id",
        "camera",
        "type",
        "occurred_at",
        "received_at",
        "confidence",
        "snapshot",
        "outcome",
        "case",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )
