"""工作档案: for a unit and a period, one ZIP (汇总成册) with an index DOCX listing the records, the inspection and
meeting photos, the 信息材料 files and the bulletins (domain.md §1.7 "有部署、有检查、有记录、有总结").

The ZIP is written to a spooled temporary file (memory up to 32 MB, then disk), never built whole in memory, and
every export is audited."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.db.models import Q
from django.utils import timezone
from docx import Document

from gridsafe.accounts.models import Unit, User
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.uploads import sniff_content_type, strip_metadata
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotFound
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.access import departments_visible_at, visible_department, visible_region
from gridsafe.dashboards.documents import para as _para
from gridsafe.dashboards.documents import set_fonts as _set_cjk
from gridsafe.dashboards.documents import table as _table
from gridsafe.dashboards.models import ActivityKind, Bulletin, InfoReport, LeaderActivity
from gridsafe.dashboards.periods import Period
from gridsafe.regions.cities import subtree_paths, subtree_q
from gridsafe.regions.models import Region, RegionLevel


@dataclass(frozen=True)
class Target:
    key: str  # r:<region code> or u:<unit id>
    name: str
    region: Region | None = None
    unit: Unit | None = None


def archive_units(user: User) -> list[Target]:
    """What the user may archive: their node and the nodes below it (to villages), and the departments there."""
    out = []
    scope = jurisdiction_of(user)
    for path in scope.paths:
        nodes = Region.objects.filter(
            Q(path=path) | Q(path__startswith=path + "."), level__lte=RegionLevel.VILLAGE
        ).defer("geometry")
        top = Region.objects.filter(path=path).first()
        if top is None or top.level > RegionLevel.VILLAGE:
            continue
        for node in nodes.filter(level__lte=top.level + 1).order_by("path"):
            out.append(Target(f"r:{node.code}", node.name, region=node))
            if node.level <= RegionLevel.TOWNSHIP:
                out += [Target(f"u:{u.pk}", u.name, unit=u) for u in departments_visible_at(node)]
    if user.unit_id and user.unit.kind == "department" and not any(t.unit and t.unit.pk == user.unit_id for t in out):
        out.append(Target(f"u:{user.unit_id}", user.unit.name, unit=user.unit))
    return out


def archive_target(user: User, key: str) -> Target:
    kind, _, value = key.partition(":")
    if kind == "r" and value:
        region = visible_region(user, value)
        return Target(key, region.name, region=region)
    if kind == "u" and value.isdigit():
        unit = visible_department(user, int(value))
        return Target(key, unit.name, unit=unit)
    raise NotFound("未找到该单位")


def _safe(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_.（）()" else "_" for ch in name)
    return keep[:80] or "file"


def archive_build(*, target: Target, period: Period, actor: User, ip: str | None = None, progress=None):
    """Returns (an open file positioned at 0, a download name). `ip` is the client's address, for the audit row;
    `progress(done, total)` counts the records packed (an activity with its photos, a report, a bulletin), for the
    background job's progress bar (dashboards/downloads.py)."""
    start_at, end_before = period.start_at(), period.end_before()
    if target.region is not None:
        path = target.region.path
        activities = list(
            LeaderActivity.objects.filter(subtree_q("region_path", path))  # a city: its counties' too
            .filter(held_at__gte=start_at, held_at__lt=end_before)
            .select_related("region")
            .prefetch_related("photos", "grids", "findings")
            .order_by("held_at", "id")
        )
        unit_q = subtree_q("unit__region__path", path)
        ancestors = target.region.ancestor_paths()
        bulletins = Bulletin.objects.filter(region__path__in=[*ancestors, *subtree_paths(path)])
    else:
        activities = []
        unit_q = Q(unit=target.unit)
        bulletins = Bulletin.objects.filter(region=target.unit.region) | Bulletin.objects.filter(
            region__path__in=target.unit.region.ancestor_paths()
        )
    reports = list(
        InfoReport.objects.filter(unit_q, month__gte=period.start.replace(day=1), month__lte=period.end)
        .select_related("unit", "submitted_by")
        .order_by("month", "submitted_at")
    )
    bulletins = list(
        bulletins.filter(period_start__lte=period.end, period_end__gte=period.start).order_by("period_start", "kind")
    )
    if target.region is not None:
        summary = sel.region_report(target.region, period, children=False)
    else:
        summary = sel.department_report(target.unit, period)

    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    photo_rows, report_rows, bulletin_rows = [], [], []
    total = len(activities) + len(reports) + len(bulletins)

    def packed() -> None:
        if progress:
            progress(len(photo_rows) + len(report_rows) + len(bulletin_rows), total)

    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for activity in activities:
            folder = f"检查与例会/{timezone.localtime(activity.held_at):%Y%m%d}-{activity.pk}-{_safe(activity.title)}"
            names = []
            for i, photo in enumerate(activity.photos.all(), start=1):
                name = f"{folder}/照片{i:02d}{PurePosixPath(photo.file.name).suffix}"
                zf.writestr(
                    zipfile.ZipInfo(name, date_time=_zip_time(photo.created_at)),
                    _original_bytes(photo.file, photo.content_type),
                    compress_type=zipfile.ZIP_STORED,
                )
                names.append(name)
            photo_rows.append((activity, names))
            packed()
        for report in reports:
            name = ""
            if report.file:
                name = f"信息材料/{report.month:%Y%m}-{report.pk}-{_safe(report.original_name or report.title)}"
                zf.writestr(
                    zipfile.ZipInfo(name, date_time=_zip_time(report.submitted_at)), _original_bytes(report.file)
                )
            report_rows.append((report, name))
            packed()
        for bulletin in bulletins:
            names = []
            for field in (bulletin.docx, bulletin.xlsx):
                if field:
                    name = f"通报与督导/{_safe(bulletin.title)}{PurePosixPath(field.name).suffix}"
                    with field.open("rb") as fh:
                        zf.writestr(zipfile.ZipInfo(name, date_time=_zip_time(bulletin.generated_at)), fh.read())
                    names.append(name)
            bulletin_rows.append((bulletin, names))
            packed()

        doc = Document()
        _para(doc, f"{target.name}工作档案", size=20, bold=True, center=True, font="黑体")
        _para(
            doc,
            f"{period.label}　生成于 {timezone.localtime(clock.now()):%Y-%m-%d %H:%M}　生成人 {actor.label}",
            size=11,
            center=True,
        )
        _para(doc, "一、领导带队检查与例会", size=15, bold=True, font="黑体")
        if photo_rows:
            _table(
                doc,
                ["日期", "类型", "单位", "标题", "带队/主持", "检查网格", "发现隐患", "照片"],
                [
                    [
                        f"{timezone.localtime(a.held_at):%Y-%m-%d}",
                        "检查" if a.kind == ActivityKind.INSPECTION else "例会",
                        a.region.name,
                        a.title,
                        a.leader_name,
                        "、".join(g.name for g in a.grids.all())[:60],
                        "、".join(f"#{c.pk}" for c in a.findings.all()) or "—",
                        f"{len(names)} 张（{names[0].rsplit('/', 1)[0]}）" if names else "—",
                    ]
                    for a, names in photo_rows
                ],
            )
        else:
            _para(doc, "本期无记录。")
        _para(doc, "二、信息材料", size=15, bold=True, font="黑体")
        if report_rows:
            _table(
                doc,
                ["月份", "单位", "标题", "报送人", "报送时间", "附件"],
                [
                    [f"{r.month:%Y-%m}", r.unit.name, r.title, r.submitted_by.display_name or r.submitted_by.username,
                     f"{timezone.localtime(r.submitted_at):%Y-%m-%d}", name or "—"]
                    for r, name in report_rows
                ],
            )  # fmt: skip
        else:
            _para(doc, "本期无信息材料。")
        _para(doc, "三、通报与督导", size=15, bold=True, font="黑体")
        if bulletin_rows:
            _table(
                doc,
                ["标题", "生成时间", "文件"],
                [[b.title, f"{timezone.localtime(b.generated_at):%Y-%m-%d}", "；".join(n)] for b, n in bulletin_rows],
            )
        else:
            _para(doc, "本期无通报。")
        _para(doc, "四、统计摘要", size=15, bold=True, font="黑体")
        kpis, counts = summary["kpis"], summary["counts"]
        rows = [[label, str(counts.get(k, 0))] for k, label in sel.LABELS["counts"].items()]
        rows += [
            [
                sel.LABELS["kpis"][k],
                "—" if kpis[k]["value"] is None else f"{kpis[k]['value']:.2f}%（{kpis[k]['num']}/{kpis[k]['den']}）",
            ]
            for k in ("handling_rate", "handling_on_time", "closure_rate", "closure_on_time", "rework_rate")
        ]
        _table(doc, ["项目", "数值"], rows)
        p = doc.add_paragraph()
        _set_cjk(p.add_run("本档案由网格安全平台自动汇总，附件与本目录同在一个压缩包中。"), "仿宋", 10)
        buf = io.BytesIO()
        doc.save(buf)
        zf.writestr("目录.docx", buf.getvalue())
    spool.seek(0)
    audit_record(
        actor=actor,
        action="archive.export",
        target=target.key,
        ip=ip,
        payload={
            "period": period.key,
            "activities": len(photo_rows),
            "reports": len(report_rows),
            "bulletins": len(bulletin_rows),
        },
    )
    return spool, f"{_safe(target.name)}-工作档案-{period.key}.zip"


def _original_bytes(field, content_type: str | None = None) -> bytes:
    """A stored original as it goes into the archive: without EXIF GPS, device or author. Intake strips them
    (cases.uploads.accept_upload); this also covers files stored before that, until `strip_photo_metadata` ran."""
    with field.open("rb") as fh:
        cleaned = strip_metadata(fh, content_type or sniff_content_type(fh) or "")
        return (cleaned or fh).read()


def _zip_time(at) -> tuple:
    local = timezone.localtime(at)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
