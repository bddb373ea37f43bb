"""The audit log in the admin: read-only, and only for the 审计管理员 (三员分立: not even a superuser). Registered here,
not in core: who may read it is an accounts rule, and core imports no app."""

from django.contrib import admin

from gridsafe.accounts.permissions import can_read_audit
from gridsafe.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "actor_label", "action", "target", "outcome", "ip")
    list_filter = ("action", "outcome")
    search_fields = ("target", "actor_label", "action")
    ordering = ("-seq",)
    date_hierarchy = "created_at"

    def _auditor(self, request) -> bool:
        return can_read_audit(request.user) and request.user.is_staff

    def has_module_permission(self, request):
        return self._auditor(request)

    def has_view_permission(self, request, obj=None):
        return self._auditor(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
