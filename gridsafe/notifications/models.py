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
    REGRADED = "regraded", _("Grade set (定级)")
    DOWNLOAD = "download", _("Download ready (我的下载)")


class Notification(models.Model):
    """An in-app message. Written by tasks after the case change committed; safe to write twice (unique key)."""

    # Derived rows, like the dashboard rollups: no foreign keys in the database (the ORM still cascades) and no
    # single-column indexes beyond the inbox's. Every report writes two or three of these after commit; with
    # database foreign keys each insert took a FOR KEY SHARE lock on the same desk users' rows as every concurrent
    # insert (PostgreSQL then builds multixacts), and with the extra indexes the write cost ~1 ms of PostgreSQL CPU
    # per report more (bench/intake).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_constraint=False,
        db_index=False,  # the inbox index and the unique key both lead with user
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    event = models.ForeignKey(
        "cases.CaseEvent",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # read only through the unique key (user, event, kind)
        related_name="+",
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


class DeskCursor(models.Model):
    """How far a desk member's inbox has taken in the events that land on their unit's desk: `inbox_catch_up` writes
    their notifications of a report or a dispatch when they look at the inbox, not when the case changes.

    An id cursor, not a time: every event of the desk with an id above `event_id` is read again at each look (the
    notification's unique key skips what was written). `seen_id` is the largest event id the database showed at
    `seen_at` (the database's clock, never an app server's); once that is older than notifications.services.
    DESK_SETTLE, every transaction that had taken an id up to `seen_id` has committed or rolled back, and the
    cursor moves up to it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    event_id = models.BigIntegerField(default=0)  # every desk event with an id up to this is taken in
    seen_id = models.BigIntegerField(default=0)  # the largest event id visible at seen_at
    seen_at = models.DateTimeField()  # the database's clock
    # The desk it counts for: a user moved to another unit or role starts again from then, and never fetches what
    # landed on the new desk before they arrived.
    unit_id = models.BigIntegerField(null=True)
    role = models.CharField(max_length=20, blank=True)
