"""导入摄像机台账 — one XLSX sheet 「摄像机」: the GB/T 28181 device and channel ids, name, owner (公安/乡镇/企业),
address, the point (WGS-84 by default; GCJ-02 or BD-09 as the 坐标系 column says) and online state. Same rules as every
import (core.importing): every problem by row and column in Chinese, nothing written unless there is none, all or
nothing, idempotent — a camera is matched by its 通道编码, so the same file twice changes nothing.

Each camera is bound to the grid its point lies in (regions.locate); the ids' centre code must name that place
(video.gb28181: the county's code, then 00 or the township)."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from gridsafe.accounts.models import User
from gridsafe.core.errors import DomainError
from gridsafe.core.importing import (
    Column,
    ImportReport,
    Progress,
    Sheet,
    audit_import,
    open_workbook,
    read_rows,
    template_workbook,
)
from gridsafe.video.gb28181 import id_problems
from gridsafe.video.models import Camera, Owner
from gridsafe.video.services import camera_place

OWNERS = {label: value for value, label in Owner.choices}
CRS = {"WGS-84": "wgs84", "GCJ-02": "gcj02", "BD-09": "bd09", "CGCS2000": "cgcs2000"}
STATUS = {"在线": True, "离线": False}
USE = {"在用": True, "停用": False}

SHEET = Sheet(
    "摄像机",
    [
        Column(
            "channel_id",
            "通道编码",
            True,
            example="35032201001310000001",
            note="GB/T 28181 20 位，类型码 131/132",
            width=24,
        ),
        Column("device_id", "设备编码", True, example="35032201001320000001", note="IPC 本身或所接 NVR/DVR", width=24),
        Column("name", "名称", True, example="南溪村村口", width=24),
        Column("owner", "所属", True, choices=list(OWNERS), example="公安"),
        Column("address", "安装地址", example="榜头镇南溪村村委会门口", width=28),
        Column("lon", "经度", True, example=119.05),
        Column("lat", "纬度", True, example=25.38),
        Column("crs", "坐标系", choices=list(CRS), example="WGS-84", note="空为 WGS-84（GPS）"),
        Column("online", "在线状态", choices=list(STATUS), example="在线", note="空为在线"),
        Column("status", "状态", choices=list(USE), example="在用", note="空为在用"),
    ],
)

FIELD_NAMES = {
    "device_id": "设备编码",
    "name": "名称",
    "owner": "所属",
    "address": "安装地址",
    "lon": "经度",
    "lat": "纬度",
    "region_id": "网格",
    "region_path": "网格",
    "is_online": "在线状态",
    "is_active": "状态",
}


def template_cameras() -> bytes:
    return template_workbook([SHEET])


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def import_cameras(
    source: Path | bytes,
    *,
    dry_run: bool,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    ip: str | None = None,
) -> ImportReport:
    """摄像机台账. `deactivate_missing` stops the cameras the file no longer lists."""
    report = ImportReport(kind="cameras", dry_run=dry_run)
    wb = open_workbook(source)
    if SHEET.name not in wb.sheetnames:
        report.problem("", None, None, f"文件中没有「{SHEET.name}」工作表")
        return report
    rows = list(read_rows(wb, SHEET, report))
    total = len(rows)
    if progress:
        progress(0, total)
    existing = {c.channel_id: c for c in Camera.objects.all()}
    seen: dict[str, int] = {}
    plan: list[tuple[Camera | None, dict]] = []
    for done, row in enumerate(rows, start=1):
        sheet, n = SHEET.name, row.number
        channel = row["channel_id"].replace(" ", "")
        if channel in seen:
            report.problem(sheet, n, "通道编码", f"通道编码「{channel}」与第 {seen[channel]} 行重复")
            continue
        seen[channel] = n
        owner = OWNERS.get(row["owner"])
        if owner is None:
            report.problem(sheet, n, "所属", f"所属应为 {'、'.join(OWNERS)}")
        if len(row["name"]) > 100:
            report.problem(sheet, n, "名称", "名称不能超过 100 个字")
        crs = CRS.get(row["crs"] or "WGS-84")
        if crs is None:
            report.problem(sheet, n, "坐标系", f"坐标系应为 {'、'.join(CRS)}")
            continue
        lon, lat = _float(row["lon"]), _float(row["lat"])
        if lon is None or not 73 <= lon <= 136:
            report.problem(sheet, n, "经度", f"经度「{row['lon']}」无效，应为 73–136 之间的十进制度")
        if lat is None or not 3 <= lat <= 54:
            report.problem(sheet, n, "纬度", f"纬度「{row['lat']}」无效，应为 3–54 之间的十进制度")
        if lon is None or lat is None or not (73 <= lon <= 136 and 3 <= lat <= 54):
            continue
        try:
            wgs_lon, wgs_lat, grid = camera_place(lon=lon, lat=lat, crs=crs)
        except DomainError as error:
            report.problem(sheet, n, "经度", error.detail)
            continue
        parts = grid.path.split(".")
        township = parts[0] + parts[1] if len(parts) > 1 else None
        device = row["device_id"].replace(" ", "")
        labels = {"device_id": "设备编码", "channel_id": "通道编码"}
        for field, message in id_problems(device, channel, county_code=parts[0], township_code=township):
            report.problem(sheet, n, labels[field], message)
        if owner is None:
            continue
        values = {
            "device_id": device,
            "name": row["name"][:100],
            "owner": owner,
            "address": row["address"][:200],
            "lon": wgs_lon,
            "lat": wgs_lat,
            "region_id": grid.region_id,
            "region_path": grid.path,
            "is_online": STATUS.get(row["online"], True),
            "is_active": USE.get(row["status"], True),
        }
        plan.append((existing.get(channel), {"channel_id": channel, **values}))
        if progress and done % 200 == 0:
            progress(done, total)
    listed = {values["channel_id"] for _c, values in plan}
    missing = [c for ch, c in existing.items() if ch not in listed and c.is_active] if deactivate_missing else []
    changes = []
    for camera, values in plan:
        if camera is None:
            changes.append(("created", camera, values, []))
        else:
            changed = [k for k, v in values.items() if getattr(camera, k) != v]
            changes.append(("updated" if changed else "unchanged", camera, values, changed))
    names = lambda fields: "、".join(dict.fromkeys(FIELD_NAMES.get(f, f) for f in fields))  # noqa: E731
    if not report.ok or dry_run:
        for what, _camera, values, changed in changes:
            report.change(what, values["name"], names(changed))
        for camera in missing:
            report.change("deactivated", camera.name)
        return report
    audit_rows: list = []
    with transaction.atomic():
        new = []
        for what, camera, values, changed in changes:
            if what == "created":
                new.append(Camera(**values))
                audit_rows.append(["created", values["channel_id"], values["name"]])
            elif what == "updated":
                assert camera is not None
                Camera.objects.filter(pk=camera.pk).update(**{k: values[k] for k in changed})
                audit_rows.append(["updated", values["channel_id"], changed])
            report.change(what, values["name"], names(changed))
        Camera.objects.bulk_create(new, batch_size=500)
        for camera in missing:
            Camera.objects.filter(pk=camera.pk).update(is_active=False)
            report.change("deactivated", camera.name)
            audit_rows.append(["deactivated", camera.channel_id, ["is_active"]])
        audit_import("cameras", source, report, audit_rows, actor=actor, ip=ip)
    if progress:
        progress(total, total)
    return report
