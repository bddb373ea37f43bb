from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    NEW_TASK = "new_task", _("New task")
    ESCALATED = "escalated", _("Escalated to you")
    COMMAND_NOTICE = "command_notice", _("Notice to the rectification command")
    RETURNED = "returned", _("Returned")
    REWORK = "rework", _("Verification failed, rework")
    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due soon")
    SUPERVISED = "supervised", _("Supervision (督办)")
    URGED = "urged", _("Urged (催办)")
    REOPENED = "reopened", _("Reopened")
    EXTENSION = "extension", _("Extension")
    CLOSED = "closed", _("Closed")
    SYSTEM = "system", _("System alarm")


class Notification(models.Model):
    """An in-app message. Written by tasks after the case change committed; safe to write twice (unique key)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)  # services pass core.clock time
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "kind"],
                condition=models.Q(event__isnull=False),
                name="notification_once_per_event",
            )
        ]
