"""The ops app's one model: a run of the admin's 数据导入 (upload → check → preview → confirm → import)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking (检查中)")
    CHECKED = "checked", _("Checked, awaiting confirmation (待确认)")
    REJECTED = "rejected", _("Problems found, nothing written (有问题，未写入)")
    IMPORTING = "importing", _("Importing (导入中)")
    DONE = "done", _("Imported (已导入)")
    FAILED = "failed", _("Failed, nothing written (失败，未写入)")


class ImportRun(models.Model):
    """One upload in the admin's 数据导入 (core.importing; ops.imports): checked as a dry run, shown as a preview, imported when
    confirmed. The uploaded file stays in the row (imports are small spreadsheets), so the confirmed run imports
    exactly the file that was checked, and the marked-up problem report can be made from it at any time."""

    kind = models.CharField(_("import kind"), max_length=20)
    file_name = models.CharField(_("file name"), max_length=200)
    data = models.BinaryField()
    deactivate_missing = models.BooleanField(_("deactivate rows missing from the file"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(_("report"), default=dict, encoder=DjangoJSONEncoder)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data import")
        verbose_name_plural = _("data imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"
