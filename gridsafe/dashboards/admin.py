"""Dashboards in the admin.

- 大屏显示会话: issue (the URL with the secret is shown once) and revoke, both audited by the services in
  dashboards.display. Rows are never edited or deleted: a revoked display stays listed as history.
- The county's oversight settings, the 系统管理员's: KPI weights (综合指标权重, changed together on the list page so
  each profile adds up to 100 %), the cadence of leader-led inspections and meetings, the information-report
  quotas. Written through dashboards.services, whose checks the forms show in Chinese; each change is an audit row
  (AuditedAdmin) with the fields before and after."""

import json
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages

from gridsafe.accounts.admin import AuditedAdmin, ServiceCheckedForm, SystemAdminOnly
from gridsafe.accounts.models import UnitKind
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core import clock
from gridsafe.core.errors import DomainError
from gridsafe.core.http import client_ip
from gridsafe.dashboards.display import DEFAULT_DAYS, MAX_DAYS, display_issue, display_revoke
from gridsafe.dashboards.kpis import KPIS
from gridsafe.dashboards.models import (
    BANDED_TERMS,
    RULE_LEVELS,
    CadenceRule,
    DisplaySession,
    KpiWeight,
    ReportQuota,
    kpi_label,
    level_name,
)
from gridsafe.dashboards.services import (
    cadence_rule_check,
    cadence_rule_delete,
    cadence_rule_save,
    kpi_weight_check,
    kpi_weight_delete,
    kpi_weights_check,
    kpi_weights_save,
    report_quota_check,
    report_quota_delete,
    report_quota_save,
)
from gridsafe.regions.models import Region


class IssueForm(forms.ModelForm):
    region_code = forms.CharField(label="显示区划代码", max_length=15, help_text="例如 350322（全县）或乡镇代码")
    days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS)

    class Meta:
        model = DisplaySession
        fields = ["name"]

    def clean_region_code(self):
        code = self.cleaned_data["region_code"].strip()
        region = Region.objects.filter(code=code, is_active=True).defer("geometry").first()
        if region is None:
            raise forms.ValidationError("没有这个区划代码")
        self.region = region
        return code


@admin.register(DisplaySession)
class DisplaySessionAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "status", "issued_by", "created_at", "last_seen_at", "expires_at")
    list_filter = ("revoked_at",)
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "region",
        "issued_by",
        "created_at",
        "last_seen_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    )
    actions = ["revoke"]

    def _may_issue(self, request) -> bool:
        # A display shows business data of its region: only staff with a 辖区 (never the separated administrators).
        user = request.user
        return user.is_active and user.is_staff and bool(jurisdiction_of(user).paths)

    def has_module_permission(self, request):
        return self._may_issue(request)

    def has_view_permission(self, request, obj=None):
        return self._may_issue(request)

    def has_add_permission(self, request):
        return self._may_issue(request)

    def has_change_permission(self, request, obj=None):
        return False  # issued rows are never edited; revoke with the list action

    def has_delete_permission(self, request, obj=None):
        return False  # history: a revoked display stays listed

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region", "issued_by", "revoked_by")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "region_code", "days"]
        return list(self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    @admin.display(description="状态")
    def status(self, obj):
        if obj.revoked_at:
            return "已吊销"
        return "有效" if obj.is_valid(clock.now()) else "已到期"

    def save_model(self, request, obj, form, change):
        try:
            display, secret = display_issue(
                actor=request.user,
                name=form.cleaned_data["name"],
                region=form.region,
                days=form.cleaned_data["days"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from exc
        obj.pk = display.pk
        obj.__dict__.update(display.__dict__)
        url = request.build_absolute_uri(f"/screen/display/{secret}/")
        self.message_user(
            request,
            f"已签发大屏显示会话“{display.name}”。请在大屏的浏览器中打开下面的地址（只显示这一次，请勿外传）：{url}",
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass  # nothing related; the service wrote the row and its audit entry

    def response_add(self, request, obj, post_url_continue=None):
        from django.shortcuts import redirect

        return redirect("admin:dashboards_displaysession_changelist")

    def log_addition(self, request, obj, message):
        pass  # the audit chain has display.issued; Django's admin log would hold a second copy

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "签发大屏显示会话",
            "subtitle": f"大屏应使用显示会话：个人账号的会话在 {settings.SESSION_COOKIE_AGE // 60} 分钟无操作后退出，"
            "后台刷新不算操作。",
        }
        return super().add_view(request, form_url, extra_context)

    @admin.action(description="吊销所选大屏显示会话")
    def revoke(self, request, queryset):
        done = sum(display_revoke(actor=request.user, display=d, ip=client_ip(request)) for d in queryset)
        self.message_user(request, f"已吊销 {done} 个大屏显示会话，大屏将在下次刷新时退出。", messages.SUCCESS)


# ---------------------------------------------------------------------------------------------- county settings
# KPI weights, inspection cadence and information-report quotas: the 系统管理员's (三员分立), each change an audit
# row (AuditedAdmin) written through dashboards.services, whose checks the forms show in Chinese.

LEVEL_CHOICES = [(level.value, level.label) for level in RULE_LEVELS]


def bands_text(bands) -> str:
    """[[0.5, 100], [3, 90], [None, 0]] as people write it: 0.5:100；3:90；以上:0."""
    if not bands:
        return ""
    return "；".join(f"{'以上' if bound is None else bound}:{score}" for bound, score in bands)


def _number(text: str) -> int | float:
    value = float(text.strip())
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return int(value) if value.is_integer() else value


class BandsField(forms.CharField):
    """The count bands of a banded term, written as 上限:分值 pairs (see bands_text), stored as a JSON list."""

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        bands = []
        for part in re.split(r"[；;\n]+", text):
            part = part.strip()
            if not part:
                continue
            if not re.search("[:：]", part):
                raise forms.ValidationError(f"“{part}”应写成“上限:分值”")
            bound, score = re.split("[:：]", part, maxsplit=1)
            bound = bound.strip()
            try:
                number = None if bound in ("以上", "其余") else _number(bound)
                points = _number(score)
            except ValueError:
                raise forms.ValidationError(f"“{part}”中的上限或分值不是数字") from None
            bands.append([number, points])
        return bands

    def prepare_value(self, value):
        if isinstance(value, list):
            return bands_text(value)
        if isinstance(value, str) and value.startswith("["):
            return bands_text(json.loads(value))
        return value

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or None)
        except forms.ValidationError:
            return True


class KpiWeightForm(ServiceCheckedForm):
    service_check = staticmethod(kpi_weight_check)

    kpi = forms.ChoiceField(label="考核指标", choices=())
    bands = BandsField(
        label="分档",
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="仅用于按数量计分的项（立案数分值）：逐档写“上限:分值”，用“；”分隔，最后一档写“以上:分值”。"
        "例：0.5:100；3:90；以上:0（数量低于 0.5 得 100 分，低于 3 得 90 分，其余 0 分）。",
    )

    class Meta:
        model = KpiWeight
        fields = ("profile", "kpi", "weight", "bands", "per_grid_month", "sort")
        labels = {"sort": "排序", "weight": "权重（%）"}
        help_texts = {
            "weight": "同一考核对象各项权重合计须为 100%；计算综合指标值时只在有数据的指标间按权重折算。",
            "per_grid_month": "勾选后按“每个网格每月”的数量套用分档。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = [*KPIS, *BANDED_TERMS]
        self.fields["kpi"].choices = [(code, kpi_label(code)) for code in codes]

    def _post_clean(self):
        super()._post_clean()
        if not self.errors and self.instance.pk and "weight" in self.changed_data:
            try:
                kpi_weights_check([self.instance])
            except DomainError as exc:
                self.add_error("weight", exc.detail)


class KpiWeightListFormSet(forms.BaseModelFormSet):
    """The list page edits a profile's weights together: their sum is checked over the rows changed at once."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        changed = [form.instance for form in self.forms if form.has_changed()]
        try:
            kpi_weights_check(changed)
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from None
        for form in self.forms:
            form.batch = changed  # saved together by KpiWeightAdmin.save_object


class KpiListForm(forms.ModelForm):
    class Meta:
        model = KpiWeight
        fields = ("weight",)

    def clean_weight(self):
        weight = self.cleaned_data["weight"]
        if weight is None or not 0 <= weight <= 100:
            raise forms.ValidationError("权重须在 0 到 100 之间")
        return weight


@admin.register(KpiWeight)
class KpiWeightAdmin(SystemAdminOnly, AuditedAdmin):
    """综合指标权重: per profile (乡镇/村居/网格, 职能部门, 网格员) the terms and their weights, changed together on the
    list page so that each profile keeps adding up to 100 %."""

    form = KpiWeightForm
    list_display = ("kpi_name", "profile", "weight", "bands_display", "per_grid_month")
    list_display_links = ("kpi_name",)
    list_editable = ("weight",)
    list_filter = ("profile",)
    ordering = ("profile", "sort", "kpi")

    @admin.display(description="考核指标", ordering="kpi")
    def kpi_name(self, obj):
        return kpi_label(obj.kpi)

    @admin.display(description="分档")
    def bands_display(self, obj):
        return bands_text(obj.bands) or "—"

    def get_changelist_form(self, request, **kwargs):
        return KpiListForm

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=KpiWeightListFormSet, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a term leaves at weight 0, one at a time
        return actions

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.weight == 0)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": "同一考核对象的各项权重合计须为 100%，请在列表中同时调整后保存。",
        }
        return super().changelist_view(request, extra_context)

    def save_object(self, request, obj, form):
        batch = getattr(form, "batch", None)
        if batch is None:
            kpi_weights_save([obj])  # the change page
        elif not getattr(request, "_gridsafe_kpi_saved", False):
            kpi_weights_save(batch)  # the list page: the rows changed together, at the first of them
            request._gridsafe_kpi_saved = True

    def delete_object(self, request, obj):
        kpi_weight_delete(obj)


class CadenceRuleForm(ServiceCheckedForm):
    service_check = staticmethod(cadence_rule_check)

    region_level = forms.TypedChoiceField(label="区划层级", choices=LEVEL_CHOICES, coerce=int)

    class Meta:
        model = CadenceRule
        fields = ("region_level", "kind", "cadence", "times", "title", "is_active")
        labels = {"times": "每周期次数", "title": "名称", "is_active": "启用"}
        help_texts = {
            "times": "每个周期（每周或每月）该层级的每个区划至少开展的次数。",
            "is_active": "停用后不再统计该项的完成情况。",
        }


@admin.register(CadenceRule)
class CadenceRuleAdmin(SystemAdminOnly, AuditedAdmin):
    """领导带队检查与例会的频次: per region level and kind, how many per week or month (domain.md §1.6)."""

    form = CadenceRuleForm
    list_display = ("title", "level_name", "kind", "cadence", "times", "active")
    list_filter = ("kind", "cadence")
    ordering = ("region_level", "kind")

    @admin.display(description="区划层级", ordering="region_level")
    def level_name(self, obj):
        return level_name(obj.region_level)

    @admin.display(description="启用", boolean=True, ordering="is_active")
    def active(self, obj):
        return obj.is_active

    def save_object(self, request, obj, form):
        cadence_rule_save(obj)

    def delete_object(self, request, obj):
        cadence_rule_delete(obj)


class ReportQuotaForm(ServiceCheckedForm):
    service_check = staticmethod(report_quota_check)

    unit_kind = forms.ChoiceField(label="单位类型", choices=UnitKind.choices)
    region_level = forms.TypedChoiceField(label="单位所在层级", choices=LEVEL_CHOICES, coerce=int)

    class Meta:
        model = ReportQuota
        fields = ("unit_kind", "region_level", "minimum")
        labels = {"minimum": "每月最少篇数"}
        help_texts = {"minimum": "该类单位每月至少报送的信息材料篇数（至少 1 篇）。"}


@admin.register(ReportQuota)
class ReportQuotaAdmin(SystemAdminOnly, AuditedAdmin):
    """信息材料报送要求: which units send how many write-ups a month (domain.md §1.7)."""

    form = ReportQuotaForm
    list_display = ("__str__", "unit_kind_name", "level_name", "minimum")
    ordering = ("region_level", "unit_kind")

    @admin.display(description="单位类型", ordering="unit_kind")
    def unit_kind_name(self, obj):
        return UnitKind(obj.unit_kind).label if obj.unit_kind in UnitKind.values else obj.unit_kind

    @admin.display(description="单位所在层级", ordering="region_level")
    def level_name(self, obj):
        return level_name(obj.region_level)

    def save_object(self, request, obj, form):
        report_quota_save(obj)

    def delete_object(self, request, obj):
        report_quota_delete(obj)
