"""`gridsafe import cameras FILE.xlsx` and its template, through the import machinery the admin's 数据导入 shares:
ids checked against GB/T 28181 and the place, each camera bound to its grid, GCJ-02 converted, all or nothing,
the same file twice changes nothing."""

import io

from django.core.management import call_command
from openpyxl import load_workbook

from gridsafe.regions.coords import from_wgs84
from gridsafe.regions.models import Region, RegionLevel
from gridsafe.video.models import Camera
from gridsafe.video.tests.helpers import gb_ids


def _grid(village: str) -> Region:
    v = Region.objects.get(name=village, level=RegionLevel.VILLAGE)
    return Region.objects.filter(level=RegionLevel.GRID, path__startswith=v.path + ".").order_by("code").first()


def _workbook(tmp_path, rows) -> str:
    buffer = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buffer):
        pass
    out = tmp_path / "template.xlsx"
    from gridsafe.video.importer import template_cameras

    out.write_bytes(template_cameras())
    wb = load_workbook(out)
    ws = wb["摄像机"]
    headers = [c.value for c in ws[1]]
    for r in range(ws.max_row, 1, -1):
        ws.delete_rows(r)
    for row in rows:
        ws.append([row.get(h, "") for h in headers])
    path = tmp_path / "cameras.xlsx"
    wb.save(path)
    return str(path)


def test_import_cameras_binds_grids_and_is_idempotent(db, tmp_path, capsys):
    grid = _grid("南溪村")
    device, channel = gb_ids(grid, 11)
    gcj_lon, gcj_lat = from_wgs84(grid.center_lon, grid.center_lat, "gcj02")
    good = [
        {
            "通道编码": channel,
            "设备编码": device,
            "名称": "南溪村口",
            "所属": "公安",
            "经度": grid.center_lon,
            "纬度": grid.center_lat,
        },
        {
            "通道编码": gb_ids(grid, 12)[1],
            "设备编码": gb_ids(grid, 12)[0],
            "名称": "南溪小学",
            "所属": "乡镇",
            "经度": gcj_lon,
            "纬度": gcj_lat,
            "坐标系": "GCJ-02",
            "在线状态": "离线",
        },
    ]
    path = _workbook(tmp_path, good)
    call_command("import", "cameras", path)
    cameras = {c.name: c for c in Camera.objects.all()}
    assert set(cameras) == {"南溪村口", "南溪小学"}
    assert cameras["南溪小学"].region_id == grid.pk and not cameras["南溪小学"].is_online
    assert abs(cameras["南溪小学"].lon - grid.center_lon) < 1e-5  # GCJ-02 back to WGS-84
    capsys.readouterr()
    call_command("import", "cameras", path)
    assert "未变" in capsys.readouterr().out or Camera.objects.count() == 2
    assert Camera.objects.count() == 2


def test_import_refuses_bad_ids_and_writes_nothing(db, tmp_path):
    grid = _grid("南溪村")
    device, channel = gb_ids(grid, 21)
    bad = [
        {
            "通道编码": channel,
            "设备编码": device,
            "名称": "好的",
            "所属": "公安",
            "经度": grid.center_lon,
            "纬度": grid.center_lat,
        },
        {
            "通道编码": "11010500001310000001",
            "设备编码": device,
            "名称": "别县编码",
            "所属": "公安",
            "经度": grid.center_lon,
            "纬度": grid.center_lat,
        },
        {
            "通道编码": channel[:10] + "118" + channel[13:-1] + "9",
            "设备编码": device,
            "名称": "NVR 不是通道",
            "所属": "企业",
            "经度": grid.center_lon,
            "纬度": grid.center_lat,
        },
        {
            "通道编码": "123",
            "设备编码": device,
            "名称": "太短",
            "所属": "公安",
            "经度": grid.center_lon,
            "纬度": grid.center_lat,
        },
    ]
    from gridsafe.video.importer import import_cameras

    with open(_workbook(tmp_path, bad), "rb") as handle:
        report = import_cameras(handle.read(), dry_run=False)
    messages = [str(p) for p in report.problems]
    assert not report.ok and Camera.objects.count() == 0
    assert any("350322" in m and "第 3 行" in m for m in messages), messages
    assert any("131" in m and "第 4 行" in m for m in messages), messages
    assert any("20 位数字" in m and "第 5 行" in m for m in messages), messages
