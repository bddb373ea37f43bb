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
