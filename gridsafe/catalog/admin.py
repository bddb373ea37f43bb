"""The catalog in the admin: domains, hazard categories with their time limits, the default limits, and the working
calendar. Each save drops the cache that holds those rows (time limits, calendar), so deadlines computed after an
edit use it; calendar rows saved or deleted here become source="admin", which `calendar_seed` never overwrites."""

from django.contrib import admin, messages
from django.db.models import Count

from gridsafe.accounts.admin import AuditedAdmin, SystemAdminOnly
from gridsafe.accounts.models import Unit, UnitKind
from gridsafe.catalog.calendar import ADMIN_SOURCE
from gridsafe.catalog.models import CalendarYear, Category, Domain, TimeLimit, WorkCalendarDay
from gridsafe.catalog.services import (
    calendar_day_delete,
    calendar_day_save,
    calendar_year_delete,
    calendar_year_save,
    category_save,
    domain_save,
    time_limit_delete,
    time_limit_save,
)


@admin.register(Domain)
class DomainAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("name", "code", "name_en", "pilot", "sort", "is_active")
    list_editable = ("sort", "is_active")
    list_filter = ("pilot", "is_active")
    search_fields = ("code", "name", "name_en")
    ordering = ("sort", "code")

    def has_delete_permission(self, request, obj=None):
        return False  # cases and categories keep their domain: switch it off instead

    def save_object(self, request, obj, form):
        domain_save(obj)


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0
    fields = ("urgency", "step", "amount", "unit")
    verbose_name = "本类别专用时限"
    verbose_name_plural = "本类别专用时限（没有的步骤按默认时限）"


@admin.register(Category)
class CategoryAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("name", "code", "domain", "default_grade", "urgent", "department", "limit_count", "is_active")
    list_filter = ("domain", "default_grade", "urgent", "is_active")
    search_fields = ("code", "name", "name_en", "keywords")
    list_select_related = ("domain", "department")
    ordering = ("domain__sort", "sort", "code")
    inlines = (TimeLimitInline,)
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "domain", "sort", "is_active")}),
        ("处置", {"fields": ("default_grade", "urgent", "department", "legal_basis", "keywords")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(limit_total=Count("time_limits"))

    @admin.display(description="专用时限数", ordering="limit_total")
    def limit_count(self, obj):
        return obj.limit_total

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = Unit.objects.filter(kind=UnitKind.DEPARTMENT, region__level=1, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # cases keep their category: switch it off instead

    def save_object(self, request, obj, form):
        category_save(obj)

    def save_formset(self, request, form, formset, change):
        """The inline time limits, each through its service (as formset.save() would write them)."""
        if formset.model is not TimeLimit:
            return super().save_formset(request, form, formset, change)
        for limit in formset.save(commit=False):
            time_limit_save(limit)
        for limit in formset.deleted_objects:
            time_limit_delete(limit)


@admin.register(TimeLimit)
class DefaultTimeLimitAdmin(SystemAdminOnly, AuditedAdmin):
    """The default rows (no category): what every category uses for a step it has no row of its own for. A
    category's own rows are edited inline on the category."""

    list_display = ("step", "urgency", "amount", "unit")
    list_editable = ("amount", "unit")
    list_filter = ("urgency", "step")
    ordering = ("step", "urgency")
    fields = ("urgency", "step", "amount", "unit")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(category__isnull=True)

    def save_object(self, request, obj, form):
        time_limit_save(obj)

    def delete_object(self, request, obj):
        time_limit_delete(obj)


# ---------------------------------------------------------------------------------------------- calendar


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(SystemAdminOnly, AuditedAdmin):
    """Exceptions to Monday–Friday: a weekday holiday (休息) or a weekend 调休 working day (上班)."""

    list_display = ("date", "weekday", "is_workday", "note", "source")
    list_filter = ("is_workday", "source")
    search_fields = ("note",)
    date_hierarchy = "date"
    ordering = ("-date",)
    fields = ("date", "is_workday", "note", "source")
    readonly_fields = ("source",)

    @admin.display(description="星期")
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def save_object(self, request, obj, form):
        obj.source = ADMIN_SOURCE  # the seed from chinese_calendar never overwrites an admin row
        calendar_day_save(obj)

    def delete_object(self, request, obj):
        if calendar_day_delete(obj):
            messages.info(request, f"{obj.date} 已恢复为常规安排（周一至周五上班），以后导入法定节假日不会覆盖。")


@admin.register(CalendarYear)
class CalendarYearAdmin(SystemAdminOnly, AuditedAdmin):
    """Years whose State Council schedule is loaded. A deadline in a year not published here raises an alarm."""

    list_display = ("year", "published", "source")
    list_editable = ("published",)
    ordering = ("-year",)
    fields = ("year", "published", "source")
    readonly_fields = ("source",)

    def save_object(self, request, obj, form):
        obj.source = ADMIN_SOURCE
        calendar_year_save(obj)

    def delete_object(self, request, obj):
        calendar_year_delete(obj)
