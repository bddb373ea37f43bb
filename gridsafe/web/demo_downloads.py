"""Demo life for 我的下载: the county centre's operator exported last month's closed cases (a real job, run now, its
file under 我的下载 with its expiry and a 消息), and 榜头镇 has an older export that has already expired. Idempotent:
a second load adds nothing."""

from datetime import timedelta

from gridsafe.accounts.models import User
from gridsafe.core import clock
from gridsafe.core.jobs import job_run, job_start
from gridsafe.core.models import Job, JobStatus


def seed_downloads_demo(*, seed: int = 0) -> str:
    if Job.objects.filter(kind="cases.xlsx").exists():
        return "我的下载：已有示例，跳过"
    county = User.objects.filter(username="county").first()
    bangtou = User.objects.filter(username="bangtou").first()
    if county is None or bangtou is None:
        return "我的下载：没有示例用户，跳过"
    now = clock.now()
    month_end = now.date().replace(day=1) - timedelta(days=1)
    query = {"state": ["closed"], "created_from": [f"{month_end:%Y-%m}-01"], "created_to": [f"{month_end:%Y-%m-%d}"]}
    job = job_start(user=county, kind="cases.xlsx", params={"query": query}, label="隐患清单导出（Excel）：上月已结案")
    job_run(job.pk)  # the immediate task backend has run it already; a queued one (db, rq) runs it here, once
    job.refresh_from_db()
    old = now - timedelta(days=12)
    Job.objects.create(
        user=bangtou,
        kind="cases.xlsx",
        label="隐患清单导出（Excel）",
        params={"query": {}},
        status=JobStatus.EXPIRED,
        done=860,
        total=860,
        file_name=f"gridsafe-cases-{old:%Y%m%d}-0930.xlsx",
        size=118_000,
        created_at=old,
        started_at=old,
        beat_at=old,
        finished_at=old + timedelta(seconds=4),
        expires_at=old + timedelta(days=7),
        attempts=1,
    )
    return f"我的下载：县中心导出 {job.done} 行（{job.get_status_display()}），榜头镇一份已过期"
