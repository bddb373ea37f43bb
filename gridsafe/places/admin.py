"""Supervised places in the admin: read-only, and only for the 审计管理员 (accounts.admin.BusinessDataAdmin: the
系统管理员 and the 安全管理员 read no business data; each read is an audit row). Places change through the places
service (versions, revisions, merge of concurrent edits); contacts are personal data and only shown masked here."""

from django.contrib import admin

from gridsafe.accounts.admin import BusinessDataAdmin, ReadOnlyInline
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.places.models import (
    FACTS_MODELS,
    Enterprise,
    LpgCylinder,
    Place,
    PlaceDeadline,
    RentalFacts,
    RiskPoint,
)


class FactsInline(ReadOnlyInline):
    """The domain part of the place (台账信息): one per domain; only the place's own domain is shown."""

    template = "admin/edit_inline/stacked.html"
    show_change_link = False

    def get_exclude(self, request, obj=None):
        return ["tenant_roster"] if self.model is RentalFacts else []  # personal data: never in the admin


FACTS_INLINES = {
    code: type(f"{model.__name__}Inline", (FactsInline,), {"model": model}) for code, model in FACTS_MODELS.items()
}


class CylinderInline(ReadOnlyInline):
    model = LpgCylinder
    fields = ("seal_code", "capacity_kg", "filling_station", "next_inspection_on", "location")
    show_change_link = False


class RiskPointInline(ReadOnlyInline):
    model = RiskPoint
    fields = ("name", "grade", "hazard", "control_measures", "control_level", "responsible", "is_active")
    show_change_link = False


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
        "enterprise",
    )

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        inlines = [FACTS_INLINES[obj.domain.code]] if obj.domain.code in FACTS_INLINES else []
        if obj.domain.code == "lpg":
            inlines.append(CylinderInline)
        return [*inlines, RiskPointInline]

    @admin.display(description="负责人（脱敏）")
    def contact_masked(self, obj):
        return " ".join(part for part in (mask_name(obj.contact_name), mask_phone(obj.contact_phone)) if part)


@admin.register(Enterprise)
class EnterpriseAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("name", "uscc", "region", "officer_masked", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "uscc")
    list_select_related = ("region",)
    fields = ("uscc", "name", "region", "address", "officer_masked", "is_active", "created_at", "updated_at")

    @admin.display(description="安全管理员（脱敏）")
    def officer_masked(self, obj):
        return obj.safety_officer_masked


@admin.register(RiskPoint)
class RiskPointAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("name", "place", "grade", "control_level", "responsible", "is_active")
    list_filter = ("grade", "control_level", "is_active")
    search_fields = ("name", "place__name")
    list_select_related = ("place",)
    fields = ("place", "name", "grade", "hazard", "control_measures", "control_level", "responsible", "is_active")


@admin.register(PlaceDeadline)
class PlaceDeadlineAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("place", "kind", "due_on", "reminded_at", "expired_at", "case_number")
    list_filter = ("kind",)
    search_fields = ("place__name", "case_number")
    list_select_related = ("place",)
    fields = ("place", "kind", "due_on", "detail", "reminded_at", "expired_at", "case_number")
