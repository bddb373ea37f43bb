"""The audit log in the admin: read-only, and only for the 审计管理员 (三员分立: not even a superuser). Registered here,
not in core: who may read it is an accounts rule, and core imports no app. Actions, outcomes and payloads are shown
by their Chinese names (the stored codes stay searchable and are shown on a record's page).

The task backend's result admin (django_tasks_db) is not offered: a superuser flag alone opens no admin page here,
its rows are the workers' bookkeeping (`gridsafe worker` logs failures), and its pages are not in Chinese."""

from django.apps import apps
from django.contrib import admin

from gridsafe.accounts.admin import readable_payload
from gridsafe.accounts.permissions import can_read_audit
from gridsafe.core.models import AuditEvent

try:
    from django_tasks_db.models import DBTaskResult
except ImportError:  # pragma: no cover - the task backend is a dependency; without it there is nothing to hide
    DBTaskResult = None
if DBTaskResult is not None and admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)

# What an audited action is about (the code's first part) and what was done (its last part).
ACTION_OBJECTS = {
    "admin": "后台",
    "auth": "登录与账号",
    "user": "用户",
    "case": "隐患",
    "cases": "隐患",
    "attachment": "附件",
    "display": "大屏显示会话",
    "place": "监管场所",
    "personal_data": "个人信息",
    "import": "导入",
    "regions": "区划",
    "inforeport": "信息材料",
    "bulletin": "通报",
    "archive": "归档",
    "appraisal": "考核",
    "patrol": "巡查",
    "checklist": "检查表",
    "oversight_visit": "督导",
    "audit": "审计日志",
    "upload": "上传文件",
    "remind": "提醒",
    "video": "视频",
}
ACTION_VERBS = {
    "add": "新增",
    "change": "修改",
    "delete": "删除",
    "view": "查看",
    "login": "登录",
    "logout": "退出登录",
    "token": "签发令牌",
    "unlock": "解锁",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "reset_code_issued": "签发重置码",
    "role_changed": "变更角色",
    "created": "创建",
    "deactivated": "停用",
    "issued": "签发",
    "revoked": "吊销",
    "export": "导出",
    "download": "下载",
    "reveal": "查看明文",
    "reseal": "重新加密",
    "contact_revealed": "查看联系人",
    "imported": "导入",
    "people": "人员",
    "places": "场所",
    "units": "单位",
    "teams": "巡逻队",
    "track_viewed": "查看轨迹",
    "purged": "清理",
    "legacy_adopted": "接管旧记录",
    "metadata_stripped": "去除元数据",
    "recorded": "登记",
    "case_linked": "关联隐患",
    "case_added": "新增隐患",
    "draft_discarded": "丢弃草稿",
    "published": "发布",
    "report": "上报",
    "reports": "催报",
    "cadence": "检查例会",
    "monthly": "月度",
    "quarterly": "季度",
    "gateway_created": "网关创建",
    "alarm_false": "告警误报",
    "alarm_case": "告警立案",
    "cameras": "摄像机台账",
}
OUTCOMES = {"success": "成功", "refused": "拒绝", "failure": "失败", "failed": "失败", "denied": "拒绝"}


def action_label(code: str) -> str:
    """admin.view → 后台查看; an unknown part keeps its code."""
    head, _, tail = code.partition(".")
    if not tail:
        return ACTION_VERBS.get(head, ACTION_OBJECTS.get(head, code))
    return f"{ACTION_OBJECTS.get(head, head)}{ACTION_VERBS.get(tail, tail)}"


def target_label(target: str) -> str:
    """accounts.user:12 林志强 → 用户 12 林志强 (a target that names no model stays as written: a username)."""
    head, colon, rest = target.partition(":")
    if colon and "." in head:
        try:
            model = apps.get_model(head)
        except (LookupError, ValueError):
            return target
        return f"{model._meta.verbose_name} {rest}"
    return target


class ActionFilter(admin.SimpleListFilter):
    title = "操作对象"
    parameter_name = "about"

    def lookups(self, request, model_admin):
        return [(code, name) for code, name in ACTION_OBJECTS.items() if code != "cases"]

    def queryset(self, request, queryset):
        if self.value() in ACTION_OBJECTS:
            return queryset.filter(action__startswith=self.value() + ".")
        return queryset


class OutcomeFilter(admin.SimpleListFilter):
    title = "结果"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [("success", "成功"), ("refused", "拒绝"), ("failure", "失败")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(outcome=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "actor_label", "action_name", "target_name", "outcome_name", "ip")
    list_filter = (ActionFilter, OutcomeFilter)
    search_fields = ("target", "actor_label", "action")
    ordering = ("-seq",)
    date_hierarchy = "created_at"
    fields = (
        "seq",
        "created_at",
        "actor",
        "actor_label",
        "action_name",
        "action_code",
        "target",
        "outcome_name",
        "ip",
        "details",
        "key_id",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description="操作", ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)

    @admin.display(description="操作代码（检索用）")
    def action_code(self, obj):
        return obj.action

    @admin.display(description="对象", ordering="target")
    def target_name(self, obj):
        return target_label(obj.target)

    @admin.display(description="结果", ordering="outcome")
    def outcome_name(self, obj):
        return OUTCOMES.get(obj.outcome, obj.outcome)

    @admin.display(description="详情")
    def details(self, obj):
        return readable_payload(obj.payload)

    def _auditor(self, request) -> bool:
        return can_read_audit(request.user) and request.user.is_staff

    def has_module_permission(self, request):
        return self._auditor(request)

    def has_view_permission(self, request, obj=None):
        return self._auditor(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
