"""Cases, their timeline and attachments in the admin: read-only, and only for the 审计管理员 (accounts.admin.
BusinessDataAdmin: 三员分立 — the 系统管理员 and the 安全管理员 read no business data; each read is an audit row). A
case changes only through the case services (the transition table, clocks, notifications, audit); its events are
append-only (the model and DB triggers refuse change). The admin has no add, change or delete permission on any of
them, for anyone. Where a person stood is personal data (行踪轨迹): a photo's capture point and the positions in an
event's payload are shown rounded to about a kilometre, a report's raw GPS fix and an event's client address not
at all."""

from django.contrib import admin
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridsafe.accounts.admin import BusinessDataAdmin, ReadOnlyInline, readable_payload
from gridsafe.cases.models import Attachment, Case, CaseEvent, Supervision
from gridsafe.cases.transitions import state_text
from gridsafe.catalog.models import Step
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.regions.coords import LocationFlag
from gridsafe.regions.models import Region

ATTACHMENT_FIELDS = (
    "case",
    "role",
    "stored_file",
    "original_name",
    "content_type",
    "size",
    "sha256",
    "width",
    "height",
    "captured_at",
    "capture_area",
    "uploaded_by",
    "created_at",
)


def rounded_point(lon, lat) -> str:
    """A point to two decimals (about 1 km): enough to check a case's area, not where a worker stood."""
    if lon is None or lat is None:
        return ""
    return f"约 {lon:.2f}, {lat:.2f}"


def rounded_payload(payload):
    """An event's payload with every coordinate (a verifier's or reporter's position) rounded like rounded_point."""
    if isinstance(payload, dict):
        return {
            key: round(value, 2) if key in ("lon", "lat") and isinstance(value, float) else rounded_payload(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [rounded_payload(item) for item in payload]
    return payload


class EventStates:
    """An event's states by their names (the fields hold bare values, without choices)."""

    @admin.display(description="原状态", ordering="from_state")
    def from_state_label(self, obj):
        return state_text(obj.from_state) if obj.from_state else ""

    @admin.display(description="新状态", ordering="to_state")
    def to_state_label(self, obj):
        return state_text(obj.to_state) if obj.to_state else ""


class CaseEventInline(EventStates, ReadOnlyInline):
    model = CaseEvent
    fields = ("created_at", "kind", "actor_label", "from_state_label", "to_state_label", "comment")
    readonly_fields = fields
    ordering = ("created_at", "id")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("created_at", "role", "original_name", "content_type", "size")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("id", "category", "state_label", "level", "region", "holder_unit", "due_at", "created_at")
    list_filter = ("state", "level", "domain", "grade", "source", "closure")
    search_fields = ("=id", "description", "address", "region__name", "region__code")
    list_select_related = ("category", "region", "holder_unit")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    inlines = (CaseEventInline, AttachmentInline)
    # The caller's name and phone (a desk-registered case) are personal data: shown masked, never in full.
    exclude = (
        "client_fingerprint",
        "checklist_answers",
        "raw_lon",
        "raw_lat",
        "gps_accuracy_m",
        "caller_name",
        "caller_phone",
        "location_flags",
        "overdue_steps",
        "cc_paths",
    )
    readonly_fields = ("caller_masked", "location_flags_text", "overdue_steps_text", "cc_paths_text")

    @admin.display(description="定位提示")
    def location_flags_text(self, obj):
        labels = dict(LocationFlag.choices)
        return "、".join(str(labels.get(flag, flag)) for flag in obj.location_flags or []) or "—"

    @admin.display(description="超期环节")
    def overdue_steps_text(self, obj):
        steps = dict(Step.choices)
        facts = []
        for fact in obj.overdue_steps or []:
            due = parse_datetime(fact.get("due_at") or "")
            when = f"（期限 {timezone.localtime(due):%Y-%m-%d %H:%M}）" if due else ""
            facts.append(f"{steps.get(fact.get('step'), fact.get('step') or '')}{when}")
        return "；".join(facts) or "—"

    @admin.display(description="抄送层级")
    def cc_paths_text(self, obj):
        names = dict(Region.objects.filter(path__in=obj.cc_paths or []).values_list("path", "name"))
        return "、".join(names.get(path, path) for path in obj.cc_paths or []) or "—"

    @admin.display(description="来电/来访人（脱敏）")
    def caller_masked(self, obj):
        return " ".join(part for part in (mask_name(obj.caller_name), mask_phone(obj.caller_phone)) if part) or "—"

    @admin.display(description="状态", ordering="state")
    def state_label(self, obj):
        return state_text(obj.state, obj.closure)


@admin.register(CaseEvent)
class CaseEventAdmin(EventStates, BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("id", "case", "kind", "actor_label", "from_state_label", "to_state_label", "created_at")
    list_filter = ("kind",)
    search_fields = ("=case__id", "actor_label", "comment")
    list_select_related = ("case",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    exclude = ("ip", "payload", "from_state", "to_state")
    readonly_fields = ("from_state_label", "to_state_label", "payload_masked")

    @admin.display(description="附加数据（位置约 1 公里）")
    def payload_masked(self, obj):
        return readable_payload(rounded_payload(obj.payload))


@admin.register(Attachment)
class AttachmentAdmin(BusinessDataAdmin, admin.ModelAdmin):
    """Files are not linked: media is never served as public files, only through the API's jurisdiction check."""

    list_display = ("id", "case", "role", "original_name", "content_type", "size", "created_at")
    list_filter = ("role",)
    search_fields = ("=case__id", "sha256", "original_name")
    list_select_related = ("case",)
    ordering = ("-created_at", "-id")
    fields = ATTACHMENT_FIELDS
    readonly_fields = ATTACHMENT_FIELDS

    @admin.display(description="存储文件")
    def stored_file(self, obj):
        return obj.file.name

    @admin.display(description="拍摄位置（约 1 公里）")
    def capture_area(self, obj):
        return rounded_point(obj.capture_lon, obj.capture_lat)


@admin.register(Supervision)
class SupervisionAdmin(BusinessDataAdmin, admin.ModelAdmin):
    list_display = ("id", "case", "level", "automatic", "target_unit", "issued_at", "reply_due", "replied_at")
    list_filter = ("level", "automatic")
    search_fields = ("=case__id",)
    list_select_related = ("case", "target_unit")
    ordering = ("-issued_at", "-id")
