"""检查表 in the admin: listed and readable by the 系统管理员, in Chinese, never written here. A version is written,
published and retired only in the editor (检查表配置, /config/checklists/), through the services that version and
audit it; a published version could not be changed here anyway (the database refuses, checklists.guard)."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from gridsafe.accounts.admin import SystemAdminOnly
from gridsafe.field.models import ChecklistItem, ChecklistTemplate


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    fields = (
        "sort",
        "code",
        "question",
        "category",
        "severity",
        "legal_basis",
        "applies",
        "photo_required_on_fail",
        "na_allowed",
        "weight",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description="适用对象类型")
    def applies(self, obj):
        return "、".join(obj.applies_to_labels) or "全部"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = (
        "title",
        "domain",
        "place_kind_name",
        "version",
        "status",
        "active",
        "items",
        "published_at",
        "editor",
    )
    list_filter = ("status", "active", "domain")
    list_select_related = ("domain",)
    search_fields = ("title", "items__code", "items__question")
    ordering = ("domain__sort", "place_kind", "-version")
    fields = (
        "title",
        "domain",
        "place_kind",
        "version",
        "status",
        "active",
        "source",
        "note",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
        "retired_at",
        "editor",
    )
    readonly_fields = fields
    inlines = (ChecklistItemInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description="对象类型", ordering="place_kind")
    def place_kind_name(self, obj):
        return obj.get_place_kind_display() if obj.place_kind else "全部（通用）"

    @admin.display(description="检查项数", ordering="item_total")
    def items(self, obj):
        return getattr(obj, "item_total", None)

    @admin.display(description="编辑")
    def editor(self, obj):
        return format_html('<a href="{}">在检查表配置中打开</a>', reverse("checklists:version", args=[obj.pk]))

    def has_add_permission(self, request):
        return False  # new checklists and versions: in the editor, through the services

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
