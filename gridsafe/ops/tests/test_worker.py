"""`gridsafe worker` supervises the task worker it starts: a child that exits is noticed and started again."""

import logging
import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.test import override_settings

from gridsafe.ops.management.commands import worker


def test_a_dead_task_worker_is_restarted_with_a_log_line(monkeypatch, caplog, capsys):
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen  # worker.subprocess is the subprocess module: keep the real one for the children

    def popen(args, **kwargs):
        assert args[-1] == "db_worker"
        # The first task worker dies at once (exit code 3); the one started after it keeps running.
        code = "raise SystemExit(3)" if not started else "import time; time.sleep(60)"
        child = real_popen([sys.executable, "-c", code])
        started.append(child)
        return child

    sleeps = []
    real_sleep = time.sleep  # patched on the time module: Popen.wait(timeout=...) sleeps through it too

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 1:
            started[0].wait()  # the next round finds it dead
        elif len(sleeps) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # how systemd stops the worker
        else:
            real_sleep(seconds)

    monkeypatch.setattr(worker.subprocess, "Popen", popen)
    monkeypatch.setattr(worker.time, "sleep", sleep)
    for name in ("calendar_alarm_raise", "orphan_files_sweep", "tokens_purge_expired", "audit_checkpoint_write"):
        monkeypatch.setattr(worker, name, lambda: None)
    monkeypatch.setattr(worker, "sweep_due_cases", lambda: {})
    monkeypatch.setattr(worker, "jobs_sweep", lambda: {})  # 我的下载's expiry: web/tests/test_downloads
    monkeypatch.setattr(worker, "oversight_tick", lambda: [])  # the calendar's own tests: dashboards/test_schedule

    with override_settings(TASKS_BACKEND="db"), caplog.at_level(logging.ERROR, logger="gridsafe.worker"):
        call_command("worker", interval=0)

    assert len(started) == 2
    assert started[0].returncode == 3
    assert started[1].returncode is not None  # the restarted one is stopped with the worker, not left behind
    assert f"task worker (pid {started[0].pid}) exited with code 3; starting it again" in caplog.text
    assert "task worker exited with code 3; restarted" in capsys.readouterr().err
