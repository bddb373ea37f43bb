"""Admin for units and users, and the mixins every GridSafe admin uses.

- `AuditedAdmin`: every add, change and delete made in the admin writes an AuditEvent (through
  `core.audit.audit_record`, so it joins the hash chain) with the changed fields, inline changes included. Done in
  save_model / save_related / delete_model / delete_queryset, not with signals: only admin edits are audited here,
  services audit their own.
- `AuditedReads`: every admin read of personal data (a changelist page, a change page) writes an `admin.view`
  AuditEvent naming the rows shown (domain.md §10.7: views of personal data are audited).
- `SystemAdminOnly`: 三员分立 — the admin pages for reference data belong to the 系统管理员 (Role.SYSTEM_ADMIN, and the
  demo's all-round Role.ADMIN); a superuser flag alone does not open them.
- `BusinessDataAdmin`: cases, their events, attachments, supervisions and places are business data, which no
  administrator of accounts or security reads (三员分立: the 系统管理员 manages accounts and configuration, never
  business data; the business pages and API serve those with a 辖区). Only the 审计管理员 may read them here, never
  change them, and every read is an audit row; personal data on them is masked or left out.
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
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from gridsafe.accounts.models import ResetDelivery, Unit, User
from gridsafe.accounts.permissions import (
    ADMIN_ROLES,
    can_manage_security,
    can_manage_users,
    can_read_audit,
    keeps_own_credentials,
)
from gridsafe.accounts.resets import RESET_CODE_HOURS, reset_code_issue, reset_code_refusal
from gridsafe.accounts.services import tokens_revoke, unit_delete, unit_save, user_role_change, user_save
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError, ValidationFailed
from gridsafe.core.http import client_ip
from gridsafe.core.input import InputForm, secure_form_field
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


# ---------------------------------------------------------------------------------------------- readable payloads
# An audit row's or a case event's payload, as people read it: keys by their Chinese names, models and fields by
# their verbose names, choice values by their labels, machine-only keys (digests) left out. A key not named here is
# shown as it is (the admin walk test, ops/tests/test_admin_chinese.py, then names the page).

PAYLOAD_KEYS = {
    "model": "数据",
    "ids": "记录编号",
    "count": "条数",
    "query": "查询条件",
    "fields": "修改",
    "inlines": "关联记录",
    "object": "对象",
    "added": "新增",
    "changed": "修改",
    "deleted": "删除",
    "reason": "原因",
    "reason_label": "原因",
    "username": "用户名",
    "role": "角色",
    "department": "部门",
    "department_id": "部门编号",
    "command_unit_id": "专项整治指挥部编号",
    "holder_unit_id": "办理单位编号",
    "handler_id": "办理人编号",
    "attachment_ids": "附件编号",
    "lon": "经度",
    "lat": "纬度",
    "due_at": "办理期限",
    "level": "层级",
    "target_level": "目标层级",
    "grade": "隐患等级",
    "category": "隐患类别",
    "comment": "意见",
    "method": "整改方式",
    "measures": "整改措施",
    "review_date": "复核日期",
    "requested_due": "申请期限",
    "external_body": "移交机关",
    "external_ref": "移交文号",
    "master_id": "主案编号",
    "from": "原值",
    "to": "新值",
    "old": "原值",
    "new": "新值",
    "name": "名称",
    "region": "区划",
    "days": "天数",
    "delivery": "交付方式",
    "created": "新增",
    "updated": "更新",
    "file": "文件",
    "rows": "行数",
}
HIDDEN_KEYS = frozenset({"request_digest", "sha256", "fingerprint"})


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name) if model is not None else PAYLOAD_KEYS.get(name, name)
    except FieldDoesNotExist:  # a field the model no longer has
        return PAYLOAD_KEYS.get(name, name)


def _choice_label(model, name: str, value):
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        field = None
    choices = dict(getattr(field, "flatchoices", None) or ())
    return choices.get(value, value)


def _readable_value(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(_readable_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "，".join(
            f"{PAYLOAD_KEYS.get(k, k)} {_readable_value(v)}" for k, v in value.items() if k not in HIDDEN_KEYS
        )
    return str(value)


def readable_payload(payload) -> str:
    """A payload dict as "名称：值；…" (see PAYLOAD_KEYS)."""
    from django.apps import apps

    if not isinstance(payload, dict) or not payload:
        return "—"
    model = None
    label = payload.get("model")
    if isinstance(label, str) and "." in label:
        try:
            model = apps.get_model(label)
        except LookupError:
            model = None
    parts = []
    for key, value in payload.items():
        if key in HIDDEN_KEYS:
            continue
        if key == "model" and model is not None:
            parts.append(f"数据：{model._meta.verbose_name}")
        elif key == "fields" and isinstance(value, dict):
            changes = []
            for name, change in value.items():
                if isinstance(change, dict) and "old" in change:
                    old = _choice_label(model, name, change.get("old"))
                    new = _choice_label(model, name, change.get("new"))
                    changes.append(f"{_field_label(model, name)} {_readable_value(old)} → {_readable_value(new)}")
                else:
                    changes.append(f"{_field_label(model, name)} 已修改")
            parts.append(f"修改：{'；'.join(changes) or '—'}")
        else:
            parts.append(f"{PAYLOAD_KEYS.get(key, key)}：{_readable_value(value)}")
    return "；".join(parts)


def audit_target(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk} {obj}"[:200]


class AuditedAdmin(admin.ModelAdmin):
    """Writes admin.add / admin.change / admin.delete audit rows. The row for a save is written after the related
    objects (many-to-many, inlines) are saved, so its payload has everything the admin changed."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # core.input's rules here too: no control characters in text, dates from 2000 to five years ahead (the
        # working calendar is entered ahead of time); model texts keep the length their column allows.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            secure_form_field(field, future=True, default_length=False)
        return field

    def save_model(self, request, obj, form, change):
        self.save_object(request, obj, form)
        request._gridsafe_admin_saved = (obj, change, form_changes(form))

    # The write itself. Reference data (whose rows caches are built from) is written through its app's service,
    # which owns the invalidation (core.cache): an admin names the service here, never invalidates itself.
    def save_object(self, request, obj, form) -> None:
        obj.save()

    def delete_object(self, request, obj) -> None:
        obj.delete()

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
        self.delete_object(request, obj)
        self.after_delete(request)
        self.audit(request, "admin.delete", None, {"object": str(obj)[:200]}, target=target)

    def delete_queryset(self, request, queryset):
        objects = list(queryset)
        doomed = [(audit_target(obj), str(obj)[:200]) for obj in objects]
        for obj in objects:
            self.delete_object(request, obj)
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


class ServiceCheckedForm(forms.ModelForm):
    """An admin form whose rules are its service's: `service_check(instance)` (raising DomainError with a Chinese
    detail) runs on the instance as the form would save it, and its refusal is shown on the form, so nothing is
    written. When it names a clash, its message replaces Django's generic one about the same unique constraint."""

    service_check = None  # set by the subclass: a function of the instance

    def _post_clean(self):
        super()._post_clean()
        check = type(self).service_check
        if check is None or any(name != NON_FIELD_ERRORS for name in self.errors):
            return
        try:
            check(self.instance)
        except DomainError as exc:
            self._errors.pop(NON_FIELD_ERRORS, None)
            self.add_error(None, exc.detail)


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


READ_IDS_KEPT = 200  # ids named in one changelist read's audit row (a page shows 100)


class AuditedReads:
    """Each rendered changelist or change page is an `admin.view` audit row: who read which rows of which model,
    from where (the filters and search of a list too). A POST that saves is audited as the change instead."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            ids = [obj.pk for obj in changelist.result_list]
            self._audit_read(
                request,
                f"{self.model._meta.label_lower}:list",
                {"ids": ids[:READ_IDS_KEPT], "count": len(ids), "query": request.GET.urlencode()[:LONG_VALUE]},
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            self._audit_read(request, f"{self.model._meta.label_lower}:{unquote(object_id)}"[:200], {})
        return response

    def _audit_read(self, request, target: str, payload: dict) -> None:
        audit_record(
            actor=request.user,
            action="admin.view",
            target=target,
            ip=client_ip(request),
            payload={"model": self.model._meta.label_lower, **payload},
        )


class BusinessDataAdmin(AuditedReads):
    """Business data (cases, events, attachments, places): not shown to the 系统管理员 or the 安全管理员 at all (their
    pages answer 403 and leave the admin index), read-only for the 审计管理员 (accounts.permissions.can_read_audit),
    whose every read is an audit row. Nobody adds, changes or deletes here: these rows change through services."""

    def _auditor(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and can_read_audit(request.user)

    def has_module_permission(self, request):
        return self._auditor(request)

    def has_view_permission(self, request, obj=None):
        return self._auditor(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows of a business-data page (BusinessDataAdmin): shown to the 审计管理员 with their parent, never written."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and can_read_audit(request.user)

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
