from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from gridsafe.core.errors import AppendOnlyError


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed: the model refuses, and DB triggers refuse too."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Security-relevant actions outside the case timeline: logins, grants, exports, admin edits."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, default="success")
    ip = models.GenericIPAddressField(null=True, blank=True)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
