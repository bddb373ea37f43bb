import logging
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from gridsafe.accounts.services import tokens_purge_expired
from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.channels.services.hotline import hotline_outbox_flush
from gridsafe.core.jobs import jobs_sweep
from gridsafe.core.media_sweep import orphan_files_sweep
from gridsafe.dashboards.schedule import JOB_LABELS, oversight_tick
from gridsafe.messaging.tasks import messaging_tick
from gridsafe.notifications.alarms import calendar_alarm_raise
from gridsafe.ops.integrity import audit_checkpoint_write

log = logging.getLogger("gridsafe.worker")


class Command(BaseCommand):
    help = (
        "Background work: the deadline sweep and the oversight calendar (bulletins, 督导 reports, reminders) every"
        " --interval seconds, plus the task worker when tasks are queued (restarted if it exits)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0)
        parser.add_argument("--once", action="store_true", help="one sweep, then exit")

    def task_worker_start(self) -> subprocess.Popen | None:
        """The task worker of the configured backend, as a child process; None when tasks run inline."""
        if settings.TASKS_BACKEND == "db":
            return subprocess.Popen([sys.executable, "-m", "gridsafe.cli", "db_worker"])
        if settings.TASKS_BACKEND == "rq":
            # django-tasks-rq's documented worker: django-rq's rqworker with its Job class, on the queues in TASKS.
            queues = settings.TASKS["default"].get("QUEUES", ["default"])
            return subprocess.Popen(
                [sys.executable, "-m", "gridsafe.cli", "rqworker", "--job-class", "django_tasks_rq.Job", *queues]
            )
        return None

    def task_worker_supervise(self, tasks: subprocess.Popen | None) -> subprocess.Popen | None:
        """A task worker that has exited (crashed, killed by the OOM killer) is started again: without it queued
        notifications would wait silently while the sweep goes on. Checked once per sweep interval, which also
        spaces restarts of a worker that dies at once."""
        if tasks is None or tasks.poll() is None:
            return tasks
        log.error("task worker (pid %s) exited with code %s; starting it again", tasks.pid, tasks.returncode)
        self.stderr.write(f"WARNING: task worker exited with code {tasks.returncode}; restarted")
        return self.task_worker_start()

    def oversight(self) -> None:
        """The oversight calendar (督导日历): bulletins, 督导 reports and reminders that have fallen due, each once
        however many workers tick. A failing job is recorded on its ScheduleRun and retried; nothing here may stop
        the deadline sweep."""
        try:
            runs = oversight_tick()
        except Exception as exc:  # the database went away mid-tick, say: the next tick tries again
            log.exception("oversight tick failed")
            self.stderr.write(f"WARNING: oversight calendar tick failed: {exc}")
            return
        for run in runs:
            line = f"oversight: {JOB_LABELS.get(run.job, run.job)} {run.period} {run.status}"
            (self.stdout if run.status == "done" else self.stderr).write(line)

    def messages_out(self) -> None:
        """SMS/WeCom retries and deferred messages due, the daily digest, webhook retries (gridsafe.messaging)."""
        try:
            done = messaging_tick()
        except Exception as exc:  # a provider or the database failing must not stop the deadline sweep
            log.exception("messaging tick failed")
            self.stderr.write(f"WARNING: messaging tick failed: {exc}")
            return
        if done:
            self.stdout.write(f"messaging: {done}")

    def handle(self, *args, interval, once, **options):
        tasks = None if once else self.task_worker_start()
        self.stopping = False
        previous = signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        try:
            last_hourly = 0.0
            while not self.stopping:
                tasks = self.task_worker_supervise(tasks)
                if time.monotonic() - last_hourly > 3600:
                    missing = calendar_alarm_raise()
                    if missing:
                        self.stderr.write(f"WARNING: working calendar missing for {missing}")
                    orphans = orphan_files_sweep()  # files of uploads whose process died before the row committed
                    if orphans:
                        self.stdout.write(f"media sweep: {len(orphans)} orphan file(s) deleted")
                    downloads = jobs_sweep()  # 我的下载: expired files deleted, jobs of a dead worker re-run
                    if any(downloads.values()):
                        self.stdout.write(f"downloads: {downloads}")
                    purged = tokens_purge_expired()
                    if purged:
                        self.stdout.write(f"API tokens: {purged} expired or idle token(s) deleted")
                    # Signed checkpoint outside the database: lets `audit verify` see rows cut from a chain's end.
                    try:
                        audit_checkpoint_write()
                    except OSError as exc:  # a full or read-only disk must not stop the deadline sweep
                        self.stderr.write(f"WARNING: audit checkpoint not written: {exc}")
                    last_hourly = time.monotonic()
                counts = sweep_due_cases()
                if any(counts.values()):
                    self.stdout.write(f"sweep: {counts}")
                # 12345 replies whose task was lost or whose retry (backoff) is due; a few a tick, so a platform
                # that hangs cannot hold up the deadline sweep for long.
                pushed = hotline_outbox_flush(limit=20)
                if pushed:
                    self.stdout.write(f"12345: {pushed} reply(ies) sent")
                self.oversight()
                self.messages_out()
                if once:
                    break
                time.sleep(interval)
        finally:
            signal.signal(signal.SIGTERM, previous)
            if tasks is not None:
                tasks.terminate()
                try:
                    tasks.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    tasks.kill()
