"""The dashboards' long work as background jobs (core/jobs.py), listed under 我的下载: the 工作档案 ZIP (汇总成册) of
a unit and a period, which packs every photo, report and bulletin of the period and can take minutes for a county
year, and the 巡查记录 and 监管对象 exports (a township's year of patrols, a county's places: tens of thousands of
rows). The page starts the job;
the builder checks the 辖区 again on the worker, as the user who asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.utils import timezone

from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotFound
from gridsafe.core.jobs import Built, register_kind
from gridsafe.core.models import Job
from gridsafe.dashboards import supervision as sv
from gridsafe.dashboards.access import visible_region
from gridsafe.dashboards.archives import archive_build, archive_target
from gridsafe.dashboards.bulletins import bulletin_generate, may_generate
from gridsafe.dashboards.periods import parse_period, today
from gridsafe.dashboards.rollups import direct_counts, rollups_diff
from gridsafe.web.exports import CHUNK, query_of, safe_cell, write_sheet


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
    # Imported here: the page's module imports this one (place_filters), and both read the query the same way.
    from gridsafe.dashboards.supervision_views import patrol_filters

    query = job.params.get("query", {})
    patrols = sv.patrol_list(job.user, **patrol_filters(query_of(query)))  # 404 if no longer a supervisor
    total = patrols.count()
    rows = (_patrol_cells(p) for p in patrols.iterator(chunk_size=CHUNK))
    return _sheet(job, path, progress, "巡查记录", PATROL_COLUMNS, rows, total, {"C": 16, "D": 20}, "patrols.export")


def _sheet(job, path: Path, progress, title: str, columns, rows, total: int, widths, action: str) -> Built:
    """A list export's sheet, its audit row (the saved filters and the rows written) and its download name."""

    count = write_sheet(path, title=title, columns=columns, rows=rows, total=total, progress=progress, widths=widths)
    query = job.params.get("query", {})
    audit_record(actor=job.user, action=action, target="xlsx", ip=job.ip, payload={"filters": query, "rows": count})
    return Built(file_name=f"{title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", rows=count)


PLACE_COLUMNS = [
    "名称",
    "领域",
    "村（社区）",
    "网格",
    "地址",
    "联系人",
    "联系电话",
    "上次检查",
    "下次应检",
    "检查状态",
    "未结隐患",
]
DUE_LABELS = {"overdue": "已逾期", "due": "本周到期", "upcoming": "未到期", "inactive": "已停用"}


def place_filters(user, data) -> dict:
    """监管对象's filters from a query (the page's, or the one a background export saved): place_list's keywords.
    A region outside the 辖区 is a 404 (visible_region)."""

    node = data.get("node") or None
    region = visible_region(user, node) if node else None
    due = data.get("due") if data.get("due") in sv.DUE_FILTERS else None
    q = (data.get("q") or "").strip()
    return {
        "domain": data.get("domain") or None,
        "due": due,
        "region_path": region.path if region else None,
        "q": q or None,
    }


def _place_cells(row: dict) -> list:
    place = row["place"]
    values = [
        place.name,
        place.domain.name,
        row["village"],
        row["grid"],
        place.address,
        row["contact_name"],  # masked, as on the page: a download is not a way round 脱敏
        row["contact_phone"],
        _local(place.last_inspected_at),
        _local(place.next_due_at),
        DUE_LABELS.get(row["due_state"], row["due_state"]),
        row["findings"],
    ]
    return [safe_cell(value) for value in values]


def _build_places(*, job, path: Path, progress) -> Built:
    query, now = job.params.get("query", {}), clock.now()
    places = sv.place_list(job.user, now, **place_filters(job.user, query_of(query)))
    total = places.count()

    def rows():
        batch = []
        for place in places.iterator(chunk_size=CHUNK):
            batch.append(place)
            if len(batch) == CHUNK:
                yield from (_place_cells(row) for row in sv.place_rows(batch, now))  # one findings query a batch
                batch = []
        yield from (_place_cells(row) for row in sv.place_rows(batch, now))

    return _sheet(job, path, progress, "监管对象", PLACE_COLUMNS, rows(), total, {"A": 28, "E": 30}, "places.export")


def _build_rollups_check(*, job, path: Path, progress) -> Built:
    """The rollups against a recount and a plain ORM count (what `gridsafe rollups_check` prints), as a sheet of
    differences; one line saying they agree when there is none."""
    progress(0, 3)
    tables = dict(rollups_diff())
    progress(1, 3)
    tables["direct"] = [row for level in (1, 2) for row in direct_counts(level=level)]
    progress(2, 3)
    found = [[name, json.dumps(row, ensure_ascii=False, default=str)] for name, rows in tables.items() for row in rows]
    lines = found or [["全部", "统计汇总与隐患记录的重新计数一致"]]
    write_sheet(path, title="统计汇总核对", columns=["核对项", "差异"], rows=lines, total=len(lines), widths={"B": 120})
    audit_record(
        actor=job.user,
        action="rollups.check",
        target="rollups",
        ip=job.ip,
        payload={name: len(rows) for name, rows in tables.items()},
    )
    progress(3, 3)
    return Built(file_name=f"统计汇总核对-{timezone.localtime():%Y%m%d-%H%M}.xlsx", rows=len(found))


BULLETIN_KINDS = {"monthly": "月度通报", "quarterly": "季度督导"}


def _build_bulletin(*, job, path: Path, progress) -> Built:
    """通报与督导 → 生成: the bulletin is compiled, rendered and stored on its Bulletin row as before (the list and
    the bulletin's page show it); the job's file is a copy of its Word document, and the job's params get the
    bulletin's id so the progress page links to it. Who may generate is checked again here, as the user who asked."""

    if not may_generate(job.user):
        raise NotFound("未找到")
    kind, period = job.params.get("kind", ""), parse_period(job.params.get("period"))
    bulletin = bulletin_generate(kind=kind, period=period, actor=job.user, progress=progress)
    Job.objects.filter(pk=job.pk).update(params={**job.params, "bulletin": bulletin.pk})
    with bulletin.docx.open("rb") as handle, path.open("wb") as out:
        shutil.copyfileobj(handle, out)
    audit_record(
        actor=job.user,
        action="bulletin.generate",
        target=f"bulletin:{bulletin.pk}",
        ip=job.ip,
        payload={"kind": kind, "period": period.key, "doc_no": bulletin.doc_no},
    )
    rows = len(bulletin.summary.get("townships", [])) + len(bulletin.summary.get("departments", []))
    return Built(file_name=f"{bulletin.title}.docx", rows=rows)


def register() -> None:
    register_kind(
        "bulletins.generate",
        label="通报生成（Word）",
        suffix=".docx",
        build=_build_bulletin,
        summary="通报已生成，排名含 {rows} 个单位",
    )
    register_kind(
        "archives.zip", label="工作档案（ZIP）", suffix=".zip", build=_build_archive, summary="共打包 {rows} 份材料"
    )
    register_kind("patrols.xlsx", label="巡查记录导出（Excel）", suffix=".xlsx", build=_build_patrols)
    register_kind("places.xlsx", label="监管对象导出（Excel）", suffix=".xlsx", build=_build_places)
    register_kind(
        "rollups.check",
        label="统计汇总核对",
        suffix=".xlsx",
        build=_build_rollups_check,
        summary="发现 {rows} 处差异（0 处即统计汇总一致）",
    )
