"""我的下载: the case list's background export run by the real database task worker, its progress, the file read
back, who may fetch it (the user who asked and the auditor; others 404), the notification, the expiry sweep, and
`gridsafe export cases` on the command line."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from openpyxl import load_workbook

from gridsafe.accounts.models import Role
from gridsafe.accounts.tests.helpers import make_user
from gridsafe.core import clock
from gridsafe.core.jobs import jobs_sweep
from gridsafe.core.models import AuditEvent, Job, JobStatus
from gridsafe.notifications.models import Notification, NotificationKind
from gridsafe.web.exports import EXPORT_COLUMNS
from gridsafe.web.tests.helpers import new_case

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def _start(client, capture, query: str):
    with capture(execute=True):  # the request's commit: the job is enqueued
        response = client.post("/cases/export/", {"query": query})
    assert response.status_code == 302
    return Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1])), response["Location"]


def test_a_background_export_runs_on_the_task_worker_and_lands_in_my_downloads(
    client, committed_world, settings, media, django_capture_on_commit_callbacks
):
    """Committed rows, as the worker (another process in production) sees them; the worker closes its database
    connections between tasks, which only a committed test database survives."""
    people = committed_world
    settings.TASKS = DB_TASKS
    settings.GRIDSAFE_DOWNLOAD_DAYS = 3
    mine = [new_case(people["nanxi_worker"]) for _ in range(3)]
    new_case(people["nanxi_worker"], category="lpg-no-inspection", description="液化气钢瓶超期")
    client.force_login(people["nanxi"])
    job, url = _start(client, django_capture_on_commit_callbacks, "category=fire-ebike-indoor&page=2")
    assert job.status == JobStatus.QUEUED and job.params == {"query": {"category": ["fire-ebike-indoor"]}}

    page = client.get(url).content.decode()  # queued: the bar at 0 %, polling its progress
    assert 'data-percent="0"' in page and f'hx-get="/downloads/{job.pk}/progress/"' in page and "排队中" in page

    call_command("db_worker", batch=True, interval=0)  # the real worker of GRIDSAFE_TASKS_BACKEND=db

    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.DONE, 3, 3, 1)
    assert job.expires_at == job.finished_at + timedelta(days=3)
    progress = client.get(f"/downloads/{job.pk}/progress/").content.decode()
    assert 'data-percent="100"' in progress and "hx-trigger" not in progress  # done: the polling stops
    assert "已处理 3 / 3 行" in progress and f"/downloads/{job.pk}/file/" in progress

    listing = client.get("/downloads/").content.decode()
    assert "隐患清单导出（Excel）" in listing and f"/downloads/{job.pk}/file/" in listing

    response = client.get(f"/downloads/{job.pk}/file/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    rows = _rows(b"".join(response.streaming_content))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert sorted(r[0] for r in rows[1:]) == sorted(c.pk for c in mine)  # the filter held, the other case left out

    note = Notification.objects.get(user=people["nanxi"], kind=NotificationKind.DOWNLOAD)
    assert note.title == "已完成：隐患清单导出（Excel）" and "共 3 行" in note.body
    assert client.get(f"/notifications/{note.pk}/open/")["Location"] == "/downloads/"

    actions = list(AuditEvent.objects.filter(actor=people["nanxi"]).order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["download.requested", "cases.export", "download.fetched"]
    export = AuditEvent.objects.get(action="cases.export", actor=people["nanxi"])
    assert export.payload["rows"] == 3 and export.payload["via"] == "job"

    # A repeated delivery of the task does nothing: the row is no longer queued.
    from gridsafe.core.jobs import job_run

    assert job_run(job.pk) is None
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_only_the_owner_and_the_auditor_reach_a_download(client, people, media, django_capture_on_commit_callbacks):
    new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    job, _ = _start(client, django_capture_on_commit_callbacks, "")  # immediate backend: done on commit
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
    paths = [f"/downloads/{job.pk}/", f"/downloads/{job.pk}/progress/", f"/downloads/{job.pk}/file/"]

    client.force_login(people["bangtou"])  # a township above 南溪村: still not his download
    assert [client.get(p).status_code for p in paths] == [404, 404, 404]
    assert f"/downloads/{job.pk}/" not in client.get("/downloads/").content.decode()
    assert not AuditEvent.objects.filter(action="download.fetched").exists()

    auditor = make_user("auditor_dl", Role.AUDIT_ADMIN)
    client.force_login(auditor)
    listing = client.get("/downloads/").content.decode()
    assert "全部下载" in listing and f"/downloads/{job.pk}/file/" in listing
    response = client.get(f"/downloads/{job.pk}/file/")
    assert response.status_code == 200 and _rows(b"".join(response.streaming_content))[0][0] == "编号"
    fetched = AuditEvent.objects.get(action="download.fetched")
    assert fetched.actor_id == auditor.pk and fetched.payload["owner"] == people["nanxi"].pk


def test_the_sweep_deletes_expired_files_and_reruns_a_job_whose_worker_died(
    client, people, media, django_capture_on_commit_callbacks
):
    new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    job, _ = _start(client, django_capture_on_commit_callbacks, "")
    job.refresh_from_db()
    name = job.file.name
    assert name.startswith("downloads/") and default_storage.exists(name)

    assert jobs_sweep(job.expires_at - timedelta(minutes=1)) == {"expired": 0, "requeued": 0}
    assert default_storage.exists(name)
    assert jobs_sweep(job.expires_at) == {"expired": 1, "requeued": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED and not job.file.name and not default_storage.exists(name)
    assert client.get(f"/downloads/{job.pk}/file/").status_code == 404
    assert "已过期" in client.get("/downloads/").content.decode()

    # A worker killed mid-run leaves the row 进行中 without progress: the sweep runs it again, from scratch.
    stale, _ = _start(client, django_capture_on_commit_callbacks, "")
    long_ago = clock.now() - timedelta(hours=1)
    Job.objects.filter(pk=stale.pk).update(status=JobStatus.RUNNING, file="", done=1, beat_at=long_ago)
    assert jobs_sweep() == {"expired": 0, "requeued": 1}
    stale.refresh_from_db()
    assert stale.status == JobStatus.DONE and stale.attempts == 2 and default_storage.exists(stale.file.name)


def test_a_large_list_is_offered_to_the_background_and_a_small_one_answers_at_once(client, people, settings):
    settings.GRIDSAFE_EXPORT_INLINE_ROWS = 2
    for _ in range(3):
        new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    page = client.get("/cases/export.xlsx", {"state": "pending_review"})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "共 3 条" in html and 'action="/cases/export/"' in html and 'value="state=pending_review"' in html
    assert not AuditEvent.objects.filter(action="cases.export").exists()
    settings.GRIDSAFE_EXPORT_INLINE_ROWS = 3
    response = client.get("/cases/export.xlsx", {"state": "pending_review"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(_rows(b"".join(response.streaming_content))) == 4


def test_the_command_line_export_writes_the_users_list_and_can_be_rerun(people, tmp_path, capsys):
    cases = [new_case(people["nanxi_worker"]) for _ in range(2)]
    out = tmp_path / "cases.xlsx"
    call_command("export", "cases", out=str(out), user="nanxi")
    assert sorted(r[0] for r in _rows(out.read_bytes())[1:]) == sorted(c.pk for c in cases)
    printed = capsys.readouterr()
    assert "2 行" in printed.out
    assert (
        "导出隐患清单：0% · 0/2 行" in printed.err and "导出隐患清单：100% · 2/2 行" in printed.err
    )  # not a TTY: lines
    call_command("export", "cases", out=str(out), user="quanshan")  # re-run: replaced whole, never half a file
    assert _rows(out.read_bytes()) == [tuple(EXPORT_COLUMNS)]
    assert list(tmp_path.iterdir()) == [out]  # no partial file left behind
    audit = AuditEvent.objects.filter(action="cases.export").order_by("seq").last()
    assert audit.actor_id == people["quanshan"].pk and audit.payload["via"] == "cli"


def test_the_terminal_progress_rewrites_one_line_on_a_tty():
    from gridsafe.core.jobs import TerminalProgress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    progress = TerminalProgress(out, "导出")
    for done in (0, 50, 100):
        progress(done, 100)
    progress.end()
    assert (
        out.getvalue().count("\r") == 3
        and out.getvalue().endswith("\n")
        and "导出：100% · 100/100 行" in out.getvalue()
    )


def test_the_demo_has_one_download_ready_and_one_expired(people, media, django_capture_on_commit_callbacks):
    from gridsafe.web.demo_downloads import seed_downloads_demo

    with django_capture_on_commit_callbacks(execute=True):
        seed_downloads_demo()
    assert seed_downloads_demo() == "我的下载：已有示例，跳过"
    ready = Job.objects.get(user=people["county"])
    assert ready.status == JobStatus.DONE and default_storage.exists(ready.file.name)
    assert Job.objects.get(user=people["bangtou"]).status == JobStatus.EXPIRED
    assert Notification.objects.filter(user=people["county"], kind=NotificationKind.DOWNLOAD).count() == 1
