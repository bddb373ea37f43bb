"""导入 — what every import (regions, units, people, teams, places, checklists) shares: the report of what it did
or would do, the problems it found by sheet, row and column (in Chinese), and the XLSX side of it — a template with
Chinese headers, drop-down lists and an example row, reading rows back by header, and the uploaded workbook marked
up with its problems (a comment and a red fill on each bad cell, and a 「导入问题」 sheet listing them all).

An importer validates everything first and writes only when there is no problem, in one transaction (all or
nothing); a dry run stops after the validation. Writing the same file again changes nothing (`unchanged`).
`progress(done, total)` is called as rows are read and written, for a progress bar or a command-line counter.

Core imports no app: the importers themselves live in their apps (regions.importer, accounts.importer, …).

The files are read by maintained libraries — openpyxl for XLSX, pyogrio/Shapely for GeoJSON, Shapefile and KML —
and only the checks and the writes are ours. django-import-export was weighed (issue #13) and not taken: it maps one
sheet to one model row by row, while a county's files need checks across sheets and rows (a unit's parent in the
same file, a grid's main and deputy worker, a team's members against the people list, codes against the region
tree), one all-or-nothing transaction over several models, phones sealed on the way in, people deactivated only when
asked, and the problems written back onto the uploaded workbook by sheet, row and column in Chinese. Its resources
would have wrapped all of that in overrides, leaving two ways to import."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportProblem:
    """One problem: where it is (sheet name — a feature collection or file for non-XLSX sources —, the 1-based
    row as the spreadsheet shows it, the column header) and what is wrong, in Chinese. `row`/`column` are None
    for a problem of the whole sheet or row."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def where(self) -> str:
        """「人员」第 5 行「手机号」 — the place as a person reads it."""
        text = f"「{self.sheet}」" if self.sheet else ""
        if self.row is not None:
            text += f"第 {self.row} 行"
        if self.column:
            text += f"「{self.column}」列"
        return text

    def __str__(self) -> str:
        return f"{self.where()}：{self.message}" if self.where() else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do): counts of rows created, updated (a changed row),
    unchanged and deactivated, and every problem found. `ok` — nothing stands in the way of writing."""

    kind: str = ""
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    # What will change, for the preview before confirming: ("新增"|"修改"|"停用", what, detail) rows.
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(ImportProblem(sheet, row, column, message))

    def change(self, what: str, label: str, detail: str = "") -> None:
        """Count one created/updated/deactivated row (what: "created", "updated", "deactivated") and keep it for
        the preview; "unchanged" only counts."""
        if what == "unchanged":
            self.unchanged += 1
            return
        setattr(self, what, getattr(self, what) + 1)
        self.changes.append((CHANGE_LABELS[what], label, detail))

    def merge(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deactivated += other.deactivated
        self.problems.extend(other.problems)
        self.changes.extend(other.changes)

    def summary(self) -> str:
        """新增 3，修改 1，未变 20，停用 0；问题 2 — one line for the command line and the page."""
        head = "（试运行，未写入）" if self.dry_run else ""
        text = (
            f"{head}新增 {self.created}，修改 {self.updated}，未变 {self.unchanged}，停用 {self.deactivated}"
            f"；问题 {len(self.problems)}"
        )
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "problems": [p.as_dict() for p in self.problems],
            "changes": [list(c) for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            kind=data.get("kind", ""),
            dry_run=data.get("dry_run", False),
            created=data.get("created", 0),
            updated=data.get("updated", 0),
            unchanged=data.get("unchanged", 0),
            deactivated=data.get("deactivated", 0),
            problems=[ImportProblem(**p) for p in data.get("problems", [])],
            changes=[tuple(c) for c in data.get("changes", [])],  # type: ignore[misc]
        )


CHANGE_LABELS = {"created": "新增", "updated": "修改", "deactivated": "停用"}


def audit_import(
    kind: str, source: Path | bytes, report: ImportReport, rows: list, *, actor: Any = None, ip: str | None = None
) -> None:
    """The audit row of one real run (`import.<kind>`), in its transaction: the file (name and SHA-256), the
    counts, and each row created, updated (with the fields that changed) or deactivated — never a value, so
    personal data stays out of the log."""

    data = source.read_bytes() if isinstance(source, Path) else source
    audit_record(
        actor=actor,
        action=f"import.{kind}",
        target=f"import:{kind}",
        ip=ip,
        payload={
            "file": source.name if isinstance(source, Path) else "",
            "sha256": hashlib.sha256(data).hexdigest(),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "deactivated": report.deactivated,
            "rows": rows[:5000],
        },
    )


class ImportRejected(DomainError):
    """A real run found problems and wrote nothing. `report` holds them."""

    status = 422
    code = "import_rejected"
    title = "导入文件有问题，未写入任何数据"

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(f"导入文件有 {len(report.problems)} 个问题，未写入任何数据")


# ---------------------------------------------------------------- XLSX: columns, templates, reading


@dataclass(frozen=True)
class Column:
    """One column of a sheet: `key` for the code, `header` (Chinese) in row 1, `required`, `choices` (shown as a
    drop-down list, the cell holds the label), `example` for the template's example row, `note` as the header's
    comment (format, what it refers to)."""

    key: str
    header: str
    required: bool = False
    choices: Sequence[str] = ()
    example: Any = ""
    note: str = ""
    width: int = 14


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    note: str = ""

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


EXAMPLE_MARK = "示例"  # a row whose first cell starts with this is the template's example: skipped when reading


def template_workbook(sheets: Iterable[Sheet], *, extra: Callable[[Any], None] | None = None) -> bytes:
    """An .xlsx with one sheet per `Sheet`: bold Chinese headers (required ones marked ＊, notes as comments),
    drop-down lists for columns with choices (the lists on a hidden 「选项」 sheet, so they may be long), and
    one example row (its first cell starts with 「示例」 and is skipped on import)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.remove(wb.active)
    lists = None
    list_col = 0
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i, value=col.header)
            cell.font = Font(bold=True, color="C00000" if col.required else "000000")
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            note = "必填。" if col.required else ""
            note += col.note
            if col.choices:
                note += "（从下拉列表选择）"
            if note:
                cell.comment = Comment(note, "GridSafe")
            ws.column_dimensions[get_column_letter(i)].width = col.width
            if col.choices:
                if lists is None:
                    lists = wb.create_sheet("选项")
                    lists.sheet_state = "hidden"
                list_col += 1
                letter = get_column_letter(list_col)
                lists.cell(row=1, column=list_col, value=f"{spec.name}·{col.header}")
                for j, choice in enumerate(col.choices, start=2):
                    lists.cell(row=j, column=list_col, value=choice)
                end = len(col.choices) + 1
                dv = DataValidation(
                    type="list",
                    formula1=f"'选项'!${letter}$2:${letter}${end}",
                    allow_blank=not col.required,
                    showErrorMessage=True,
                    errorTitle="无效的值",
                    error=f"请从下拉列表选择「{col.header}」",
                )
                ws.add_data_validation(dv)
                dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}10000")
        example = []
        for i, col in enumerate(spec.columns):
            value = col.example
            if i == 0:
                value = f"{EXAMPLE_MARK}{value}" if value != "" else EXAMPLE_MARK
            example.append(value)
        ws.append(example)
        for cell in ws[2]:
            cell.font = Font(italic=True, color="808080")
        ws.freeze_panes = "A2"
    if extra is not None:
        extra(wb)
    if lists is not None:
        wb.move_sheet("选项", offset=len(wb.sheetnames))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _normal_header(value: Any) -> str:
    return str(value or "").replace("＊", "").replace("*", "").strip()


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0 (a phone typed as a number), dates as ISO, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class Row:
    """One data row: `number` as the spreadsheet shows it, `values` by column key (text, stripped)."""

    sheet: str
    number: int
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


def open_workbook(source: Path | bytes | IO[bytes]) -> Any:
    from openpyxl import load_workbook

    if isinstance(source, bytes):
        source = io.BytesIO(source)
    # Not read_only: its rows are slower to index by header on wide sheets, and our files are small (< 10 MB).
    return load_workbook(source, data_only=True)


def read_rows(wb: Any, spec: Sheet, report: ImportReport, *, required_sheet: bool = True) -> Iterator[Row]:
    """The data rows of `spec.name` in `wb`, by header (in any order; extra columns ignored), skipping blank rows
    and the template's example row. A missing sheet or column and an empty required cell are reported."""
    if spec.name not in wb.sheetnames:
        if required_sheet:
            report.problem(spec.name, None, None, f"缺少工作表「{spec.name}」")
        return
    ws = wb[spec.name]
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        report.problem(spec.name, 1, None, "工作表为空，缺少表头")
        return
    positions: dict[str, int] = {}
    by_header = {_normal_header(h): i for i, h in enumerate(header) if _normal_header(h)}
    for col in spec.columns:
        if col.header in by_header:
            positions[col.key] = by_header[col.header]
        elif col.required:
            report.problem(spec.name, 1, col.header, f"缺少必填列「{col.header}」")
    if any(col.required and col.key not in positions for col in spec.columns):
        return
    for number, values in enumerate(rows, start=2):
        texts = {key: cell_text(values[i]) if i < len(values) else "" for key, i in positions.items()}
        if not any(texts.values()):
            continue
        first = spec.columns[0].key
        if texts.get(first, "").startswith(EXAMPLE_MARK):
            continue
        row = Row(spec.name, number, texts)
        for col in spec.columns:
            if col.required and not row[col.key]:
                report.problem(spec.name, number, col.header, f"「{col.header}」不能为空")
            elif col.choices and row[col.key] and row[col.key] not in col.choices:
                report.problem(
                    spec.name,
                    number,
                    col.header,
                    f"「{row[col.key]}」不是有效的{col.header}，应为：{'、'.join(col.choices)}",
                )
        yield row


def split_list(text: str) -> list[str]:
    """「a、b，c;d」 → [a, b, c, d]: the separators people type in one cell."""
    for sep in "、，,；;\n ":
        text = text.replace(sep, "|")
    return [part for part in (p.strip() for p in text.split("|")) if part]


# ---------------------------------------------------------------- the marked-up report


def marked_workbook(source: Path | bytes, report: ImportReport) -> bytes:
    """A copy of the uploaded workbook with each problem on its cell (a comment and a red fill; a whole-row
    problem fills the row's first cell) and a first sheet 「导入问题」 listing every problem with its place."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    red = PatternFill("solid", fgColor="FFC7CE")
    try:
        wb = open_workbook(source.read_bytes() if isinstance(source, Path) else source)
    except Exception:  # not a workbook at all (a GeoJSON file, a broken upload): the list alone
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
    notes: dict[tuple[str, int, int], list[str]] = {}
    for problem in report.problems:
        if problem.sheet not in wb.sheetnames or problem.row is None:
            continue
        ws = wb[problem.sheet]
        col_index = 1
        if problem.column:
            for cell in ws[1]:
                if _normal_header(cell.value) == problem.column:
                    col_index = cell.column
                    break
        notes.setdefault((problem.sheet, problem.row, col_index), []).append(problem.message)
    for (sheet, row, col), messages in notes.items():
        cell = wb[sheet].cell(row=row, column=col)
        cell.fill = red
        cell.comment = Comment("\n".join(messages), "GridSafe", width=300, height=120)
    ws = wb.create_sheet("导入问题", 0)
    ws.append(["工作表", "行", "列", "问题"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for problem in report.problems:
        ws.append([problem.sheet, problem.row, problem.column or "", problem.message])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["D"].width = 80
    if not report.problems:
        ws.append(["", "", "", "没有发现问题"])
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
