"""工作档案 in the background: the page starts a job (辖区 checked first), the worker packs the ZIP with its progress,
and the user downloads it from 我的下载."""

import io
import zipfile

from gridsafe.cases.tests.helpers import jpeg_upload
from gridsafe.core.models import AuditEvent, Job, JobStatus

BANGTOU = "350322101"
LICHENG = "350322001"


def test_the_archive_is_built_by_a_job_and_downloaded_from_my_downloads(
    client, people, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(people["bangtou"])
    client.post("/reports/new/", {"title": "信息一", "file": jpeg_upload()})
    assert 'action="/dashboards/archives/start/"' in client.get("/dashboards/archives/").content.decode()

    assert client.post("/dashboards/archives/start/", {"target": f"r:{LICHENG}", "period": "2026"}).status_code == 404
    assert not Job.objects.exists()  # outside the 辖区: no job at all

    with django_capture_on_commit_callbacks(execute=True):  # the immediate backend runs the job on commit
        response = client.post("/dashboards/archives/start/", {"target": f"r:{BANGTOU}", "period": "2026"})
    job = Job.objects.get()
    assert response["Location"] == f"/downloads/{job.pk}/"
    assert (job.status, job.kind, job.label) == (JobStatus.DONE, "archives.zip", "工作档案：榜头镇 2026年")
    assert job.done >= 1 and job.file_name.endswith(".zip")
    page = client.get(f"/downloads/{job.pk}/").content.decode()
    assert 'data-percent="100"' in page and f"已处理 {job.done} / {job.done} 行" in page

    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get(f"/downloads/{job.pk}/file/").streaming_content)))
    assert "目录.docx" in archive.namelist() and any(n.startswith("信息材料/") for n in archive.namelist())
    assert AuditEvent.objects.get(action="archive.export").actor_id == people["bangtou"].pk

    client.force_login(people["quanshan"])
    assert client.get(f"/downloads/{job.pk}/file/").status_code == 404


def test_the_patrol_list_exports_in_the_background_with_its_filters(
    client, people, settings, tmp_path, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from openpyxl import load_workbook

    from gridsafe.core import clock
    from gridsafe.dashboards.tests.supervision_data import walk
    from gridsafe.regions.models import Region

    settings.MEDIA_ROOT = tmp_path / "media"
    wang = people["nanxi_worker"]
    grid_a = wang.grids.order_by("code").first()
    grid_b = Region.objects.filter(parent=grid_a.parent, is_active=True).exclude(pk=grid_a.pk).order_by("code").first()
    other = grid_b.grid_workers.filter(role="grid_worker").order_by("pk").first()
    now = clock.now()
    walk(wang, grid_a, start=now - timedelta(days=1), seed=3)
    walk(wang, grid_a, start=now - timedelta(days=2), seed=5)
    walk(other, grid_b, start=now - timedelta(days=2), seed=4)

    client.force_login(people["nanxi"])
    assert 'id="sv-patrols-export"' in client.get("/supervision/patrols/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/supervision/patrols/export/", {"query": f"grid={grid_a.code}&page=3"})
    job = Job.objects.get(kind="patrols.xlsx")
    assert response["Location"] == f"/downloads/{job.pk}/" and job.status == JobStatus.DONE and job.done == 2
    content = b"".join(client.get(f"/downloads/{job.pk}/file/").streaming_content)
    rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("开始时间", "结束时间", "村（社区）", "网格", "网格员")
    assert [(r[3], r[4], r[8]) for r in rows[1:]] == [(grid_a.name, wang.display_name, "是")] * 2
    audit = AuditEvent.objects.get(action="patrols.export")
    assert audit.payload == {"filters": {"grid": [grid_a.code]}, "rows": 2}

    client.force_login(people["nanxi_worker"])  # a grid worker supervises no patrols: no job
    assert client.post("/supervision/patrols/export/", {"query": ""}).status_code == 404
    assert Job.objects.count() == 1


def test_the_places_export_keeps_the_jurisdiction_and_the_masking(
    client, people, settings, tmp_path, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    from gridsafe.field.tests.conftest import make_place

    settings.MEDIA_ROOT = tmp_path / "media"
    grid = people["nanxi_worker"].grids.order_by("code").first()
    make_place(grid, name="林记液化气供应点", phone="13812345678")
    make_place(grid, name="南溪3号出租房", kind="rental_housing", domain="rental", risk="yellow")
    make_place(people["licheng_worker"].grids.first(), name="城内2号出租房", kind="rental_housing", domain="rental")

    client.force_login(people["nanxi"])
    assert 'id="sv-places-export"' in client.get("/supervision/places/").content.decode()
    assert client.post("/supervision/places/export/", {"query": f"node={LICHENG}"}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/supervision/places/export/", {"query": "domain=&page=2"})
    job = Job.objects.get(kind="places.xlsx")
    assert job.status == JobStatus.DONE and job.done == 2
    content = b"".join(client.get(f"/downloads/{job.pk}/file/").streaming_content)
    rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    body = {r[0]: r for r in rows[1:]}
    assert set(body) == {"林记液化气供应点", "南溪3号出租房"}  # not the other township's
    assert body["林记液化气供应点"][6] == "138****5678" and "13812345678" not in str(rows)
    assert AuditEvent.objects.get(action="places.export").payload["rows"] == 2


def test_the_system_administrator_checks_the_rollups_in_the_background(
    client, people, settings, tmp_path, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    from gridsafe.accounts.models import Role
    from gridsafe.accounts.tests.helpers import make_user
    from gridsafe.web.tests.helpers import new_case

    settings.MEDIA_ROOT = tmp_path / "media"
    new_case(people["nanxi_worker"])  # a case in the rollups: the recount has something to agree with
    client.force_login(people["nanxi"])
    assert 'id="rollups-check"' not in client.get("/downloads/").content.decode()
    assert client.post("/dashboards/rollups/check/").status_code == 404

    client.force_login(make_user("sysadmin_rc", Role.SYSTEM_ADMIN))
    assert 'id="rollups-check"' in client.get("/downloads/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboards/rollups/check/")
    job = Job.objects.get(kind="rollups.check")
    assert response["Location"] == f"/downloads/{job.pk}/" and job.status == JobStatus.DONE and job.done == 0
    content = b"".join(client.get(f"/downloads/{job.pk}/file/").streaming_content)
    rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    assert rows == [("核对项", "差异"), ("全部", "统计汇总与隐患记录的重新计数一致")]
    assert AuditEvent.objects.filter(action="rollups.check").count() == 1
