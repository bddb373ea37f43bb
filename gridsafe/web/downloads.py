"""我的下载 — the user's background jobs (core/jobs.py) and their files: the list, one job's page with its progress
bar (htmx polls the bar once a second until the job ends), and the file itself.

Who sees what (one rule, `downloads_visible_to`): a job and its file belong to the user who asked for it; the
审计管理员 sees everyone's (三员分立: the auditor checks what left the system). Anyone else gets 404, the same
as a job that does not exist. Every file fetched is an audit row (download.fetched), whoever fetches it.

A job that ends tells its user in 消息 (`notify_job_done`, registered by WebConfig.ready)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from gridsafe.accounts.models import Role, User
from gridsafe.accounts.permissions import can_manage_users
from gridsafe.core.audit import audit_record
from gridsafe.core.http import client_ip
from gridsafe.core.jobs import KINDS, download_days
from gridsafe.core.models import Job, JobStatus
from gridsafe.notifications.models import Notification, NotificationKind
from gridsafe.web.views import login_required_page

SHOWN = 100  # the newest jobs on the list


def may_check_rollups(user: User) -> bool:
    """统计汇总核对 (dashboards' rollups.check job): the 系统管理员's maintenance, like `gridsafe rollups_check`."""
    return can_manage_users(user)


def sees_all_downloads(user: User) -> bool:
    return user.role == Role.AUDIT_ADMIN


def downloads_visible_to(user: User) -> QuerySet[Job]:
    jobs = Job.objects.select_related("user")
    return jobs if sees_all_downloads(user) else jobs.filter(user=user)


def _job_or_404(user: User, job_id: int) -> Job:
    return get_object_or_404(downloads_visible_to(user), pk=job_id)


@login_required_page
@require_GET
def downloads(request: HttpRequest) -> HttpResponse:
    """我的下载 — the newest jobs first, each with its state, progress, rows, size and expiry. Two queries."""
    jobs = list(downloads_visible_to(request.user)[:SHOWN])
    context = {
        "nav": "downloads",
        "jobs": jobs,
        "all_users": sees_all_downloads(request.user),
        "days": download_days(),
        "busy": any(job.busy for job in jobs),
        "may_check_rollups": may_check_rollups(request.user),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "download-list":
        return render(request, "web/partials/download_list.html", context)
    return render(request, "web/downloads.html", context)


@login_required_page
@require_GET
def download_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request.user, job_id)
    return render(request, "web/download_detail.html", {"nav": "downloads", "job": job, "days": download_days()})


@login_required_page
@require_GET
def download_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress bar alone, polled by htmx while the job runs (the partial stops the polling when it ends)."""
    job = _job_or_404(request.user, job_id)
    return render(request, "web/partials/download_progress.html", {"job": job})


@login_required_page
@require_GET
def download_file(request: HttpRequest, job_id: int) -> FileResponse:
    """The file of a finished job, from the project's storage (local media or S3); audited."""
    job = _job_or_404(request.user, job_id)
    if job.status != JobStatus.DONE or not job.file.name:
        raise Http404("文件不存在或已过期")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在或已过期") from None
    audit_record(
        actor=request.user,
        action="download.fetched",
        target=f"job:{job.pk}",
        ip=client_ip(request),
        payload={"kind": job.kind, "file": job.file_name, "size": job.size, "owner": job.user_id},
    )
    return FileResponse(handle, as_attachment=True, filename=job.file_name)


def notify_job_done(job: Job) -> None:
    """消息 to the user who asked: done (with its rows and expiry) or failed (with the reason)."""
    if job.status == JobStatus.DONE:
        expires = timezone.localtime(job.expires_at).strftime("%Y-%m-%d %H:%M") if job.expires_at else ""
        kind = KINDS.get(job.kind)
        done = kind.summary_of(job.done) if kind else f"共 {job.done} 行"
        title = f"已完成：{job.label}"
        body = f"{done}，请在“我的下载”中下载（{expires} 前有效）。"
    elif job.status == JobStatus.FAILED:
        title, body = f"生成失败：{job.label}", job.error
    else:
        return
    Notification.objects.create(
        user=job.user, kind=NotificationKind.DOWNLOAD, title=title[:200], body=body, created_at=job.finished_at
    )
