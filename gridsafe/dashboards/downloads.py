"""The dashboards' long work as background jobs (core/jobs.py), listed under 我的下载: the 工作档案 ZIP (汇总成册) of
a unit and a period, which packs every photo, report and bulletin of the period and can take minutes for a county
year, and the 巡查记录 export (a township's year of patrols is tens of thousands of rows). The page starts the job;
the builder checks the 辖区 again on the worker, as the user who asked."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.utils import timezone

from gridsafe.core.audit import audit_record
from gridsafe.core.jobs import Built, register_kind
from gridsafe.dashboards import supervision as sv
from gridsafe.dashboards.archives import archive_build, archive_target
from gridsafe.dashboards.periods import parse_period, today


def archive_period(key: str | None):
    period = parse_period(key)
    return period if period.start is not None else parse_period(str(today().year))


def _build_archive(*, job, path: Path, progress) -> Built:
    target = archive_target(job.user, job.params.get("target", ""))
    period = archive_period(job.params.get("period"))
    packed = [0]

    def report(done: int, total: int) -> None:
        packed[0] = done
        progress(done, total)

    handle, name = archive_build(target=target, period=period, actor=job.user, ip=job.ip, progress=report)
    with handle, path.open("wb") as out:
        shutil.copyfileobj(handle, out)
    return Built(file_name=name, rows=packed[0])


PATROL_COLUMNS = [
    "开始时间",
    "结束时间",
    "村（社区）",
    "网格",
    "网格员",
    "时长（分钟）",
    "里程（公里）",
    "状态",
    "计入覆盖率",
]


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _patrol_cells(patrol) -> list:
    from gridsafe.web.exports import safe_cell

    row = sv.patrol_row(patrol)
    values = [
        _local(patrol.started_at),
        _local(patrol.ended_at),
        row["village"],
        row["grid"],
        row["worker"],
        row["minutes"] if row["minutes"] is not None else "",
        row["distance_km"],
        row["status_label"],
        "是" if row["counts"] else "否",
    ]
    return [safe_cell(value) for value in values]


def _build_patrols(*, job, path: Path, progress) -> Built:
    from gridsafe.dashboards.supervision_views import patrol_filters
    from gridsafe.web.exports import CHUNK, query_of, write_sheet

    query = job.params.get("query", {})
    patrols = sv.patrol_list(job.user, **patrol_filters(query_of(query)))  # 404 if no longer a supervisor
    total = patrols.count()
    rows = (_patrol_cells(p) for p in patrols.iterator(chunk_size=CHUNK))
    count = write_sheet(
        path,
        title="巡查记录",
        columns=PATROL_COLUMNS,
        rows=rows,
        total=total,
        progress=progress,
        widths={"C": 16, "D": 20},
    )
    audit_record(
        actor=job.user, action="patrols.export", target="xlsx", ip=job.ip, payload={"filters": query, "rows": count}
    )
    return Built(file_name=f"巡查记录-{timezone.localtime():%Y%m%d-%H%M}.xlsx", rows=count)


def register() -> None:
    register_kind("archives.zip", label="工作档案（ZIP）", suffix=".zip", build=_build_archive)
    register_kind("patrols.xlsx", label="巡查记录导出（Excel）", suffix=".xlsx", build=_build_patrols)
