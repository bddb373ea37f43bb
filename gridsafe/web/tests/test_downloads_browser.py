"""导出 Excel in a real browser: the case list's button starts a background job, the job's page shows the bar at 0 %
and polls it (htmx) while the worker runs, the bar reaches 100 %, and the file downloads from the page and again
from 我的下载 in the menu; both files are real workbooks with the listed cases."""

import io
import re

import pytest
from openpyxl import load_workbook

from gridsafe.core.models import Job, JobStatus

pytestmark = pytest.mark.browser

PASSWORD = "gridsafe-demo"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(base)}/$"))


def _case_ids(download) -> list:
    rows = load_workbook(io.BytesIO(open(download.path(), "rb").read()), read_only=True).active.iter_rows(
        values_only=True
    )
    return [row[0] for row in list(rows)[1:]]


def test_export_shows_progress_to_100_and_downloads_from_my_downloads(
    committed_world, serial_live_server, browser_page, settings, tmp_path
):
    from gridsafe.core.jobs import job_run
    from gridsafe.web.tests.helpers import new_case

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # the worker is this test
    cases = [new_case(committed_world["nanxi_worker"]) for _ in range(3)]
    page, base = browser_page, serial_live_server
    _login(page, base, "nanxi")

    page.goto(f"{base}/cases/")
    page.click("#export-xlsx")
    page.wait_for_url(re.compile(r"/downloads/\d+/$"))
    bar = page.locator("#job-progress progress")
    assert bar.get_attribute("value") == "0" and "排队中" in page.inner_text("#job-progress")
    job = Job.objects.get(user=committed_world["nanxi"])
    assert job.status == JobStatus.QUEUED

    # The worker's run. Requests the page makes meanwhile (its polls) wait in the route until this thread is back in
    # Playwright, so the one-connection test server never serves a poll while the job writes.
    page.route("**/*", lambda route: route.continue_())
    job_run(job.pk)
    page.wait_for_selector('#job-progress[data-status="done"]')  # the next htmx poll brought the finished bar
    page.unroute("**/*")
    assert bar.get_attribute("value") == "100"
    assert "100 %" in page.inner_text("#job-progress") and "已处理 3 / 3 行" in page.inner_text("#job-progress")

    with page.expect_download() as first:
        page.click("#job-download")
    assert first.value.suggested_filename.endswith(".xlsx")
    assert sorted(_case_ids(first.value)) == sorted(c.pk for c in cases)

    page.click("#nav-downloads")
    page.wait_for_url(f"{base}/downloads/")
    row = page.locator(f'tr[data-job="{job.pk}"]')
    assert "已完成" in row.inner_text() and "隐患清单导出（Excel）" in row.inner_text()
    with page.expect_download() as second:
        row.get_by_role("link", name="下载").click()
    assert sorted(_case_ids(second.value)) == sorted(c.pk for c in cases)
    assert not page.console_errors
