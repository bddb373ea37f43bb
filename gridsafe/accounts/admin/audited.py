"""The mixins every GridSafe admin uses (the unit and user admins are in people.py).

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
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile

from gridsafe.accounts.permissions import (
    can_manage_users,
    can_read_audit,
)
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError
from gridsafe.core.http import client_ip
from gridsafe.core.input import secure_form_field

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
        elif isinstance(field, forms.ModelChoiceField) and old is not None and not isinstance(old, models.Model):
            # The initial is the related row's pk: record it as the new value is, {"id", "text"}, so the audit
            # log reads 县消防救援大队 → 县燃气办, not 12 → 县燃气办.
            old = field.queryset.model._base_manager.filter(pk=old).first() or old
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
    if isinstance(value, dict | list):
        return value  # a related row ({"id", "text"}) or several: not a choice code (and not hashable)
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
    if isinstance(value, dict) and "text" in value and set(value) <= {"id", "text"}:
        return str(value["text"])  # a related row: its name, not its id
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
