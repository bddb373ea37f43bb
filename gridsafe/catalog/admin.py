"""The catalog in the admin: domains, hazard categories with their time limits, the category → department routing
table, the default limits, and the working calendar (with a year view). Each save goes through catalog.services,
which checks it (a Chinese error on the form, nothing written) and drops the cache that holds those rows (time
limits, categories, calendar), so deadlines and dispatches after an edit use it; calendar rows saved or deleted
here become source="admin", which `calendar_seed` never overwrites. Every change is an audit row (AuditedAdmin)."""

import calendar as pycalendar
from datetime import date

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from gridsafe.accounts.admin import AuditedAdmin, ServiceCheckedForm, SystemAdminOnly
from gridsafe.accounts.models import Unit, UnitKind
from gridsafe.catalog.calendar import ADMIN_SOURCE
from gridsafe.catalog.models import CalendarYear, Category, DepartmentRouting, Domain, TimeLimit, WorkCalendarDay
from gridsafe.catalog.services import (
    calendar_day_delete,
    calendar_day_save,
    calendar_year_delete,
    calendar_year_save,
    category_department_check,
    category_save,
    domain_save,
    time_limit_check,
    time_limit_delete,
    time_limit_save,
)

SOURCE_NAMES = {"seed": "法定节假日导入", "chinese_calendar": "法定节假日导入", ADMIN_SOURCE: "管理员录入"}


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, "其他导入")


class TimeLimitForm(ServiceCheckedForm):
    service_check = staticmethod(time_limit_check)


class CategoryForm(ServiceCheckedForm):
    service_check = staticmethod(category_department_check)


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
    form = TimeLimitForm
    extra = 0
    fields = ("urgency", "step", "amount", "unit")
    verbose_name = "本类别专用时限"
    verbose_name_plural = "本类别专用时限（没有的步骤按默认时限）"


@admin.register(Category)
class CategoryAdmin(SystemAdminOnly, AuditedAdmin):
    form = CategoryForm
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

    form = TimeLimitForm
    list_display = ("__str__", "step", "urgency", "amount", "unit")
    list_editable = ("amount", "unit")
    list_filter = ("urgency", "step")
    ordering = ("step", "urgency")
    fields = ("urgency", "step", "amount", "unit")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(category__isnull=True)

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=TimeLimitForm, **kwargs)

    def save_object(self, request, obj, form):
        time_limit_save(obj)

    def delete_object(self, request, obj):
        time_limit_delete(obj)


# ---------------------------------------------------------------------------------------------- calendar


class SourceFilter(admin.SimpleListFilter):
    title = "来源"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [("seed", "法定节假日导入"), (ADMIN_SOURCE, "管理员录入")]

    def queryset(self, request, queryset):
        if self.value() in ("seed", ADMIN_SOURCE):
            return queryset.filter(source=self.value())
        return queryset


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(SystemAdminOnly, AuditedAdmin):
    """Exceptions to Monday–Friday: a weekday holiday (休息) or a weekend 调休 working day (上班)."""

    list_display = ("date", "weekday", "is_workday", "note", "source_label")
    list_filter = ("is_workday", SourceFilter)
    search_fields = ("note",)
    date_hierarchy = "date"
    ordering = ("-date",)
    fields = ("date", "is_workday", "note", "source_label")
    readonly_fields = ("source_label",)

    @admin.display(description="来源", ordering="source")
    def source_label(self, obj):
        return source_name(obj.source) if obj.pk else "管理员录入"

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

    list_display = ("year", "published", "source_label", "exceptions")
    list_editable = ("published",)
    ordering = ("-year",)
    fields = ("year", "published", "source_label", "year_view")
    readonly_fields = ("source_label", "year_view")

    class Media:
        css = {"all": ("catalog/calendar-year.css",)}

    @admin.display(description="来源", ordering="source")
    def source_label(self, obj):
        return source_name(obj.source) if obj.pk else "管理员录入"

    @admin.display(description="放假 / 调休上班")
    def exceptions(self, obj):
        days = WorkCalendarDay.objects.filter(date__year=obj.year)
        rest = sum(1 for d in days if not d.is_workday and d.date.weekday() < 5)
        work = sum(1 for d in days if d.is_workday and d.date.weekday() >= 5)
        return f"工作日放假 {rest} 天，周末调休上班 {work} 天"

    @admin.display(description="全年日历")
    def year_view(self, obj):
        if obj is None or not obj.pk:
            return "保存后显示全年日历"
        return year_calendar_html(obj.year)

    def save_object(self, request, obj, form):
        obj.source = ADMIN_SOURCE
        calendar_year_save(obj)

    def delete_object(self, request, obj):
        calendar_year_delete(obj)


WEEKDAYS = "一二三四五六日"


def year_calendar_html(year: int):
    """The year as twelve month grids: weekday holidays (休), weekend make-up working days (班) and weekends marked,
    each exception with its note as a tooltip and a link to its row."""
    exceptions = {d.date: d for d in WorkCalendarDay.objects.filter(date__year=year)}
    months = []
    for month in range(1, 13):
        rows = []
        for week in pycalendar.Calendar(firstweekday=0).monthdayscalendar(year, month):
            cells = []
            for index, day in enumerate(week):
                if not day:
                    cells.append(mark_safe('<td class="gs-cal-empty"></td>'))
                    continue
                row = exceptions.get(date(year, month, day))
                weekend = index >= 5
                if row is not None and not row.is_workday and not weekend:
                    kind, mark = "gs-cal-holiday", "休"
                elif row is not None and row.is_workday and weekend:
                    kind, mark = "gs-cal-makeup", "班"
                elif weekend:
                    kind, mark = "gs-cal-weekend", ""
                else:
                    kind, mark = "gs-cal-work", ""
                note = row.note if row is not None else ""
                cells.append(format_html('<td class="{}" title="{}">{}<small>{}</small></td>', kind, note, day, mark))
            rows.append(format_html("<tr>{}</tr>", format_html_join("", "{}", ((c,) for c in cells))))
        head = format_html_join("", "<th>{}</th>", ((w,) for w in WEEKDAYS))
        months.append(
            format_html(
                '<table class="gs-cal-month"><caption>{} 月</caption><thead><tr>{}</tr></thead><tbody>{}</tbody>'
                "</table>",
                month,
                head,
                format_html_join("", "{}", ((r,) for r in rows)),
            )
        )
    legend = mark_safe(
        '<p class="gs-cal-legend"><span class="gs-cal-holiday">休</span> 工作日放假　'
        '<span class="gs-cal-makeup">班</span> 周末调休上班　<span class="gs-cal-weekend">周末</span>　'
        "其余为工作日。修改请在“工作日历”中增加或修改日期。</p>"
    )
    return format_html(
        '<div class="gs-cal-year">{}{}</div>', legend, format_html_join("", "{}", ((m,) for m in months))
    )


# ---------------------------------------------------------------------------------------------- routing


class RoutingForm(ServiceCheckedForm):
    service_check = staticmethod(category_department_check)

    class Meta:
        model = DepartmentRouting
        fields = ("department",)


@admin.register(DepartmentRouting)
class DepartmentRoutingAdmin(SystemAdminOnly, AuditedAdmin):
    """派遣路由: each hazard category and the county department its cases go to when the county centre dispatches
    them (accounts.routing.default_department_id). A township centre dispatches to its own unit for the category's
    domain (the domains of the township's units, on the unit pages)."""

    form = RoutingForm
    list_display = ("name", "domain", "default_grade", "department", "township_units", "is_active")
    list_display_links = ("name",)
    list_editable = ("department",)
    list_filter = ("domain", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("domain", "department")
    ordering = ("domain__sort", "sort", "code")
    fields = ("name", "domain", "default_grade", "department")
    readonly_fields = ("name", "domain", "default_grade")

    def has_add_permission(self, request):
        return False  # categories are added on the category pages

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=RoutingForm, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = Unit.objects.filter(kind=UnitKind.DEPARTMENT, region__level=1, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        townships = (
            Unit.objects.filter(
                kind=UnitKind.DEPARTMENT, region__level=2, is_active=True, domains=OuterRef("domain_id")
            )
            .order_by()
            .values("domains")
            .annotate(n=Count("id"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(township_total=Coalesce(Subquery(townships, output_field=IntegerField()), 0))
        )

    @admin.display(description="乡镇派遣（按领域）")
    def township_units(self, obj):
        n = getattr(obj, "township_total", 0)
        return f"{n} 个乡镇单位负责{obj.domain.name}" if n else f"无乡镇单位负责{obj.domain.name}"

    def save_object(self, request, obj, form):
        category_save(obj)
