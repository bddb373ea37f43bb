"""数据导入 in the admin: upload → check (a dry run in a background task, with a progress bar) → preview of every
problem and every change → confirm → import (all or nothing) — the same functions as `gridsafe import`
(ops.imports). For the 系统管理员 (三员分立: accounts and reference data are theirs). Loaded by OpsConfig.ready."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header

from gridsafe.accounts.admin import SystemAdminOnly
from gridsafe.core.errors import DomainError
from gridsafe.core.http import client_ip
from gridsafe.core.importing import ImportReport, marked_workbook
from gridsafe.core.input import InputForm
from gridsafe.ops.imports import kinds, run_confirm, run_progress, run_start
from gridsafe.ops.models import ImportRun, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- 数据导入: upload → check → preview → confirm → import


class ImportUploadForm(InputForm):
    kind = forms.ChoiceField(label="导入类型")
    file = forms.FileField(label="文件", help_text="用模板填写的 .xlsx（区划：GeoJSON、Shapefile 压缩包或 KML/KMZ）")
    deactivate_missing = forms.BooleanField(
        label="停用文件中没有的人员（或单位、巡逻队、场所）", required=False, help_text="只在上传完整名单时勾选"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, spec.label) for k, spec in kinds().items()]


PREVIEW_ROWS = 300  # changes listed on the preview page; the counts cover them all


@admin.register(ImportRun)
class ImportRunAdmin(SystemAdminOnly, admin.ModelAdmin):
    """The county's data by upload: the file is checked (a dry run, in a background task, with a progress bar),
    the preview shows every problem by sheet, row and column and what will change, and only a confirmation
    imports it (all or nothing). The marked-up workbook with the problems can be downloaded. Same functions as
    `gridsafe import`."""

    list_display = ("file_name", "kind_label", "status", "summary", "created_by", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = ()
    change_form_template = "admin/ops/importrun/run.html"
    add_form_template = "admin/ops/importrun/upload.html"

    @admin.display(description="导入类型")
    def kind_label(self, obj):
        spec = kinds().get(obj.kind)
        return spec.label if spec else obj.kind

    @admin.display(description="结果")
    def summary(self, obj):
        if not obj.report or "created" not in obj.report:
            return obj.report.get("error", "") if obj.report else ""
        return ImportReport.from_dict(obj.report).summary()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="ops_importrun_progress"),
            path("<int:pk>/confirm/", self.admin_site.admin_view(self.confirm_view), name="ops_importrun_confirm"),
            path("<int:pk>/report.xlsx", self.admin_site.admin_view(self.report_view), name="ops_importrun_report"),
            path(
                "template/<str:kind>.xlsx",
                self.admin_site.admin_view(self.template_view),
                name="ops_importrun_template",
            ),
        ]
        return urls + super().get_urls()

    def _run(self, request, pk: int) -> ImportRun:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = ImportRun.objects.filter(pk=pk).select_related("created_by").first()
        if run is None:
            raise Http404
        return run

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        error = ""
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with transaction.atomic():
                    run = run_start(
                        actor=request.user,
                        kind=form.cleaned_data["kind"],
                        file_name=upload.name,
                        data=upload.read(),
                        deactivate_missing=form.cleaned_data["deactivate_missing"],
                        ip=client_ip(request),
                    )
            except DomainError as exc:
                error = exc.detail
            else:
                return redirect(reverse("admin:ops_importrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "上传导入文件",
            "form": form,
            "error": error,
            "templates": [(k, spec.label) for k, spec in kinds().items() if spec.template],
            "order": [spec.label for spec in kinds().values()],
        }
        return TemplateResponse(request, self.add_form_template, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self._run(request, int(object_id))
        report = ImportReport.from_dict(run.report) if run.report and "created" in run.report else None
        done, total = run_progress(run)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"数据导入：{run.file_name}",
            "original": run,
            "run": run,
            "kind_label": self.kind_label(run),
            "report": report,
            "problems": report.problems[:PREVIEW_ROWS] if report else [],
            "changes": [c for c in report.changes][:PREVIEW_ROWS] if report else [],
            "more_problems": max(0, len(report.problems) - PREVIEW_ROWS) if report else 0,
            "more_changes": max(0, len(report.changes) - PREVIEW_ROWS) if report else 0,
            "busy": run.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING),
            "done": done,
            "total": total,
            "error": (run.report or {}).get("error", ""),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def progress_view(self, request, pk: int):
        """Polled by the run page while it checks or imports (ops/import_progress.js)."""
        run = self._run(request, pk)
        done, total = run_progress(run)
        busy = run.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)
        return JsonResponse(
            {"status": run.status, "label": run.get_status_display(), "done": done, "total": total, "busy": busy}
        )

    def confirm_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = self._run(request, pk)
        if not self.has_change_permission(request, run):
            raise PermissionDenied
        try:
            with transaction.atomic():
                run_confirm(actor=request.user, run=run)
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect(reverse("admin:ops_importrun_change", args=[run.pk]))

    def report_view(self, request, pk: int):
        """The uploaded workbook with each problem on its cell, and a first sheet listing them all."""
        run = self._run(request, pk)
        report = ImportReport.from_dict(run.report) if run.report and "created" in run.report else ImportReport()
        response = HttpResponse(marked_workbook(bytes(run.data), report), content_type=XLSX)
        stem = run.file_name.rsplit(".", 1)[0]
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}-问题报告.xlsx")
        return response

    def template_view(self, request, kind: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        spec = kinds().get(kind)
        if spec is None or spec.template is None:
            raise Http404
        response = HttpResponse(spec.template(), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{spec.label}导入模板.xlsx")
        return response
