"""大屏显示会话 in the admin: issue (the URL with the secret is shown once) and revoke, both audited by the services
in dashboards.display. Rows are never edited or deleted: a revoked display stays listed as history."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages

from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core import clock
from gridsafe.core.errors import DomainError
from gridsafe.core.http import client_ip
from gridsafe.dashboards.display import DEFAULT_DAYS, MAX_DAYS, display_issue, display_revoke
from gridsafe.dashboards.models import DisplaySession
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
