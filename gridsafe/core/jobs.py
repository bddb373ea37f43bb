"""后台任务与我的下载 — long work (exports, generated documents) off the request path, with progress and a file kept
for the user who asked until it expires.

Why here, in core: the pages that start jobs are in web and dashboards, and the command line (ops) runs the same
builders; ops sits above both, so the model (`core.models.Job`, whose only foreign key is AUTH_USER_MODEL) and this
service live in the lowest layer, which imports no app. An app registers its kinds of job (`register_kind`: a
builder that writes one file) in its AppConfig.ready(), the way cases/hooks.py lets higher layers hear of a case
event; a higher layer hears that a job ended through `on_job_done` (web writes the 消息 notification). Who may see
whose downloads is the pages' rule (web/downloads.py: the user who asked, and the 审计管理员), not this module's.

The life of a job: `job_start` (a row, an audit row, the task enqueued after commit) → `job_run` on the worker
(claims the row with a conditional UPDATE, so a repeated delivery never runs it twice; the builder writes to a
temporary file while reporting `progress(done, total)`; the file goes to the default storage — local media or
S3 — and the row says 已完成 with its expiry) → `jobs_sweep` (hourly in `gridsafe worker`: deletes the files of
expired downloads and re-queues a job whose worker died mid-run: a builder starts from scratch, so a re-run is
safe).

Progress goes to the row, at most every PROGRESS_INTERVAL seconds: the builders read in autocommit (no long
transaction), so the page's poll sees each update from any process — unlike Django's cache, which without Redis is
each process's own. An import, which writes inside one transaction that no poll can see into, keeps its counter in
the cache instead (ops/imports.py, through `progress_cache`/`progress_cached` below)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F

from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.models import Job, JobStatus
from gridsafe.core.tasks import task

log = logging.getLogger("gridsafe.jobs")

PROGRESS_INTERVAL = 0.5  # seconds between two progress writes to the row
STALE_AFTER = timedelta(minutes=15)  # a running job without progress for this long lost its worker

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Built:
    """What a builder made: the name the user downloads it under and the number of rows in it."""

    file_name: str
    rows: int


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str  # 隐患清单导出
    suffix: str  # .xlsx
    build: Callable[..., Built]  # build(job=Job, path=Path, progress=Progress) -> Built
    summary: str  # what the rows are, for the 消息 when it is done: "共 {rows} 行"

    def summary_of(self, rows: int) -> str:
        return self.summary.format(rows=rows)


KINDS: dict[str, JobKind] = {}
_DONE_HOOKS: list[Callable[[Job], None]] = []


def register_kind(
    name: str, *, label: str, suffix: str, build: Callable[..., Built], summary: str = "共 {rows} 行"
) -> None:
    """`summary` says what `Built.rows` counts for this kind (rows of a sheet, records in an archive, …)."""
    KINDS[name] = JobKind(name=name, label=label, suffix=suffix, build=build, summary=summary)


def on_job_done(hook: Callable[[Job], None]) -> None:
    """`hook(job)` runs after a job ended (done or failed), outside any transaction."""
    if hook not in _DONE_HOOKS:
        _DONE_HOOKS.append(hook)


def download_days() -> int:
    return settings.GRIDSAFE_DOWNLOAD_DAYS


# ---------------------------------------------------------------- progress


class RowProgress:
    """`progress(done, total)` for a builder: writes the row at most every PROGRESS_INTERVAL seconds (and always at
    the first call, so the total shows at once). The row's `beat_at` is the heartbeat the sweep looks at."""

    def __init__(self, job_id: int, *, interval: float = PROGRESS_INTERVAL):
        self.job_id = job_id
        self.interval = interval
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.last and now - self.last < self.interval:
            return
        self.last = now
        Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
            done=done, total=max(total, done), beat_at=clock.now()
        )


class TerminalProgress:
    """`progress(done, total)` for a command: one line rewritten in place on a terminal; elsewhere (a log, cron) a
    line at every 10 %. `end()` closes the terminal line. Used by `gridsafe export` and `gridsafe import`."""

    def __init__(self, stream, label: str, unit: str = "行"):
        self.stream, self.label, self.unit = stream, label, unit
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1
        self.written = False

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        line = f"{self.label}：{percent}% · {done}/{total} {self.unit} · {time.monotonic() - self.started:.0f} 秒"
        if self.tty:
            self.stream.write("\r" + line)
            self.stream.flush()
            self.written = True
        elif percent // 10 != self.last_tenth:
            self.last_tenth = percent // 10
            self.stream.write(line + "\n")

    def end(self) -> None:
        if self.tty and self.written:
            self.stream.write("\n")
            self.written = False


def progress_cache(key: str, *, timeout: int = 3600) -> Progress:
    """`progress(done, total)` into Django's cache under `key`: for work inside one transaction (imports)."""
    from django.core.cache import cache

    def progress(done: int, total: int) -> None:
        cache.set(key, (done, total), timeout)

    return progress


def progress_cached(key: str, default: tuple[int, int]) -> tuple[int, int]:
    from django.core.cache import cache

    return cache.get(key) or default


# ---------------------------------------------------------------- start, run, sweep


def job_start(*, user, kind: str, params: dict, label: str = "", ip: str | None = None) -> Job:
    """A new job for `user`, run by the worker after the caller's transaction commits. Audited (download.requested)."""
    spec = KINDS[kind]
    job = Job.objects.create(user=user, kind=kind, label=(label or spec.label)[:200], params=params, ip=ip)
    audit_record(
        actor=user, action="download.requested", target=f"job:{job.pk}", ip=ip, payload={"kind": kind, **params}
    )
    transaction.on_commit(lambda: job_run_task.enqueue(job_id=job.pk))
    return job


@task()
def job_run_task(*, job_id: int) -> None:
    job_run(job_id)


def job_run(job_id: int, *, now: datetime | None = None) -> Job | None:
    """Run one queued job to its end. A repeated delivery (the row is no longer 排队中) does nothing."""
    started = now or clock.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=started, beat_at=started, done=0, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = Job.objects.select_related("user").get(pk=job_id)
    spec = KINDS.get(job.kind)
    try:
        if spec is None:
            raise LookupError(f"unknown job kind {job.kind}")
        with TemporaryDirectory(prefix="gridsafe-job-") as folder:
            path = Path(folder) / f"job{spec.suffix}"
            built = spec.build(job=job, path=path, progress=RowProgress(job.pk))
            size = path.stat().st_size
            with path.open("rb") as handle:
                name = default_storage.save(f"downloads/{started:%Y/%m}/{uuid.uuid4().hex}{spec.suffix}", File(handle))
    except Exception as exc:  # the user sees 失败 with the reason; the log has the traceback
        log.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            error=f"生成失败（{type(exc).__name__}），请稍后重试或联系管理员",
            finished_at=clock.now(),
        )
        return _ended(job.pk)
    finished = clock.now()
    landed = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE,
        file=name,
        file_name=built.file_name[:200],
        size=size,
        done=built.rows,
        total=built.rows,
        beat_at=finished,
        finished_at=finished,
        expires_at=finished + timedelta(days=download_days()),
    )
    if not landed:  # swept as stale and re-queued meanwhile: the other run's file is the one kept
        default_storage.delete(name)
        return None
    return _ended(job.pk)


def _ended(job_id: int) -> Job:
    job = Job.objects.select_related("user").get(pk=job_id)
    for hook in _DONE_HOOKS:
        try:
            hook(job)
        except Exception:  # a failed notification must not turn a finished export into a failed one
            log.exception("job %s: done hook %s failed", job.pk, hook)
    return job


def jobs_sweep(now: datetime | None = None) -> dict[str, int]:
    """Hourly in the worker: expired downloads lose their file (the row stays, 已过期, for the record); a job whose
    worker died (running, no progress for STALE_AFTER) is queued again. Safe to run in several workers at once."""
    now = now or clock.now()
    expired = 0
    for job in Job.objects.filter(status=JobStatus.DONE, expires_at__lte=now).only("pk", "file"):
        if Job.objects.filter(pk=job.pk, status=JobStatus.DONE).update(status=JobStatus.EXPIRED, file=""):
            if job.file.name:
                default_storage.delete(job.file.name)
            expired += 1
    requeued = 0
    for job_id in Job.objects.filter(status=JobStatus.RUNNING, beat_at__lt=now - STALE_AFTER).values_list(
        "pk", flat=True
    ):
        if Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, beat_at__lt=now - STALE_AFTER).update(
            status=JobStatus.QUEUED, done=0
        ):
            job_run_task.enqueue(job_id=job_id)
            requeued += 1
    return {"expired": expired, "requeued": requeued}
