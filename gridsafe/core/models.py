from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridsafe.core.errors import AppendOnlyError


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed: the model refuses, and DB triggers refuse too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Security-relevant actions outside the case timeline: logins, grants, exports, admin edits, reveals of
    personal data. Written only by `core.audit.audit_record`, which chains each row to the one before it."""

    # Position in the hash chain; null only for rows written before the chain existed (migration 0002).
    seq = models.BigIntegerField(_("chain position"), null=True, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=60)
    target = models.CharField(_("target"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, default="success")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    payload = models.JSONField(_("details"), default=dict, encoder=DjangoJSONEncoder)
    key_id = models.CharField(_("signing key"), max_length=8, blank=True)  # which audit key signed `hash` (rotation)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        indexes = [
            # Login lockout counts recent failures per username and per address (accounts/lockout.py).
            models.Index(fields=["action", "target", "created_at"], name="audit_action_target"),
            models.Index(fields=["action", "ip", "created_at"], name="audit_action_ip"),
        ]

    def __str__(self) -> str:
        return f"审计记录 {self.seq or self.pk}（{self.actor_label or '系统'}）"


class CacheVersion(models.Model):
    """The version of one in-process cache of reference data (core.cache): a process rebuilds its copy when the
    number here differs from the one it built from. In the database, not in Django's cache, so that every process
    of every deployment sees an edit (without Redis each gunicorn worker has a cache of its own), and the bump
    commits (or rolls back) with the edit itself."""

    name = models.CharField(max_length=60, primary_key=True)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"
