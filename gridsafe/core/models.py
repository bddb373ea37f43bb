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


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期"


class Job(models.Model):
    """One piece of long work a user asked for (an export, a generated document): queued, run by the worker with its
    progress, and its file kept for the user under 我的下载 until it expires. The service is core/jobs.py."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    kind = models.CharField("类型", max_length=40)
    label = models.CharField("名称", max_length=200)
    params = models.JSONField("参数", default=dict, encoder=DjangoJSONEncoder, blank=True)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField("已处理行数", default=0)
    total = models.PositiveIntegerField("总行数", default=0)
    file = models.FileField("文件", upload_to="downloads/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField("下载文件名", max_length=200, blank=True)
    size = models.BigIntegerField("文件大小（字节）", default=0)
    error = models.TextField("错误", blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("运行次数", default=0)
    created_at = models.DateTimeField("申请时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    beat_at = models.DateTimeField("最近进度时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务与下载"
        verbose_name_plural = "后台任务与下载"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_by_user"),
            models.Index(fields=["status", "expires_at"], name="job_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        if self.status in (JobStatus.DONE, JobStatus.EXPIRED):
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)  # 100 % when the file is stored, not while it is saved

    @property
    def busy(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
