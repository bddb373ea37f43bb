"""Supervised places in the admin: read-only, and only for the 审计管理员 (accounts.admin.BusinessDataAdmin: the
系统管理员 and the 安全管理员 read no business data; each read is an audit row). Places change through the places
service (versions, revisions, merge of concurrent edits); contacts are personal data and only shown masked here."""

from django.contrib import admin

from gridsafe.accounts.admin import BusinessDataAdmin
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.places.models import Place


@admin.register(Place)
class PlaceAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("name", "kind", "domain", "region", "risk_level", "contact_masked", "next_due_at", "is_active")
    list_filter = ("kind", "risk_level", "domain", "is_active")
    search_fields = ("name", "address", "licence_no")
    list_select_related = ("domain", "region")
    ordering = ("region_path", "name")
    fields = (
        "name",
        "kind",
        "domain",
        "region",
        "address",
        "lon",
        "lat",
        "contact_masked",
        "licence_no",
        "risk_level",
        "rental_class",
        "inspection_interval_days",
        "last_inspected_at",
        "next_due_at",
        "version",
        "created_at",
        "updated_at",
        "is_active",
    )

    @admin.display(description="负责人（脱敏）")
    def contact_masked(self, obj):
        return " ".join(part for part in (mask_name(obj.contact_name), mask_phone(obj.contact_phone)) if part)
