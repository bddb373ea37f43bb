"""A production-shaped GridSafe on this machine for bench/load and bench/reliability: a fresh PostgreSQL database,
Redis, gunicorn (`gridsafe serve`, N workers) and optionally `gridsafe worker` (RQ). Loopback only; everything it
starts is stopped on exit, also on error or Ctrl-C."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GRIDSAFE = [PYTHON, "-m", "gridsafe.cli"]
PASSWORD = "gridsafe-demo"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body=None, token: str | None = None, timeout: float = 30) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


class Stack:
    def __init__(self, *, db_url: str, redis_url: str, workers: int = 3, worker: bool = True, env: dict | None = None):
        self.db_url, self.redis_url, self.workers, self.with_worker = db_url, redis_url, workers, worker
        self.dbname = db_url.rsplit("/", 1)[1]
        self.data_dir = Path(tempfile.mkdtemp(prefix="gridsafe-bench-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GRIDSAFE_")},
            "DJANGO_SETTINGS_MODULE": "gridsafe.settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "GRIDSAFE_TASKS_BACKEND": "rq" if worker else "immediate",
            "GRIDSAFE_DATA": str(self.data_dir),
            "GRIDSAFE_SECRET_KEY": secrets.token_urlsafe(48),
            "GRIDSAFE_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "GRIDSAFE_LOG_LEVEL": "ERROR",
            "GRIDSAFE_LOGIN_RATE": "100000/m",
            "GRIDSAFE_INTAKE_RATE": "100000/m",
            **(env or {}),
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    # ------------------------------------------------------------ set-up
    def psql(self, sql: str) -> None:
        base = self.db_url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", base, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)

    def gridsafe(self, *args: str, capture: bool = False) -> str:
        out = subprocess.run([*GRIDSAFE, *args], env=self.env, cwd=ROOT, check=True, capture_output=capture, text=True)
        return out.stdout if capture else ""

    def shell(self, code: str) -> str:
        return self.gridsafe("shell", "-c", code, capture=True)

    def __enter__(self) -> Stack:
        self.psql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{self.dbname}"')
        self.gridsafe("migrate", "--noinput", capture=True)
        self.shell("from gridsafe.demo.world import build_world; build_world()")
        self.start_web()
        if self.with_worker:
            self.worker = subprocess.Popen(
                [*GRIDSAFE, "worker", "--interval", "5"],
                env=self.env,
                cwd=ROOT,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        return self

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [*GRIDSAFE, "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready()

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if http("GET", f"{self.base}/me", timeout=5)[0] == 401:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer")

    # ------------------------------------------------------------ processes
    def kill_web_hard(self) -> None:
        """kill -9 the whole app server, master and workers at once (a power cut of the app host), and reap it."""
        try:
            os.killpg(self.web.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.web.wait(timeout=30)

    def gunicorn_workers(self) -> list[int]:
        """Children of the gunicorn master (`gridsafe serve` execs gunicorn, so the master has our Popen's pid)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.web.pid:
                pids.append(int(stat.parent.name))
        return pids

    def __exit__(self, *exc) -> None:
        for proc in (self.web, self.worker):
            if proc is None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in (self.web, self.worker):
            if proc is None:
                continue
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            self.psql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            pass
        subprocess.run(["rm", "-rf", str(self.data_dir)], check=False)

    # ------------------------------------------------------------ data
    def tokens_and_points(self, count: int) -> list[dict]:
        """`count` grid workers with a fresh bearer token each and a point inside their first grid (direct rows:
        200 PBKDF2 logins would measure the password hasher, not the app)."""
        code = f"""
import json, secrets, datetime
from django.utils import timezone
from gridsafe.accounts.models import ApiToken, User, Role
from gridsafe.accounts.services import token_hash
out = []
for u in User.objects.filter(role=Role.GRID_WORKER, is_active=True).order_by('pk')[:{count}]:
    g = u.grids.order_by('code').first()
    if g is None:
        continue
    key = secrets.token_urlsafe(24)
    ApiToken.objects.create(key_hash=token_hash(key), user=u, expires_at=timezone.now() + datetime.timedelta(hours=6))
    out.append({{"username": u.username, "token": key, "lon": g.center_lon, "lat": g.center_lat}})
print(json.dumps(out))
"""
        return json.loads(self.shell(code).strip().splitlines()[-1])

    def tokens_for(self, kind: str, count: int) -> list[dict]:
        """`count` bearer tokens: village station officers (kind "station_officer", one per village, whose queue
        is their village's cases), or the county centre and leaders (kind "county": county, county_lead and
        leader in turn)."""
        code = f"""
import json, secrets, datetime, itertools
from django.utils import timezone
from gridsafe.accounts.models import ApiToken, User, Role
from gridsafe.accounts.services import token_hash
if "{kind}" == "county":
    users = list(User.objects.filter(username__in=["county", "county_lead", "leader"]).order_by("pk"))
    users = list(itertools.islice(itertools.cycle(users), {count}))
else:
    users = list(User.objects.filter(role=Role.STATION_OFFICER, is_active=True).order_by("pk")[:{count}])
out = []
for u in users:
    key = secrets.token_urlsafe(24)
    ApiToken.objects.create(key_hash=token_hash(key), user=u, expires_at=timezone.now() + datetime.timedelta(hours=6))
    out.append({{"username": u.username, "token": key}})
print(json.dumps(out))
"""
        return json.loads(self.shell(code).strip().splitlines()[-1])
