"""Messages out in the admin (系统管理员): templates, rules, upward subscriptions (audited edits); the delivery log,
the webhook log and the dead letters (read-only lists; 重新投递 on the dead letters). Numbers appear masked only."""

from django import forms
from django.contrib import admin, messages

from gridsafe.accounts.admin import AuditedAdmin, AuditedReads, SystemAdminOnly
from gridsafe.cases.events import EventKind
from gridsafe.messaging.models import (
    ChannelRule,
    DeadLetter,
    Delivery,
    MessageTemplate,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)
from gridsafe.messaging.services import (
    channel_rule_delete,
    channel_rule_save,
    webhook_subscription_delete,
    webhook_subscription_save,
)
from gridsafe.messaging.webhooks import dead_letter_replay

BACKEND_LABELS = {
    "log": "日志（开发）",
    "aliyun": "阿里云短信",
    "wecom_robot": "企业微信群机器人",
    "wecom_app": "企业微信应用",
}


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("name", "sms_template_code", "updated_at")
    search_fields = ("name", "key", "body")


@admin.register(ChannelRule)
class ChannelRuleAdmin(SystemAdminOnly, AuditedAdmin):
    list_display = ("name", "event_class", "recipients", "channel", "timing", "template", "urgent", "active")
    list_filter = ("event_class", "channel", "timing", "active")
    list_editable = ("active",)
    list_select_related = ("template",)

    def save_object(self, request, obj, form):
        channel_rule_save(obj)

    def delete_object(self, request, obj):
        channel_rule_delete(obj)


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="推送地址", max_length=500, assume_scheme="https")
    event_kinds = forms.MultipleChoiceField(
        label="事件类型",
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="不选为全部事件",
    )
    secret = forms.CharField(
        label="签名密钥",
        max_length=128,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="对方平台用它校验签名请求头；修改时留空则不变",
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "secret", "event_kinds", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["secret"] = ""  # never sent to the page; left empty, it is unchanged (and audited so)

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "")
        if secret:
            return secret
        if self.instance.pk:
            return self.instance.secret
        raise forms.ValidationError("请填写签名密钥")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SystemAdminOnly, AuditedAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "kinds", "active", "created_at")
    list_filter = ("active",)

    @admin.display(description="事件类型")
    def kinds(self, obj):
        labels = dict(EventKind.choices)
        return "、".join(str(labels.get(k, k)) for k in obj.event_kinds) or "全部事件"

    def save_object(self, request, obj, form):
        webhook_subscription_save(obj)

    def delete_object(self, request, obj):
        webhook_subscription_delete(obj)


class ReadOnlyLog(AuditedReads, SystemAdminOnly, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyLog):
    list_display = (
        "created_at",
        "channel",
        "address_masked",
        "user",
        "purpose",
        "status",
        "attempts",
        "sent_via",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel", "urgent")
    search_fields = ("address_masked", "purpose", "text")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    fields = (
        "channel",
        "sent_via",
        "address_masked",
        "user",
        "purpose",
        "template_name",
        "text",
        "case_id",
        "urgent",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_id",
        "created_at",
        "sent_at",
        "digest",
    )
    readonly_fields = fields

    @admin.display(description="发送方式")
    def sent_via(self, obj):
        return BACKEND_LABELS.get(obj.backend, obj.backend) or "—"

    @admin.display(description="模板")
    def template_name(self, obj):
        return MessageTemplate.objects.filter(key=obj.template).values_list("name", flat=True).first() or "—"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyLog):
    list_display = ("created_at", "subscription", "kind", "status", "attempts", "response_status", "last_error")
    list_filter = ("status", "subscription")
    list_select_related = ("subscription",)
    fields = (
        "subscription",
        "kind",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "last_error",
        "created_at",
        "delivered_at",
    )
    readonly_fields = fields

    @admin.display(description="事件类型")
    def kind(self, obj):
        return dict(EventKind.choices).get(obj.event_kind, obj.event_kind)


@admin.register(DeadLetter)
class DeadLetterAdmin(WebhookDeliveryAdmin):
    actions = ["replay"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=WebhookStatus.DEAD)

    @admin.action(description="重新投递所选死信")
    def replay(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        delivered = dead_letter_replay(ids, actor=request.user)
        level = messages.SUCCESS if delivered == len(ids) else messages.WARNING
        self.message_user(request, f"重新投递 {len(ids)} 条，成功送达 {delivered} 条。", level)
