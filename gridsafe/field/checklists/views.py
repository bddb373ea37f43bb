"""The checklist editor (检查表配置) pages, for the county centre's configuration roles: the list of checklists and
their versions, one version (a draft is edited in place, with htmx; a published one is read and revised into a new
draft), the preview as the phone shows it, and XLSX import and export. Each view parses, calls one service or
selector and renders; everyone else gets 404 (checklists.permissions)."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridsafe.catalog.models import Category, Domain
from gridsafe.core.errors import DomainError, NotFound
from gridsafe.core.importing import ImportReport, marked_workbook
from gridsafe.core.input import InputForm
from gridsafe.field.checklists import xlsx
from gridsafe.field.checklists.permissions import ensure_can_configure_checklists
from gridsafe.field.checklists.selectors import checklist_groups_for, checklist_version_for, checklist_versions_of
from gridsafe.field.checklists.services import (
    ChecklistDraftExists,
    ChecklistItemsInvalid,
    ItemSpec,
    checklist_draft_create,
    checklist_draft_discard,
    checklist_draft_update,
    checklist_items_check,
    checklist_items_save,
    checklist_publish,
    checklist_retire,
)
from gridsafe.field.models import ChecklistTemplate, Severity
from gridsafe.places.models import PlaceKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024


def page(view):
    """login_required; outside the configuration roles or a missing version: the 404 page; any other refusal as
    a message (a partial for htmx, the error page otherwise) with its status."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "web/404.html", status=404)
        except DomainError as exc:
            if request.headers.get("HX-Request"):
                message = {"level": "error", "text": exc.detail, "stale": exc.status == 409}
                return render(request, "web/partials/message.html", {"message": message}, status=exc.status)
            return render(request, "field/checklists/error.html", {"message": exc.detail}, status=exc.status)

    return login_required(wrapper)


def _kind_choices(blank: str = "全部对象类型（本领域通用）") -> list[tuple[str, str]]:
    with translation.override("zh-hans"):
        return [("", blank)] + [(value, str(label)) for value, label in PlaceKind.choices]


class NewChecklistForm(InputForm):
    domain = forms.ModelChoiceField(
        label="领域", queryset=Domain.objects.filter(is_active=True).order_by("sort", "code"), empty_label=None
    )
    place_kind = forms.ChoiceField(label="对象类型", choices=(), required=False)
    title = forms.CharField(label="检查表名称", max_length=100)
    source = forms.CharField(label="来源（可选）", max_length=200, required=False)
    file = forms.FileField(label="从 XLSX 导入检查项（可选）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place_kind"].choices = _kind_choices()


class HeaderForm(InputForm):
    title = forms.CharField(label="检查表名称", max_length=100)
    source = forms.CharField(label="来源", max_length=200, required=False)
    note = forms.CharField(label="修订说明", max_length=300, required=False)
    revision = forms.IntegerField(widget=forms.HiddenInput)


@dataclass
class Row:
    """One row of the items editor as shown and as posted back, with its problems by field."""

    key: str
    code: str = ""
    question: str = ""
    category: str = ""
    severity: str = Severity.GENERAL
    legal_basis: str = ""
    applies_to: list[str] = field(default_factory=list)
    photo: bool = True
    na: bool = False
    weight: str = "1"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, item) -> Row:
        return cls(
            key=uuid.uuid4().hex[:8],
            code=item.code,
            question=item.question,
            category=item.category.code,
            severity=item.severity,
            legal_basis=item.legal_basis,
            applies_to=list(item.applies_to or []),
            photo=item.photo_required_on_fail,
            na=item.na_allowed,
            weight=str(item.weight),
        )

    @classmethod
    def posted(cls, post, key: str) -> Row:
        return cls(
            key=key,
            code=post.get(f"code_{key}", "").strip(),
            question=post.get(f"question_{key}", "").strip(),
            category=post.get(f"category_{key}", ""),
            severity=post.get(f"severity_{key}", Severity.GENERAL),
            legal_basis=post.get(f"basis_{key}", "").strip(),
            applies_to=post.getlist(f"applies_{key}"),
            photo=bool(post.get(f"photo_{key}")),
            na=bool(post.get(f"na_{key}")),
            weight=post.get(f"weight_{key}", "1").strip() or "1",
        )


def _editor_context(template: ChecklistTemplate, rows: list[Row], message: dict | None = None) -> dict:
    categories = Category.objects.filter(is_active=True).select_related("domain").order_by("domain__sort", "sort")
    by_domain: dict[str, list[tuple[str, str]]] = {}
    for c in categories:
        by_domain.setdefault(c.domain.name, []).append((c.code, c.name))
    return {
        "template": template,
        "rows": rows,
        "category_groups": sorted(by_domain.items(), key=lambda g: g[0] != template.domain.name),
        "kinds": _kind_choices()[1:],
        "severities": [(Severity.GENERAL, "一般"), (Severity.POSSIBLY_MAJOR, "可能重大")],
        "message": message,
    }


def _version_context(request: HttpRequest, template: ChecklistTemplate) -> dict:
    context = {
        "nav": "checklists",
        "template": template,
        "versions": checklist_versions_of(template),
        "kind_label": dict(_kind_choices()).get(template.place_kind, template.place_kind),
    }
    if template.is_draft:
        context["header_form"] = HeaderForm(
            initial={
                "title": template.title,
                "source": template.source,
                "note": template.note,
                "revision": template.revision,
            }
        )
        context.update(_editor_context(template, [Row.of(i) for i in template.items.all()]))
    return context


# ---------------------------------------------------------------- pages


@require_GET
@page
def checklist_list(request: HttpRequest) -> HttpResponse:
    groups = checklist_groups_for(request.user)
    return render(
        request,
        "field/checklists/list.html",
        {"nav": "checklists", "groups": groups, "kind_label": dict(_kind_choices()), "form": NewChecklistForm()},
    )


@require_http_methods(["GET", "POST"])
@page
def checklist_new(request: HttpRequest) -> HttpResponse:
    ensure_can_configure_checklists(request.user)
    form = NewChecklistForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        items = None
        upload = form.cleaned_data["file"]
        if upload is not None:
            items, report = _read_upload(upload)
        if report is None or report.ok:
            try:
                template = checklist_draft_create(
                    actor=request.user,
                    domain=form.cleaned_data["domain"],
                    place_kind=form.cleaned_data["place_kind"],
                    title=form.cleaned_data["title"],
                    source=form.cleaned_data["source"],
                    items=items,
                )
            except ChecklistDraftExists as exc:
                return redirect("checklists:version", template_id=exc.extra["draft_id"])
            return redirect("checklists:version", template_id=template.pk)
    return render(
        request, "field/checklists/new.html", {"nav": "checklists", "form": form, "report": report}, status=200
    )


@require_GET
@page
def checklist_version(request: HttpRequest, template_id: int) -> HttpResponse:
    template = checklist_version_for(request.user, template_id)
    return render(request, "field/checklists/version.html", _version_context(request, template))


@require_POST
@page
def checklist_header(request: HttpRequest, template_id: int) -> HttpResponse:
    template = checklist_version_for(request.user, template_id)
    form = HeaderForm(request.POST)
    if not form.is_valid():
        raise DomainError("请填写检查表名称")
    checklist_draft_update(
        actor=request.user,
        template=template,
        title=form.cleaned_data["title"],
        source=form.cleaned_data["source"],
        note=form.cleaned_data["note"],
        expected_revision=form.cleaned_data["revision"],
    )
    return redirect("checklists:version", template_id=template.pk)


@require_GET
@page
def checklist_blank_row(request: HttpRequest, template_id: int) -> HttpResponse:
    """htmx: one empty row to append to the items editor."""
    template = checklist_version_for(request.user, template_id)
    context = _editor_context(template, [])
    context["row"] = Row(key=uuid.uuid4().hex[:8])
    return render(request, "field/checklists/_row.html", context)


@require_POST
@page
def checklist_items(request: HttpRequest, template_id: int) -> HttpResponse:
    """Save the items editor: rows in the order posted, minus the ones marked for deletion. Problems come back on
    their rows; nothing is written unless the whole list is good."""
    template = checklist_version_for(request.user, template_id)
    keys = request.POST.getlist("row")
    deleted = set(request.POST.getlist("delete"))
    rows = [Row.posted(request.POST, key) for key in keys if key not in deleted]
    specs: list[ItemSpec] = []
    for row in rows:
        try:
            weight = int(row.weight)
        except ValueError:
            row.errors["weight"] = "权重应为整数"
            weight = -1
        specs.append(
            ItemSpec(
                code=row.code,
                question=row.question,
                category_code=row.category,
                severity=row.severity,
                legal_basis=row.legal_basis,
                applies_to=tuple(row.applies_to),
                photo_required_on_fail=row.photo,
                na_allowed=row.na,
                weight=weight,
            )
        )
    status, message = 200, None
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1
    try:
        if any(r.errors for r in rows):  # an unreadable weight (sent as -1): the rest of the list checked too
            raise ChecklistItemsInvalid(checklist_items_check(specs).problems)
        template = checklist_items_save(actor=request.user, template=template, items=specs, expected_revision=revision)
        template = checklist_version_for(request.user, template.pk)
        rows = [Row.of(i) for i in template.items.all()]
        message = {"level": "success", "text": f"已保存 {len(rows)} 个检查项（草稿，发布后手机端可见）"}
    except ChecklistItemsInvalid as exc:
        for problem in exc.problems:
            if problem.index < len(rows) and problem.field != "items":
                rows[problem.index].errors.setdefault(problem.field, problem.message)
        first = exc.problems[0].message if exc.problems and exc.problems[0].field == "items" else ""
        count = sum(len(r.errors) for r in rows)
        text = first or f"有 {count} 处需要修改（已在对应行标出），未保存"
        status, message = 422, {"level": "error", "text": text}
    context = _editor_context(template, rows, message)
    context["template"] = template
    if request.headers.get("HX-Request"):
        context["oob"] = True
        return render(request, "field/checklists/_editor.html", context, status=status)
    full = _version_context(request, template)
    full.update(context)
    return render(request, "field/checklists/version.html", full, status=status)


@require_POST
@page
def checklist_publish_view(request: HttpRequest, template_id: int) -> HttpResponse:
    template = checklist_version_for(request.user, template_id)
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1
    try:
        checklist_publish(actor=request.user, template=template, expected_revision=revision)
    except ChecklistItemsInvalid as exc:
        raise DomainError(f"不能发布：{exc.detail}") from exc
    return redirect("checklists:version", template_id=template.pk)


@require_POST
@page
def checklist_revise(request: HttpRequest, template_id: int) -> HttpResponse:
    """修订 — a new draft version from a published one (or the draft that already exists)."""
    template = checklist_version_for(request.user, template_id)
    try:
        draft = checklist_draft_create(actor=request.user, from_version=template, note=request.POST.get("note", ""))
    except ChecklistDraftExists as exc:
        return redirect("checklists:version", template_id=exc.extra["draft_id"])
    return redirect("checklists:version", template_id=draft.pk)


@require_POST
@page
def checklist_retire_view(request: HttpRequest, template_id: int) -> HttpResponse:
    template = checklist_version_for(request.user, template_id)
    checklist_retire(actor=request.user, template=template)
    return redirect("checklists:version", template_id=template.pk)


@require_POST
@page
def checklist_discard(request: HttpRequest, template_id: int) -> HttpResponse:
    template = checklist_version_for(request.user, template_id)
    checklist_draft_discard(actor=request.user, template=template)
    return redirect("checklists:list")


@require_GET
@page
def checklist_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    """预览 — the version as the field app's 检查 screen draws it (same markup and CSS as field/js/forms.js
    screenVisit), for one place kind: items that do not apply to it are left out, as on the phone."""
    template = checklist_version_for(request.user, template_id)
    kinds = _kind_choices()[1:]
    kind = request.GET.get("kind") or template.place_kind or ""
    if kind and kind not in PlaceKind.values:
        kind = ""
    items = template.items_for(kind) if kind else list(template.items.all())
    return render(
        request,
        "field/checklists/preview.html",
        {"template": template, "items": items, "kind": kind, "kinds": kinds, "kind_label": dict(kinds).get(kind)},
    )


# ---------------------------------------------------------------- XLSX


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _read_upload(upload) -> tuple[list[ItemSpec], ImportReport]:
    if upload.size > MAX_UPLOAD:
        report = ImportReport(kind="checklist", dry_run=True)
        report.problem("", None, None, "文件超过 5 MB")
        return [], report
    return xlsx.read_items(upload.read())


@require_GET
@page
def checklist_template_xlsx(request: HttpRequest) -> HttpResponse:
    ensure_can_configure_checklists(request.user)
    return _xlsx(xlsx.blank_template(), "检查表模板.xlsx")


@require_GET
@page
def checklist_export(request: HttpRequest, template_id: int) -> HttpResponse:
    template = checklist_version_for(request.user, template_id)
    return _xlsx(xlsx.export_version(template), f"{template.title}-第{template.version}版.xlsx")


@require_POST
@page
def checklist_import(request: HttpRequest, template_id: int) -> HttpResponse:
    """导入 into a draft: 「检查」 reports every problem by row and column and writes nothing; 「导入」 does the same
    checks and, when there is no problem, replaces the draft's items (all or nothing); 「下载标注文件」 returns the
    uploaded workbook with each problem marked on its cell."""
    template = checklist_version_for(request.user, template_id)
    upload = request.FILES.get("file")
    action = request.POST.get("action", "check")
    if upload is None:
        raise DomainError("请选择要导入的 XLSX 文件")
    if upload.size > MAX_UPLOAD:
        raise DomainError("文件超过 5 MB")
    data = upload.read()
    items, report = xlsx.read_items(data, dry_run=action != "import")
    if action == "marked":
        return _xlsx(marked_workbook(data, report), f"{template.title}-导入检查结果.xlsx")
    status = 200 if report.ok else 422
    if report.ok and action == "import":
        try:
            revision = int(request.POST.get("revision", ""))
        except ValueError:
            revision = -1
        checklist_items_save(actor=request.user, template=template, items=items, expected_revision=revision, via="xlsx")
        return redirect(reverse("checklists:version", kwargs={"template_id": template.pk}) + "?imported=1")
    context = _version_context(request, template)
    context.update({"report": report, "import_action": action})
    return render(request, "field/checklists/version.html", context, status=status)
