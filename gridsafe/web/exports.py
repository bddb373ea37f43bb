"""隐患清单 exports: the filtered case list (the list page's own queryset, so rows exported = rows listed) as XLSX or
CSV. A small XLSX answers at once in the request (up to GRIDSAFE_EXPORT_INLINE_ROWS rows); the list's 导出 Excel
button starts a background job (core/jobs.py, kind `cases.xlsx`) that writes the workbook row by row with its
progress and leaves it under 我的下载; `gridsafe export cases --out FILE.xlsx` runs the same writer from the
command line.

Memory stays flat whatever the number of rows: the rows come from a server-side cursor (`iterator(chunk_size)`)
and openpyxl's write-only workbook streams them to a temporary file (bench/export_at_scale: 100,000 cases)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from gridsafe.cases.models import Case, Light, SupervisionLevel
from gridsafe.cases.transitions import state_text
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.input import clean_xml_text
from gridsafe.core.jobs import Built, register_kind
from gridsafe.web.forms import CaseFilterForm
from gridsafe.web.selectors import case_list_for_page, region_options, with_step_times

EXPORT_MAX_ROWS = 50_000  # inside a request (CSV streams; a small XLSX answers at once)
JOB_MAX_ROWS = 1_000_000  # in the background: below Excel's 1,048,576 rows a sheet
CHUNK = 2000  # rows per fetch from the server-side cursor
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXPORT_COLUMNS = [
    "编号",
    "领域",
    "类别",
    "等级",
    "紧急",
    "来源",
    "隐患描述",
    "地址",
    "所属网格",
    "网格代码",
    "状态",
    "结案方式",
    "计入已整改",
    "当前层级",
    "承办单位",
    "责任部门",
    "红黄灯",
    "当前期限",
    "上报时间",
    "签收时间",
    "处置(提交整改)时间",
    "核查时间",
    "结案时间",
    "返工次数",
    "超期环节数",
    "督办",
]


def inline_rows() -> int:
    """Up to this many rows an XLSX export answers at once; beyond, it runs in the background."""
    return settings.GRIDSAFE_EXPORT_INLINE_ROWS


def choice_label(choices, value) -> str:
    """The catalogue's name of a stored choice ("" for none); a value no longer in the choices shows as itself."""
    if value in ("", None):
        return ""
    return str(choices(value).label) if value in choices.values else str(value)


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def safe_cell(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @) is written as text: CSV/formula injection.
    Characters XML cannot hold (stored before core.input refused them) are dropped: one would fail the XLSX."""
    value = clean_xml_text(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class Labels:
    """The catalogue's names of the stored choices, looked up once per export: Django's get_FOO_display() and the
    enums' `.values` rebuild their tables on every call (two thirds of an export's CPU before, bench/export_at_scale)."""

    def __init__(self):
        field = Case._meta.get_field
        self.grade, self.source, self.closure, self.level = (
            {key: str(label) for key, label in field(name).flatchoices}
            for name in ("grade", "source", "closure", "level")
        )
        self.light = {key: str(label) for key, label in Light.choices}
        self.supervision = {key: str(label) for key, label in SupervisionLevel.choices}
        self.states: dict[tuple[str, str], str] = {}

    @staticmethod
    def of(table: dict, value) -> str:
        if value in ("", None):
            return ""
        return table.get(value, str(value))

    def state(self, state: str, closure: str) -> str:
        key = (state, closure or "")
        if key not in self.states:
            self.states[key] = state_text(state, closure)
        return self.states[key]


def export_row(case: Case, now: datetime, labels: Labels | None = None) -> list:
    """One row; "closed" is always written with its outcome, and only 已整改 counts as fixed."""
    return [safe_cell(value) for value in _export_values(case, now, labels or Labels())]


def _export_values(case: Case, now: datetime, labels: Labels) -> list:
    of = labels.of
    return [
        case.pk,
        case.domain.name,
        case.category.name,
        of(labels.grade, case.grade),
        "是" if case.urgent else "否",
        of(labels.source, case.source),
        case.description,
        case.address,
        case.region.name,
        case.region.code,
        labels.state(case.state, case.closure),
        of(labels.closure, case.closure),
        "是" if case.closure == "resolved" else "否",
        of(labels.level, case.level),
        case.holder_unit.name,
        case.department.name if case.department_id else "",
        of(labels.light, case.light_at(now)),
        _local(case.due_at),
        _local(case.created_at),
        _local(case.started_at),
        _local(case.submitted_at),
        _local(case.verified_at),
        _local(case.closed_at),
        case.rework_count,
        len(case.overdue_steps or []),
        of(labels.supervision, case.supervision),
    ]


# ---------------------------------------------------------------- the rows: the list page's filters


def filter_form(user, data: QueryDict | None) -> CaseFilterForm:
    form = CaseFilterForm(data or None, regions=region_options(user))
    if form.is_bound:
        form.is_valid()  # invalid fields are dropped from cleaned_data; the rest still filter
    else:
        form.cleaned_data = {}
    return form


def filtered_cases(user, form: CaseFilterForm):
    return case_list_for_page(user, form.filters(), order=form.ordering, queue=form.queue_key)


def export_cases(user, form: CaseFilterForm, *, limit: int = EXPORT_MAX_ROWS):
    return with_step_times(filtered_cases(user, form))[:limit]


def params_of(data: QueryDict) -> dict[str, list[str]]:
    """The list's query string as JSON for a job's params (the page number is not a filter)."""
    return {key: data.getlist(key) for key in data if key != "page"}


def query_of(params: dict[str, list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, list(values))
    return data


def export_name(ext: str) -> str:
    return f"gridsafe-cases-{timezone.localtime(clock.now()):%Y%m%d-%H%M}.{ext}"


def audit_export(*, user, form: CaseFilterForm, fmt: str, rows: int, ip: str | None, via: str = "") -> None:
    payload = {"format": fmt, "filters": form.active(), "rows": rows}
    if via:
        payload["via"] = via
    audit_record(actor=user, action="cases.export", target=fmt, ip=ip, payload=payload)


# ---------------------------------------------------------------- the writers


def write_sheet(
    out: str | Path | IO[bytes],
    *,
    title: str,
    columns: list[str],
    rows: Iterable[list],
    total: int,
    progress=None,
    widths: dict[str, int] | None = None,
) -> int:
    """One sheet, written row by row (openpyxl write-only: memory does not grow with the rows), a bold frozen
    header first. `progress(done, total)` is called every CHUNK rows and at the end. Returns the rows written.
    Every streamed XLSX export uses it (the case list here, patrols in dashboards/downloads.py)."""
    # Here, not at the top: openpyxl is only needed by the exports and costs every process its import.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for col, width in (widths or {}).items():
        sheet.column_dimensions[col].width = width
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    if progress:
        progress(0, total)
    for row in rows:
        sheet.append(row)
        count += 1
        if progress and count % CHUNK == 0:
            progress(count, total)
    workbook.save(out)
    if progress:
        progress(count, max(total, count))
    return count


def write_xlsx(out: str | Path | IO[bytes], rows: Iterable[Case], *, total: int, progress=None) -> int:
    """The case list's workbook. Returns the number of rows written."""
    now, labels = clock.now(), Labels()
    return write_sheet(
        out,
        title="隐患清单",
        columns=EXPORT_COLUMNS,
        rows=(export_row(case, now, labels) for case in rows),
        total=total,
        progress=progress,
        widths={"A": 8, "G": 40, "H": 24, "I": 16, "O": 20, "P": 20},
    )


def csv_lines(rows: Iterable[Case]):
    """UTF-8 CSV lines with a BOM first, so that Excel opens the Chinese."""

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    now, labels = clock.now(), Labels()
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    for case in rows:
        yield writer.writerow(export_row(case, now, labels))


# ---------------------------------------------------------------- the background job and the command line


def cases_xlsx_file(
    *, user, params: dict[str, list[str]], path: Path, progress: Callable[[int, int], None] | None, ip=None, via: str
) -> Built:
    """The user's filtered list into `path`; one COUNT for the progress bar's total, one audit row at the end."""
    form = filter_form(user, query_of(params) if params else None)
    total = min(filtered_cases(user, form).count(), JOB_MAX_ROWS)
    rows = export_cases(user, form, limit=JOB_MAX_ROWS).iterator(chunk_size=CHUNK)
    count = write_xlsx(path, rows, total=total, progress=progress)
    audit_export(user=user, form=form, fmt="xlsx", rows=count, ip=ip, via=via)
    return Built(file_name=export_name("xlsx"), rows=count)


def _build_cases_xlsx(*, job, path: Path, progress) -> Built:
    return cases_xlsx_file(
        user=job.user, params=job.params.get("query", {}), path=path, progress=progress, ip=job.ip, via="job"
    )


def register() -> None:
    register_kind("cases.xlsx", label="隐患清单导出（Excel）", suffix=".xlsx", build=_build_cases_xlsx)
