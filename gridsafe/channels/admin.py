"""外部渠道 in the admin: 12345 orders (contact masked), the reply outbox with 重新发送 for rows that failed too often,
Open311 clients (keys are made by `gridsafe open311_key create`), citizens' requests (read-only: reviewed on the
/channels/review/ page)."""

from django.contrib import admin

from gridsafe.channels.models import CitizenRequest, HotlineOrder, HotlineOutbox, Open311Key, PushState
from gridsafe.channels.services.hotline import hotline_push_retry
from gridsafe.core.masking import mask_name, mask_phone


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HotlineOrder)
class HotlineOrderAdmin(ReadOnly):
    list_display = ("order_no", "received_at", "state", "caller", "phone", "case", "satisfaction")
    list_filter = ("state", "satisfaction")
    search_fields = ("order_no",)
    exclude = ("caller_name", "caller_phone", "raw")
    readonly_fields = ("caller", "phone")

    @admin.display(description="来电人")
    def caller(self, obj):
        return mask_name(obj.caller_name)

    @admin.display(description="来电号码")
    def phone(self, obj):
        return mask_phone(obj.caller_phone)


@admin.register(HotlineOutbox)
class HotlineOutboxAdmin(ReadOnly):
    list_display = ("order", "kind", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("state", "kind")
    exclude = ("payload",)
    actions = ("retry",)

    @admin.action(description="重新发送所选的多次失败记录")
    def retry(self, request, queryset):
        count = hotline_push_retry(
            push_ids=list(queryset.filter(state=PushState.DEAD).values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"已重新排队 {count} 条")

    def has_change_permission(self, request, obj=None):
        return request.user.is_staff and obj is None  # the action needs the changelist's change right


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "is_active", "created_at", "last_used_at")
    fields = ("name", "prefix", "is_active", "created_at", "last_used_at")
    readonly_fields = ("name", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # keys are made by `gridsafe open311_key create NAME`, which shows the key once

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CitizenRequest)
class CitizenRequestAdmin(ReadOnly):
    list_display = ("number", "channel", "created_at", "category", "state", "case")
    list_filter = ("state", "channel")
    search_fields = ("number",)
    exclude = ("name", "phone", "email", "token", "photo")
