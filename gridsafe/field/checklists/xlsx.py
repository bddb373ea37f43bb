"""检查表 as XLSX: export any version, a blank template, and reading a file back into an item list with every
problem by row and column, in Chinese (core.importing: the same report, template and mark-up as the other
imports). Reading never writes: the caller hands the items to `checklist_items_save` or `checklist_draft_create`,
which write all or nothing.

The sheet 「检查项」 has one row per item, in order; 「说明」 (export only) says which checklist and version it is."""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation

from gridsafe.catalog.models import Category
from gridsafe.core.importing import Column, ImportReport, Sheet, open_workbook, read_rows, split_list, template_workbook
from gridsafe.field.checklists.services import ItemProblem, ItemSpec, checklist_items_check, item_spec_of
from gridsafe.field.models import ChecklistTemplate, Severity
from gridsafe.places.models import PlaceKind

SHEET = "检查项"
YES, NO = "是", "否"
SEVERITY_LABELS = {Severity.GENERAL: "一般", Severity.POSSIBLY_MAJOR: "可能重大"}
SEVERITY_BY_LABEL = {label: value for value, label in SEVERITY_LABELS.items()}
# The service's field names → the column a person sees.
FIELD_COLUMNS = {
    "code": "编号",
    "question": "检查内容",
    "category": "隐患类别",
    "severity": "严重程度",
    "legal_basis": "判定依据（标准及条款）",
    "applies_to": "适用对象类型",
    "photo_required_on_fail": "不合格须拍照",
    "na_allowed": "允许不适用",
    "weight": "权重",
}


def kind_labels() -> dict[str, str]:
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in PlaceKind.choices}


def category_label(category: Category) -> str:
    return f"{category.name}（{category.code}）"


def _columns(with_choices: bool) -> list[Column]:
    categories = [category_label(c) for c in Category.objects.filter(is_active=True).order_by("domain__sort", "sort")]
    return [
        Column("code", "编号", required=True, example="L01", note="本表内唯一，字母、数字和 - _ .", width=10),
        Column("question", "检查内容", required=True, example="钢瓶均在检验有效期内", width=48),
        Column(
            "category",
            "隐患类别",
            required=True,
            choices=categories if with_choices else (),
            example=categories[0] if categories else "",
            note="不合格时按此类别生成隐患；可填“名称（代码）”或代码",
            width=30,
        ),
        Column("severity", "严重程度", choices=("一般", "可能重大"), example="一般", note="空白为“一般”", width=10),
        Column(
            "legal_basis",
            "判定依据（标准及条款）",
            example="TSG 23-2021《气瓶安全技术规程》第 7.2 条",
            note="“可能重大”的项必填",
            width=40,
        ),
        Column(
            "applies_to",
            "适用对象类型",
            example="",
            note=f"空白为全部；多个用顿号分隔：{'、'.join(kind_labels().values())}",
            width=18,
        ),
        Column("photo", "不合格须拍照", choices=(YES, NO), example=YES, note="空白为“是”", width=12),
        Column("na", "允许不适用", choices=(YES, NO), example=NO, note="空白为“否”", width=10),
        Column("weight", "权重", example=1, note="0–100 的整数，空白为 1；“不适用”不计分", width=8),
    ]


def items_sheet(*, with_choices: bool = True) -> Sheet:
    return Sheet(SHEET, _columns(with_choices), note="每行一个检查项，按行的顺序显示在手机上")


def blank_template() -> bytes:
    """An empty checklist to fill in: Chinese headers, drop-down lists and one example row."""
    return template_workbook([items_sheet()])


def export_version(template: ChecklistTemplate) -> bytes:
    """One version as a workbook: its items in order on 「检查项」 (the same columns an import reads, so the file
    can be edited and imported into a new draft), and 「说明」 naming the checklist and version."""
    items = list(template.items.select_related("category"))
    labels = kind_labels()
    status = dict(template._meta.get_field("status").choices or [])

    def fill(wb: Any) -> None:
        ws = wb[SHEET]
        ws.delete_rows(2)  # the template's example row
        for item in items:
            ws.append(
                [
                    item.code,
                    item.question,
                    category_label(item.category),
                    SEVERITY_LABELS.get(item.severity, item.severity),
                    item.legal_basis,
                    "、".join(labels.get(k, k) for k in item.applies_to or []),
                    YES if item.photo_required_on_fail else NO,
                    YES if item.na_allowed else NO,
                    item.weight,
                ]
            )
        info = wb.create_sheet("说明")
        with translation.override("zh-hans"):
            rows = [
                ("检查表", template.title),
                ("领域", template.domain.name),
                ("对象类型", labels.get(template.place_kind, "全部") if template.place_kind else "全部"),
                ("版本", f"第 {template.version} 版"),
                ("状态", str(status.get(template.status, template.status))),
                ("发布时间", f"{template.published_at:%Y-%m-%d %H:%M}" if template.published_at else ""),
                ("来源", template.source),
                ("修订说明", template.note),
                ("导入", "修改「检查项」后，可在检查表编辑页导入到草稿（新版本）"),
            ]
        for row in rows:
            info.append(row)
        info.column_dimensions["A"].width = 12
        info.column_dimensions["B"].width = 60

    return template_workbook([items_sheet()], extra=fill)


def _yes_no(text: str, default: bool) -> bool | None:
    if not text:
        return default
    return {YES: True, NO: False}.get(text)  # anything else is reported by read_rows (the column's choices)


def _category_code(text: str, by_code: dict[str, Category], by_name: dict[str, list[Category]]) -> str | None:
    """「名称（代码）」, a bare code, or a name that only one category has."""
    if text.endswith(("）", ")")) and ("（" in text or "(" in text):
        inner = text.rstrip("）)").replace("(", "（").rsplit("（", 1)[-1].strip()
        if inner in by_code:
            return inner
    if text in by_code:
        return text
    named = by_name.get(text, [])
    return named[0].code if len(named) == 1 else None


def read_items(data: bytes, *, dry_run: bool = True) -> tuple[list[ItemSpec], ImportReport]:
    """The item list in an uploaded workbook, and a report with every problem by row and column: cells that do
    not read (a severity, 是/否, a weight, an unknown category or place kind) and what the service's check finds
    (duplicate codes, a 可能重大 item without a legal basis, …). Items come back only when the report is ok."""
    report = ImportReport(kind="checklist", dry_run=dry_run)
    try:
        wb = open_workbook(io.BytesIO(data))
    except Exception:  # not a workbook: a renamed file, a broken upload
        report.problem("", None, None, "无法读取该文件，请上传 .xlsx 格式的检查表")
        return [], report
    categories = list(Category.objects.all())
    by_code = {c.code: c for c in categories}
    by_name: dict[str, list[Category]] = {}
    for c in categories:
        by_name.setdefault(c.name, []).append(c)
    kinds = {label: value for value, label in kind_labels().items()} | {v: v for v in PlaceKind.values}
    specs: list[ItemSpec] = []
    rows: list[int] = []
    for row in read_rows(wb, items_sheet(with_choices=False), report):
        problems_before = len(report.problems)
        code = _category_code(row["category"], by_code, by_name) if row["category"] else ""
        if row["category"] and code is None:
            report.problem(
                SHEET, row.number, "隐患类别", f"隐患类别「{row['category']}」不存在或名称不唯一，请从下拉列表选择"
            )
        severity = SEVERITY_BY_LABEL.get(row["severity"] or "一般")
        if severity is None:
            severity = Severity.GENERAL  # reported by read_rows (not one of the choices)
        applies = []
        for part in split_list(row["applies_to"]):
            if part in ("全部", "所有"):
                continue
            if part not in kinds:
                report.problem(SHEET, row.number, "适用对象类型", f"对象类型「{part}」不存在")
            else:
                applies.append(kinds[part])
        photo = _yes_no(row["photo"], True)
        na = _yes_no(row["na"], False)
        weight = 1
        if row["weight"]:
            try:
                weight = int(row["weight"])
            except ValueError:
                report.problem(SHEET, row.number, "权重", f"权重「{row['weight']}」不是整数")
        if len(report.problems) > problems_before:
            continue
        specs.append(
            ItemSpec(
                code=row["code"],
                question=row["question"],
                category_code=code or "",
                severity=severity,
                legal_basis=row["legal_basis"],
                applies_to=tuple(applies),
                photo_required_on_fail=bool(photo),
                na_allowed=bool(na),
                weight=weight,
            )
        )
        rows.append(row.number)
    if report.ok:
        for problem in checklist_items_check(specs).problems:
            _report_item_problem(report, problem, rows)
    if not report.ok:
        return [], report
    report.created = len(specs)
    return specs, report


def _report_item_problem(report: ImportReport, problem: ItemProblem, rows: list[int]) -> None:
    row = rows[problem.index] if problem.index < len(rows) else None
    report.problem(SHEET, row, FIELD_COLUMNS.get(problem.field), problem.message)


def items_of(template: ChecklistTemplate) -> list[ItemSpec]:
    return [item_spec_of(i) for i in template.items.select_related("category")]
