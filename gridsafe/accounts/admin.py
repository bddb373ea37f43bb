"""Admin for units and users, and the mixins every GridSafe admin uses.

- `AuditedAdmin`: every add, change and delete made in the admin writes an AuditEvent (through
  `core.audit.audit_record`, so it joins the hash chain) with the changed fields, inline changes included. Done in
  save_model / save_related / delete_model / delete_queryset, not with signals: only admin edits are audited here,
  services audit their own.
- `SystemAdminOnly`: 三员分立 — the admin pages for reference data belong to the 系统管理员 (Role.SYSTEM_ADMIN, and the
  demo's all-round Role.ADMIN); a superuser flag alone does not open them.
- `ReadOnlyAdmin`: cases, their events and attachments are shown, never added, changed or deleted here.
- Django's Group admin is not offered: roles decide access, and group edits would not be audited.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile

from gridsafe.accounts.identities import identities_changed
from gridsafe.accounts.models import Unit, User
from gridsafe.accounts.permissions import ADMIN_ROLES, can_manage_security, can_manage_users, may_set_credentials
from gridsafe.accounts.routing import unit_routing
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError
from gridsafe.core.http import client_ip
from gridsafe.core.masking import mask_phone
from gridsafe.regions.models import RegionLevel

LONG_VALUE = 300  # characters: longer values (a boundary) are audited by hash and size, not in full
SECRET_FIELDS = frozenset({"password", "password1", "password2", "phone", "secret", "key_hash"})


def audit_value(value):
    """A JSON-safe, bounded picture of a form value for the audit payload."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "text": str(value)[:100]}
    if isinstance(value, models.QuerySet | list | tuple | set) and not isinstance(value, str):
        items = list(value)
        if items and isinstance(items[0], models.Model):
            return sorted(item.pk for item in items)
        return [audit_value(item) for item in items]
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, date | datetime | Decimal):
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
        if len(text) > LONG_VALUE:
            return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "chars": len(text)}
        return json.loads(text)
    if isinstance(value, str) and len(value) > LONG_VALUE:
        return {"sha256": hashlib.sha256(value.encode()).hexdigest(), "chars": len(value)}
    return value


def form_changes(form) -> dict:
    """{field: {"old": …, "new": …}} for the fields the form changed; secrets only as "changed"."""
    changes = {}
    for name in form.changed_data:
        if name in SECRET_FIELDS:
            changes[name] = "changed"
            continue
        field = form.fields.get(name)
        old = form.initial.get(name, field.initial if field else None)
        if isinstance(field, forms.ModelMultipleChoiceField) and old is not None:
            old = sorted(getattr(item, "pk", item) for item in old)
        elif isinstance(field, forms.ModelChoiceField) and isinstance(old, models.Model):
            old = old.pk
        changes[name] = {"old": audit_value(old), "new": audit_value(form.cleaned_data.get(name))}
    return changes


def formset_changes(formsets) -> list[dict]:
    result = []
    for formset in formsets:
        if not hasattr(formset, "new_objects"):
            continue
        entry = {
            "model": formset.model._meta.label_lower,
            "added": [str(obj)[:100] for obj in formset.new_objects],
            "changed": [{"object": str(obj)[:100], "fields": fields} for obj, fields in formset.changed_objects],
            "deleted": [str(obj)[:100] for obj in formset.deleted_objects],
        }
        if entry["added"] or entry["changed"] or entry["deleted"]:
            result.append(entry)
    return result


def audit_target(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk} {obj}"[:200]


class AuditedAdmin(admin.ModelAdmin):
    """Writes admin.add / admin.change / admin.delete audit rows. The row for a save is written after the related
    objects (many-to-many, inlines) are saved, so its payload has everything the admin changed."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request._gridsafe_admin_saved = (obj, change, form_changes(form))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj, was_change, fields = getattr(request, "_gridsafe_admin_saved", (form.instance, change, {}))
        payload = {"fields": fields}
        inlines = formset_changes(formsets)
        if inlines:
            payload["inlines"] = inlines
        self.after_save(request, obj, was_change)  # before the audit row: its chain lock is taken last
        self.audit(request, "admin.change" if was_change else "admin.add", obj, payload)

    def delete_model(self, request, obj):
        target = audit_target(obj)
        super().delete_model(request, obj)
        self.after_delete(request)
        self.audit(request, "admin.delete", None, {"object": str(obj)[:200]}, target=target)

    def delete_queryset(self, request, queryset):
        doomed = [(audit_target(obj), str(obj)[:200]) for obj in queryset]
        super().delete_queryset(request, queryset)
        self.after_delete(request)
        for target, text in doomed:
            self.audit(request, "admin.delete", None, {"object": text}, target=target)

    def audit(
        self, request, action: str, obj, payload: dict, *, target: str | None = None, outcome: str = "success"
    ) -> None:
        audit_record(
            actor=request.user,
            action=action,
            target=target or audit_target(obj),
            outcome=outcome,
            ip=client_ip(request),
            payload={"model": self.model._meta.label_lower, **payload},
        )

    # Hooks for the caches that hold this model's rows. They run before the audit row, in the same transaction:
    # a cache's version row is locked before the audit chain, in the order every service takes them.
    def after_save(self, request, obj, change: bool) -> None:
        pass

    def after_delete(self, request) -> None:
        pass


class SystemAdminOnly:
    """三员分立: reference data is the 系统管理员's (accounts.permissions.can_manage_users), staff or not superuser."""

    def _system_admin(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and can_manage_users(request.user)

    def has_module_permission(self, request):
        return self._system_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._system_admin(request)

    def has_add_permission(self, request):
        return self._system_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._system_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._system_admin(request)


class ReadOnlyAdmin(SystemAdminOnly):
    """Shown to the 系统管理员, never written: no add, change or delete permission at all."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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

    def after_save(self, request, obj, change):
        unit_routing.invalidate()
        identities_changed()  # its members' token lookups carry the unit

    def after_delete(self, request):
        unit_routing.invalidate()
        identities_changed()


# ---------------------------------------------------------------------------------------------- users


class GridChoiceForm(forms.ModelForm):
    def clean_grids(self):
        grids = self.cleaned_data.get("grids")
        if grids is not None and any(g.level != RegionLevel.GRID for g in grids):
            raise forms.ValidationError("只能选择单元网格（第四级区划）")
        return grids


class UserChangeForm(GridChoiceForm, DjangoUserAdmin.form):
    pass


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """Accounts: the 系统管理员 keeps names, units, grids and activation; the role and the admin flags are grants,
    which only the 安全管理员 changes (and never on their own account). Phone numbers are masked, never edited here.

    Passwords: the 系统管理员 may set an ordinary user's password, which that user must then change at the next
    login (services.password_change_required); no one sets another administrator's (permissions.
    may_set_credentials), and the 安全管理员 sets only their own — the password page answers 403 and the attempt
    is an audit row with outcome "refused".
    A password set here, or an account deactivated here, also revokes the user's API tokens."""

    form = UserChangeForm
    list_display = ("username", "display_name", "role", "unit", "grid_count", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "unit__kind")
    search_fields = ("username", "display_name", "unit__name")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit", "grids")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("display_name", "phone_masked", "email")}),
        ("岗位与辖区", {"fields": ("role", "unit", "grids")}),
        ("状态与授权", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("时间", {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("岗位与辖区", {"fields": ("display_name", "unit")}),
    )
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

    def get_readonly_fields(self, request, obj=None):
        system, security = self._may(request)
        readonly = ["phone_masked", "last_login", "date_joined", "password_changed_at"]
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

    def save_model(self, request, obj, form, change):
        from gridsafe.accounts.services import password_change_required, tokens_revoke

        if not change:
            super().save_model(request, obj, form, change)
            if obj.has_usable_password():
                password_change_required(obj)  # the administrator chose it: the new user chooses their own
            return
        if "is_active" in form.changed_data and not obj.is_active:
            tokens_revoke(obj)
        if "role" in form.changed_data:
            # Grants go through the service (permission check, own-account refusal, its own audit row).
            from gridsafe.accounts.services import user_role_change

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

    def after_save(self, request, obj, change):
        identities_changed()  # the user's token lookups carry their fields, unit and grids

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = self._password_refusal(request, obj) if obj is not None else None
        if refusal is None:
            return form
        note = f"{refusal[1]}。"

        class PasswordRefusedForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if "password" in self.fields:  # after Django's __init__, which sets its own help text
                    self.fields["password"].help_text = note

        return PasswordRefusedForm

    def _password_refusal(self, request, user) -> tuple[str, str] | None:
        """Why `request.user` may not set `user`'s password here, or None. One's own: always. Another
        administrator's: never. Anyone else's: the 系统管理员's account work, not the 安全管理员's — else the 安全管理员
        alone could demote the 审计管理员, set the password, restore the role and sign in as them."""
        actor = request.user
        if user.pk == actor.pk:
            return None
        if not may_set_credentials(actor, user):
            return "admin_credentials", "其他管理员的密码只能由本人修改"
        if not can_manage_users(actor):
            return "not_system_admin", "只有系统管理员可以设置其他用户的密码"
        return None

    def user_change_password(self, request, id, form_url=""):
        from gridsafe.accounts.services import password_change_required, tokens_revoke

        user = self.get_object(request, unquote(id))
        if user is not None and self.has_change_permission(request, user):
            refusal = self._password_refusal(request, user)
            if refusal is not None:
                self.audit(
                    request,
                    "admin.change",
                    user,
                    {"fields": {"password": "refused"}, "reason": refusal[0]},
                    outcome="refused",
                )
                raise PermissionDenied(refusal[1])
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and user is not None:
            user.refresh_from_db(fields=["password"])
            if user.password != before:  # saved (a redirect alone may be Django's "conflicting form data")
                if user.pk != request.user.pk:
                    password_change_required(user)
                # A new password revokes them already (PasswordHistoryValidator); a password made unusable
                # ("password-based authentication: disabled") runs no validator, and must revoke them too.
                tokens_revoke(user)
                self.audit(request, "admin.change", user, {"fields": {"password": "changed"}})
        return response
