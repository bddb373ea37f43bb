"""The field app in the admin: the county's patrol rule (巡查有效规则), a one-row setting. Audited like every admin
change (accounts.admin.AuditedAdmin); only the 系统管理员 edits it."""

from django.contrib import admin

from gridsafe.accounts.admin import AuditedAdmin, SystemAdminOnly
from gridsafe.field.models import PatrolRule


@admin.register(PatrolRule)
class PatrolRuleAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("__str__", "min_minutes", "min_distance_m", "updated_at")
    fields = ("min_minutes", "min_distance_m")

    def has_add_permission(self, request):
        # One rule for the county: the first save creates it, after that it is edited.
        return super().has_add_permission(request) and not PatrolRule.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
