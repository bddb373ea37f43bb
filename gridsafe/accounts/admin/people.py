"""Units and users in the admin (单位与人员), on the audited bases of audited.py. Django's Group admin is not
offered: roles decide access, and group edits would not be audited."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from gridsafe.accounts.admin.audited import AuditedAdmin, AuditedReads, SystemAdminOnly
from gridsafe.accounts.models import ResetDelivery, Unit, User
from gridsafe.accounts.permissions import (
    ADMIN_ROLES,
    can_manage_security,
    can_manage_users,
    keeps_own_credentials,
)
from gridsafe.accounts.resets import RESET_CODE_HOURS, reset_code_issue, reset_code_refusal
from gridsafe.accounts.services import tokens_revoke, unit_delete, unit_save, user_role_change, user_save
from gridsafe.core.errors import DomainError, ValidationFailed
from gridsafe.core.http import client_ip
from gridsafe.core.input import InputForm
from gridsafe.core.masking import mask_phone
from gridsafe.regions.models import RegionLevel

# ---------------------------------------------------------------------------------------------- units


@admin.register(Unit)
class UnitAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("name", "code", "kind", "region", "domain_list", "is_active")
    list_filter = ("kind", "is_active", "domains")
    search_fields = ("code", "name", "region__name", "region__code")
    autocomplete_fields = ("region",)
    filter_horizontal = ("domains",)
    list_select_related = ("region",)
    ordering = ("region__path", "kind", "code")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "region", "is_active")}),
        ("负责领域（职能部门按领域接收派遣）", {"fields": ("domains",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("domains")

    @admin.display(description="领域")
    def domain_list(self, obj):
        return "、".join(d.name for d in obj.domains.all())

    def save_object(self, request, obj, form):
        unit_save(obj, domains=form.cleaned_data.get("domains"))

    def delete_object(self, request, obj):
        unit_delete(obj)


# ---------------------------------------------------------------------------------------------- users


class GridChoiceForm(forms.ModelForm):
    def clean_grids(self):
        grids = self.cleaned_data.get("grids")
        if grids is not None and any(g.level != RegionLevel.GRID for g in grids):
            raise forms.ValidationError("只能选择单元网格（第四级区划）")
        return grids


class OwnAccountForm(GridChoiceForm, DjangoUserAdmin.form):
    """One's own account: Django's read-only password field, whose link leads to one's own password page."""


class UserChangeForm(OwnAccountForm):
    password = None  # someone else's account: no password field at all (a reset code replaces a password)


class UserAddForm(forms.ModelForm):
    """开户: the account only. It starts with an unusable password: no administrator chooses (and so knows) a
    password for someone else; its owner sets the first one with a reset code (accounts.resets)."""

    class Meta:
        model = User
        fields = ("username", "display_name", "unit")
        field_classes = {"username": UsernameField}

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("用户名已存在")
        return username

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


class ResetCodeForm(InputForm):
    delivery = forms.ChoiceField(label="交付方式", choices=ResetDelivery.choices, widget=forms.RadioSelect)


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditedReads, AuditedAdmin, DjangoUserAdmin):
    """Accounts: the 系统管理员 keeps names, units, grids and activation; the role and the admin flags are grants,
    which only the 安全管理员 changes (and never on their own account). Phone numbers are masked, never edited here.
    Every page that shows an account is an `admin.view` audit row (AuditedReads).

    Passwords (三员分立): nobody sets another person's password here. The password page answers 403 for anyone's but
    one's own (audited, outcome "refused"); a new account starts with an unusable password; a forgotten password is
    replaced with a one-time reset code (the "签发重置码" page, accounts.resets: the 安全管理员 hands it over or sends
    it to the user's phone, the 系统管理员 can only send it to the phone), which only its user can use, only to set
    a password of their own choosing. A deactivated account's API tokens are revoked."""

    form = UserChangeForm
    add_form = UserAddForm
    list_display = ("username", "display_name", "role", "unit", "grid_count", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "unit__kind")
    search_fields = ("username", "display_name", "unit__name")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit", "grids")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password_state")}),
        ("个人信息", {"fields": ("display_name", "phone_masked", "email")}),
        ("岗位与辖区", {"fields": ("role", "unit", "grids")}),
        # Roles decide access: Django's groups and permissions are not offered (their grants would bypass 三员分立).
        ("状态与授权", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("时间", {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "display_name", "unit")}),)
    GRANTS = ("role", "is_staff", "is_superuser", "groups", "user_permissions")
    ACCOUNT_FIELDS = ("username", "display_name", "email", "unit", "grids", "is_active")

    def _may(self, request) -> tuple[bool, bool]:
        user = request.user
        active = user.is_active and user.is_staff
        return active and can_manage_users(user), active and can_manage_security(user)

    def has_module_permission(self, request):
        return any(self._may(request))

    def has_view_permission(self, request, obj=None):
        return any(self._may(request))

    def has_change_permission(self, request, obj=None):
        return any(self._may(request))

    def has_add_permission(self, request):
        return self._may(request)[0]

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted: events keep their actor

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and obj.pk == request.user.pk:
            kwargs["form"] = OwnAccountForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.pk == request.user.pk:
            # One's own account: Django's password field, whose link leads to one's own password page.
            return ((None, {"fields": ("username", "password")}), *fieldsets[1:])
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        system, security = self._may(request)
        readonly = ["password_state", "phone_masked", "last_login", "date_joined", "password_changed_at"]
        if obj is None:
            return readonly
        if not security or obj.pk == request.user.pk:
            readonly += list(self.GRANTS)
        if not system:
            readonly += list(self.ACCOUNT_FIELDS)
        if obj.role in ADMIN_ROLES and not security:
            readonly.append("is_active")  # administrators are retired by the 安全管理员
        return readonly

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(grid_total=models.Count("grids"))

    @admin.display(description="网格数", ordering="grid_total")
    def grid_count(self, obj):
        return obj.grid_total

    @admin.display(description="电话（脱敏）")
    def phone_masked(self, obj):
        return mask_phone(obj.phone) if obj and obj.pk else ""

    @admin.display(description="密码")
    def password_state(self, obj):
        if obj is None or obj.pk is None:
            return ""
        if keeps_own_credentials(obj):
            return "其他管理员的密码只能由本人修改。"
        state = "已设置" if obj.has_usable_password() else "未设置（须由本人用重置码设置）"
        url = reverse("admin:accounts_user_reset_code", args=[obj.pk])
        return format_html(
            '{}。管理员不能设置他人的密码：<a href="{}">签发一次性重置码</a>，由本人设置新密码。', state, url
        )

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            messages.warning(
                request,
                "账号已创建，尚无可用密码：请安全管理员签发一次性重置码当面交付本人"
                "（已登记手机号时也可发送到本人手机），由本人设置密码。",
            )
            return
        if "is_active" in form.changed_data and not obj.is_active:
            tokens_revoke(obj)
        if "role" in form.changed_data:
            # Grants go through the service (permission check, own-account refusal, its own audit row).
            new_role = obj.role
            obj.role = form.initial.get("role")
            super().save_model(request, obj, form, change)
            try:
                changed = user_role_change(actor=request.user, user=obj, role=new_role, ip=client_ip(request))
            except DomainError as exc:
                messages.error(request, f"角色未变更：{exc.detail}")
                request._gridsafe_admin_saved[2].pop("role", None)
            else:
                obj.role = changed.role
            return
        super().save_model(request, obj, form, change)

    def save_object(self, request, obj, form):
        user_save(obj, grids=form.cleaned_data.get("grids"))

    def get_urls(self):
        return [
            path(
                "<id>/reset-code/",
                self.admin_site.admin_view(self.reset_code_view),
                name="accounts_user_reset_code",
            ),
            *super().get_urls(),
        ]

    def reset_code_view(self, request, id):
        """签发一次性重置码. The code is shown once, on the answer to the POST (admin pages are never cached), only
        when it is to be handed over; sent to the phone, nobody here sees it. Refusals answer 403 and are audited
        by the service."""
        user = self.get_object(request, unquote(id))
        if user is None or not self.has_view_permission(request, user):
            raise Http404
        options = {d: reset_code_refusal(request.user, user, d) for d in ResetDelivery.values}
        form = ResetCodeForm(request.POST or None)
        form.fields["delivery"].choices = [(d, label) for d, label in ResetDelivery.choices if options[d] is None]
        code = sent = error = None
        if request.method == "POST":
            delivery = request.POST.get("delivery", "")
            try:
                code = reset_code_issue(actor=request.user, user=user, delivery=delivery, ip=client_ip(request))
                sent = code is None
            except ValidationFailed as exc:  # the SMS gateway refused it: nothing was issued; say why, offer again
                error = exc.detail
            except DomainError as exc:
                raise PermissionDenied(exc.detail) from None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": user,
            "title": f"签发一次性重置码：{user.username}",
            "form": form,
            "refusals": [(dict(ResetDelivery.choices)[d], why[1]) for d, why in options.items() if why],
            "code": code,
            "sent": sent,
            "error": error,
            "phone_masked": mask_phone(user.phone),
            "hours": RESET_CODE_HOURS,
        }
        return TemplateResponse(request, "admin/accounts/user/reset_code.html", context)

    def user_change_password(self, request, id, form_url=""):
        """Only one's own password is set here (and not another administrator's either: permissions.
        may_set_credentials). Anyone else's is replaced through a reset code; an attempt is a refused audit row."""
        user = self.get_object(request, unquote(id))
        if user is not None and user.pk != request.user.pk:
            if self.has_view_permission(request, user):
                reason = "admin_credentials" if keeps_own_credentials(user) else "use_reset_code"
                self.audit(
                    request,
                    "admin.change",
                    user,
                    {"fields": {"password": "refused"}, "reason": reason},
                    outcome="refused",
                )
            raise PermissionDenied("管理员不能设置他人的密码，请签发一次性重置码")
        return super().user_change_password(request, id, form_url)
