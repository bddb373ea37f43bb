"""bench/intake — how fast GridSafe takes in hazard reports (上报), against two floors, in one run.

  full   POST /api/v1/cases through gunicorn with a bearer token: the whole product path (auth, validation,
         locate, jurisdiction, deadlines, the case + event rows, the after-commit notification task).
  floor  POST /bench/floor/cases on the same gunicorn: a bare Django view that only inserts the same two rows
         in one transaction (bench/floor_views.py, mounted by bench/floor_settings.py — not in the product).
  raw    the same two rows inserted straight through psycopg, one transaction per case, same concurrency.

Set-up: drops and recreates the database (default gridsafe_bench), `python -m gridsafe.cli migrate`, builds the
demo world and template cases (bench/setup_world.py), starts gunicorn on a free loopback port, then for each figure
warms up and counts completions inside a fixed window. Stops everything it started, also on Ctrl-C or error.
Exit status 1 when any request failed or the rows in the database do not add up."""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import rows  # noqa: E402

DESCRIPTION = "楼道内有电动车充电，插线板从窗户拉出"
PHASES = ("full", "floor", "raw")


# ---------------------------------------------------------------- set-up


def log(msg: str) -> None:
    print(f"[intake {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_checked(cmd: list[str], env: dict, what: str) -> str:
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{what} failed (exit {proc.returncode})")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own session, so it and its workers can be stopped by its pid's process group."""

    def __init__(self, args, env: dict, logdir: Path):
        self.port = free_port()
        self.log_path = logdir / "gunicorn.log"
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "gridsafe.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--timeout",
            "60",
            "--chdir",
            str(ROOT),
            "--log-level",
            "warning",
        ]
        if args.access_log:
            cmd += ["--access-logfile", str(logdir / "access.log")]
        self.cmd = cmd
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}):\n{self.log_path.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/me")
                status = conn.getresponse().status
                conn.close()
                if status == 401:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn not ready after {timeout}s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:  # any worker left behind (the group is gunicorn's own session: its pid)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log_file.close()


# ---------------------------------------------------------------- CPU accounting (Linux /proc)

_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[str, int, float] | None:
    """(comm, ppid, cpu seconds) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TCK


def cpu_snapshot(server_pid: int | None, client_pids: tuple[int, ...] = (), db_name: str = "") -> dict:
    """CPU seconds used so far, per process, by the gunicorn master and workers, by every postgres process and by
    the load-generator processes, and by the whole machine (busy = neither idle nor iowait)."""
    procs: dict[int, tuple[str, float]] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        st = _stat(pid)
        if st is None:
            continue
        comm, ppid, cpu = st
        if comm == "postgres":
            # Only backends (and autovacuum workers) of the benchmark's database: the server may be shared.
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f" {db_name} " in f" {title} ":
                procs[int(pid)] = ("postgres", cpu)
        elif int(pid) in client_pids:
            procs[int(pid)] = ("clients", cpu)
        elif server_pid is not None and (int(pid) == server_pid or ppid == server_pid):
            procs[int(pid)] = ("server", cpu)
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        busy = (sum(values[:8]) - values[3] - values[4]) / _TCK
    except (OSError, ValueError, IndexError):
        busy = 0.0
    return {"procs": procs, "machine": busy}


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds between two snapshots by group; a process that started in between counts whole, one that
    ended in between is lost (none of ours should)."""
    used = {"server": 0.0, "postgres": 0.0, "clients": 0.0}
    for pid, (group, cpu) in after["procs"].items():
        start = before["procs"].get(pid)
        used[group] += cpu - (start[1] if start and start[0] == group else 0.0)
    used["machine"] = after["machine"] - before["machine"]
    return used


# ---------------------------------------------------------------- load generation (child processes)


class Client:
    """One concurrent client: one keep-alive connection (HTTP) or one database connection (raw)."""

    def __init__(self, kind: str, cfg: dict, seed: int):
        self.kind = kind
        self.cfg = cfg
        self.rng = random.Random(seed)
        self.conn = None
        self.headers = {"Content-Type": "application/json"}
        if kind == "raw":
            self.db = psycopg.connect(cfg["db_url"], autocommit=True)
            self.templates = rows.load_templates(self.db.cursor(), cfg["templates"])
        else:
            self.conn = http.client.HTTPConnection("127.0.0.1", cfg["port"], timeout=60)
            if kind == "full":
                status, body = self.post("/api/v1/auth/token", {"username": cfg["user"], "password": cfg["password"]})
                if status != 200:
                    raise RuntimeError(f"token: HTTP {status}: {body[:300]!r}")
                self.headers["Authorization"] = f"Bearer {json.loads(body)['token']}"

    def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        self.conn.request("POST", path, json.dumps(payload), self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def one(self, point) -> str | None:
        """Create one case. None when it went as expected, else a description of the failure."""
        lon, lat, grid = point
        ci = self.rng.randrange(len(self.cfg["categories"]))
        client_id = uuid.uuid4()
        template = grid * len(self.cfg["categories"]) + ci
        if self.kind == "raw":
            cursor = self.db.cursor()
            with self.db.transaction():
                rows.insert_case(
                    cursor,
                    self.templates[template],
                    client_id=client_id,
                    lon=lon,
                    lat=lat,
                    now=dt.datetime.now(dt.UTC),
                )
            return None
        if self.kind == "full":
            payload = {
                "client_id": str(client_id),
                "category": self.cfg["categories"][ci],
                "description": DESCRIPTION,
                "lon": lon,
                "lat": lat,
                "accuracy_m": 8.0,
            }
            status, body = self.post("/api/v1/cases", payload)
        else:
            status, body = self.post(
                "/bench/floor/cases", {"client_id": str(client_id), "lon": lon, "lat": lat, "t": template}
            )
        if status != 201:
            return f"HTTP {status}: {body[:300]!r}"
        return None

    def close(self) -> None:
        if self.kind == "raw":
            self.db.close()
        elif self.conn is not None:
            self.conn.close()


def client_thread(kind, cfg, index, barrier, go, start_at, results) -> None:
    out = {"ok": 0, "window_ok": 0, "errors": 0, "messages": [], "latencies": []}
    client = None
    try:
        client = Client(kind, cfg, seed=cfg["seed"] * 1000 + index)
    except Exception as exc:
        out["errors"] += 1
        out["messages"].append(f"set-up: {exc!r}")
    barrier.wait()
    go.wait()
    if client is None:
        results.put(out)
        return
    t_start = start_at.value + cfg["warmup"]
    t_end = t_start + cfg["duration"]
    points = cfg["points"]
    i = index * 7919
    sent = 0
    while sent < cfg["max_requests"]:
        began = time.monotonic()
        if began >= t_end:
            break
        try:
            failure = client.one(points[i % len(points)])
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            if kind != "raw":
                client.conn.close()  # reconnects on the next request
        done = time.monotonic()
        i += 1
        sent += 1
        if failure is not None:
            out["errors"] += 1
            if len(out["messages"]) < 5:
                out["messages"].append(failure)
            continue
        out["ok"] += 1
        if t_start <= done < t_end:
            out["window_ok"] += 1
            out["latencies"].append(done - began)
    client.close()
    results.put(out)


def client_process(kind, cfg, first_index, barrier, go, start_at, results) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    threads = [
        threading.Thread(target=client_thread, args=(kind, cfg, first_index + t, barrier, go, start_at, results))
        for t in range(cfg["threads"])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_phase(kind: str, cfg: dict, procs: int, live: list, server_pid: int | None) -> dict:
    ctx = mp.get_context("fork")
    n = procs * cfg["threads"]
    barrier = ctx.Barrier(n + 1)
    go = ctx.Event()
    start_at = ctx.Value("d", 0.0)
    results = ctx.Queue()
    children = [
        ctx.Process(target=client_process, args=(kind, cfg, p * cfg["threads"], barrier, go, start_at, results))
        for p in range(procs)
    ]
    live.extend(children)
    for c in children:
        c.start()
    barrier.wait(timeout=120)  # every client connected (and holds its token)
    start_at.value = time.monotonic() + 0.05
    go.set()
    log(f"{kind}: {n} clients, warm-up {cfg['warmup']}s, window {cfg['duration']}s")
    time.sleep(max(0.0, start_at.value + cfg["warmup"] - time.monotonic()))
    client_pids = tuple(c.pid for c in children)
    cpu0 = cpu_snapshot(server_pid, client_pids, cfg["db_name"])
    spy = None
    if cfg.get("py_spy") and kind in cfg["py_spy_phases"] and server_pid is not None:
        out = Path(cfg["py_spy"]).with_suffix(f".{kind}.txt")
        spy = subprocess.Popen(
            [
                cfg["py_spy_bin"],
                "record",
                "--pid",
                str(server_pid),
                "--subprocesses",
                "--format",
                "raw",
                "--rate",
                "250",
                "--nonblocking",
                "--duration",
                str(int(cfg["duration"])),
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        live.append(spy)
    time.sleep(max(0.0, start_at.value + cfg["warmup"] + cfg["duration"] - time.monotonic()))
    cpu1 = cpu_snapshot(server_pid, client_pids, cfg["db_name"])
    if spy is not None:
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.terminate()
            spy.wait()
        live.remove(spy)
        log(f"{kind}: py-spy on-CPU samples of the gunicorn workers in {out} (summary: bench/spy_summary.py)")
    outs = [results.get(timeout=cfg["warmup"] + cfg["duration"] + 120) for _ in range(n)]
    for c in children:
        c.join(timeout=30)
        live.remove(c)
    used = cpu_used(cpu0, cpu1)
    ours = used["server"] + used["postgres"] + used["clients"]
    lat = sorted(x for o in outs for x in o["latencies"])
    window_ok = sum(o["window_ok"] for o in outs)
    return {
        "kind": kind,
        "clients": n,
        "ok": sum(o["ok"] for o in outs),
        "window_ok": window_ok,
        "rate": window_ok / cfg["duration"],
        "errors": sum(o["errors"] for o in outs),
        "messages": list(dict.fromkeys(m for o in outs for m in o["messages"]))[:5],
        "p50_ms": 1000 * statistics.median(lat) if lat else None,
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None,
        # CPU milliseconds per case inside the window: gunicorn, postgres, and the whole machine (incl. clients).
        "cpu_ms_per_case": {k: round(1000 * v / window_ok, 2) if window_ok else None for k, v in used.items()},
        "machine_cpu_busy": round(used["machine"] / cfg["duration"], 2),  # cores in use
        # What the figure would be if this run had the machine's cores to itself and stayed CPU-bound:
        # cores / CPU seconds per case (server + postgres + load generator).
        "cpu_capacity": round((os.cpu_count() or 1) * window_ok / ours, 1) if ours > 0 and window_ok else None,
    }


# ---------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="bench/intake", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=20, help="measured window per figure, seconds [20]")
    p.add_argument("--warmup", type=float, default=5, help="warm-up before each window, seconds [5]")
    p.add_argument("--phases", default="full,floor,raw", help="which figures, in this order [full,floor,raw]")
    p.add_argument("--rounds", type=int, default=1, help="run the phases this many times, report medians [1]")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers [4]")
    p.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker [1]")
    p.add_argument("--worker-class", default="gthread", help="gunicorn worker class [gthread: keep-alive]")
    p.add_argument("--access-log", action="store_true", help="write gunicorn's access log (production does)")
    p.add_argument("--procs", type=int, default=2, help="load-generator processes [2]")
    p.add_argument("--clients-per-proc", type=int, default=4, help="client threads per load process [4]")
    p.add_argument("--max-requests", type=int, default=50_000, help="cap per client per figure [50000]")
    p.add_argument("--user", default="nanxi_worker", help="reporting user [nanxi_worker, a grid worker]")
    p.add_argument("--password", default="gridsafe-demo")
    p.add_argument("--categories", default="fire-ebike-indoor,fire-escape-blocked,rental-wiring")
    p.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://root@127.0.0.1:5432"))
    p.add_argument("--db", default="gridsafe_bench", help="database to DROP and recreate [gridsafe_bench]")
    p.add_argument(
        "--tasks-backend",
        default=os.environ.get("GRIDSAFE_TASKS_BACKEND", "immediate"),
        choices=["immediate", "db", "rq", "dummy"],
        help="GRIDSAFE_TASKS_BACKEND for the server [the product default: immediate]",
    )
    p.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", ""),
        help="REDIS_URL for the server (shared cache and rate-limit counters); empty: per-process memory [$REDIS_URL]",
    )
    p.add_argument(
        "--rate",
        default="1000000/s",
        help="GRIDSAFE_INTAKE_RATE and GRIDSAFE_LOGIN_RATE for the server: the limiter still runs, but does not "
        "bind (production's 120/m per user would cap one user at 2 cases/s) [1000000/s]",
    )
    p.add_argument(
        "--py-spy",
        metavar="PREFIX",
        help="sample the gunicorn workers with py-spy (on-CPU stacks) during the full and floor windows, "
        "writing PREFIX.full.txt and PREFIX.floor.txt (collapsed stacks)",
    )
    p.add_argument(
        "--experiment",
        default="",
        help="comma-separated what-if changes to the server, NOT the product: client-side-binding (psycopg "
        "quotes values into the SQL text, Django's default, instead of the product's prepared statements), no-rollups (skip the dashboard rollups in the case services), "
        "notify-in-transaction (the notification task runs inside the case transaction, not after commit), "
        "token-lookup-every-request (GRIDSAFE_TOKEN_KEEP_SECONDS=0: no process keeps a token's lookup, as for a "
        "device's first request in a minute), writes-one-by-one (a report's case, event and rollup writes one "
        "statement at a time in a transaction, instead of core.rows.Writes' one statement)",
    )
    p.add_argument("--seed", type=int, default=20261128)
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with gunicorn's log")
    return p.parse_args(argv)


def consistency(db_url: str, expected_cases: int, full_range: tuple[int, int] | None) -> tuple[list[str], dict]:
    problems, facts = [], {}
    with psycopg.connect(db_url) as conn:
        cases = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM cases_caseevent WHERE kind = 'case.reported'").fetchone()[0]
        facts.update(cases=cases, reported_events=events)
        if cases != expected_cases:
            problems.append(f"{cases} cases in the database, expected {expected_cases}")
        if events != cases:
            problems.append(f"{events} case_reported events for {cases} cases")
        if full_range:
            lo, hi = full_range
            n = conn.execute(
                "SELECT count(*) FROM notifications_notification WHERE case_id > %s AND case_id <= %s", (lo, hi)
            ).fetchone()[0]
            facts["notifications_per_full_case"] = round(n / max(1, hi - lo), 3)
    return problems, facts


def vacuum(db_url: str) -> None:
    """VACUUM ANALYZE the benchmark database: stands in for autovacuum, which may be off on a test server (it is
    on this machine's), so counters updated thousands of times (the dashboard rollups) do not drag dead rows
    from one figure into the next."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def max_case_id(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM cases_case").fetchone()[0]


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model or platform.machine()}), Python {platform.python_version()}"


def main(argv=None) -> int:
    args = parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases: {sorted(unknown)}")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)

    experiments = [e.strip() for e in args.experiment.split(",") if e.strip()]
    known = {
        "client-side-binding": ("GRIDSAFE_PG_SERVER_SIDE_BINDING", "0"),
        "no-rollups": ("BENCH_NO_ROLLUPS", "1"),
        "notify-in-transaction": ("BENCH_NOTIFY_IN_TRANSACTION", "1"),
        "token-lookup-every-request": ("GRIDSAFE_TOKEN_KEEP_SECONDS", "0"),
        "writes-one-by-one": ("BENCH_WRITES_ONE_BY_ONE", "1"),
    }
    if set(experiments) - set(known):
        raise SystemExit(f"unknown experiments: {sorted(set(experiments) - set(known))}")
    db_url = f"{args.pg.rstrip('/')}/{args.db}"
    tmp = Path(tempfile.mkdtemp(prefix="gridsafe-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
        "DATABASE_URL": db_url,
        "GRIDSAFE_TASKS_BACKEND": args.tasks_backend,
        "GRIDSAFE_DATA": str(tmp),
        "GRIDSAFE_INTAKE_RATE": args.rate,
        "GRIDSAFE_LOGIN_RATE": args.rate,
        "REDIS_URL": args.redis_url,
        **dict(known[e] for e in experiments),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    server = None
    live: list = []
    results: dict[str, dict] = {}
    status = 0
    try:
        log(f"recreating database {args.db}")
        recreate_database(f"{args.pg.rstrip('/')}/postgres", args.db)
        log("migrate")
        run_checked([sys.executable, "-m", "gridsafe.cli", "migrate", "--noinput", "-v", "0"], env, "migrate")
        log("demo world + template cases")
        world = json.loads(
            run_checked(
                [
                    sys.executable,
                    str(ROOT / "bench" / "setup_world.py"),
                    "--user",
                    args.user,
                    "--categories",
                    args.categories,
                    "--seed",
                    str(args.seed),
                ],
                env,
                "setup_world",
            )
        )
        log(
            f"user {world['user']} ({world['role']}), grids {', '.join(world['grids'])}, "
            f"{len(world['points'])} points, categories {', '.join(world['categories'])}"
        )
        env["BENCH_TEMPLATE_CASES"] = ",".join(str(i) for i in world["templates"])
        expected = len(world["templates"])

        server = Server(args, env, tmp)
        server.wait_ready()
        log(
            f"gunicorn up on 127.0.0.1:{server.port}: {args.workers} workers, {args.worker_class}, "
            f"{args.threads} thread(s); tasks backend {args.tasks_backend}"
        )
        cfg = {
            "port": server.port,
            "db_url": db_url,
            "db_name": args.db,
            "user": world["user"],
            "password": args.password,
            "categories": world["categories"],
            "templates": world["templates"],
            "points": world["points"],
            "threads": args.clients_per_proc,
            "warmup": args.warmup,
            "duration": args.duration,
            "max_requests": args.max_requests,
            "seed": args.seed,
            "py_spy": args.py_spy,
            "py_spy_phases": ("full", "floor"),
            "py_spy_bin": str(Path(sys.executable).with_name("py-spy")),
        }
        full_range = None
        runs: dict[str, list[dict]] = {}
        load_before = os.getloadavg()
        for _round in range(args.rounds):
            for kind in phases:
                vacuum(db_url)
                before = max_case_id(db_url)
                r = run_phase(kind, cfg, args.procs, live, server.proc.pid)
                runs.setdefault(kind, []).append(r)
                expected += r["ok"]
                if kind == "full" and full_range is None:
                    full_range = (before, max_case_id(db_url))
                log(f"{kind}: {r['rate']:.1f}/s, errors {r['errors']}")
        for kind, rs in runs.items():
            median = sorted(rs, key=lambda r: r["rate"])[len(rs) // 2]
            results[kind] = {
                **median,
                "rates": [round(r["rate"], 1) for r in rs],
                "ok": sum(r["ok"] for r in rs),
                "errors": sum(r["errors"] for r in rs),
                "messages": [m for r in rs for m in r["messages"]][:5],
            }
        problems, facts = consistency(db_url, expected, full_range)
        with psycopg.connect(db_url) as conn:
            autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for child in live:
            if isinstance(child, subprocess.Popen):
                if child.poll() is None:
                    child.terminate()
                child.wait(timeout=10)
                continue
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)
        if server is not None:
            server.stop()
            if server.proc.returncode not in (0, None, -signal.SIGTERM):
                log(f"gunicorn exit status {server.proc.returncode}")
        if args.keep_logs:
            log(f"logs kept in {tmp}")
        else:
            for f in tmp.rglob("*"):
                if f.is_file():
                    f.unlink()
            for d in sorted((d for d in tmp.rglob("*") if d.is_dir()), reverse=True):
                d.rmdir()
            tmp.rmdir()

    # ------------------------------------------------------------ report
    clients = args.procs * args.clients_per_proc
    head = (
        f"GridSafe intake bench — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}\n"
        f"server: gunicorn, {args.workers} workers × {args.threads} thread(s) ({args.worker_class}), "
        f"DJANGO_SETTINGS_MODULE=bench.floor_settings, PostgreSQL db {args.db}, "
        f"cache {'Redis ' + args.redis_url if args.redis_url else 'per-process memory (no REDIS_URL)'}, "
        f"rate limits {args.rate}, VACUUM ANALYZE before each figure (autovacuum {autovacuum})\n"
        f"load: {clients} concurrent clients ({args.procs} processes × {args.clients_per_proc} threads, keep-alive "
        f"http.client / psycopg), warm-up {args.warmup:g}s, window {args.duration:g}s per figure\n"
        f"user: {world['user']} ({world['role']}), categories: {', '.join(world['categories'])}\n"
        f"machine load average before the runs: {load_before[0]:.2f} (1 min), {load_before[1]:.2f} (5 min)"
        + (f"; {args.rounds} rounds, medians shown" if args.rounds > 1 else "")
        + "\nPostgreSQL parameters: "
        + (
            "client-side, quoted into the SQL (experiment)"
            if "client-side-binding" in experiments
            else "server-side with prepared statements (the product default)"
        )
        + f"\nGRIDSAFE_TASKS_BACKEND={args.tasks_backend}"
        + (
            " (notification task runs in the request process after commit — the default)"
            if args.tasks_backend == "immediate"
            else ""
        )
    )
    if experiments:
        head += f"\nEXPERIMENT (not the product's set-up): {', '.join(experiments)}"
    print(head)
    for kind in PHASES:
        if kind in results:
            r = results[kind]
            print(
                f"  {kind:<6}{r['rate']:9.1f} cases/s   p50 {r['p50_ms'] or 0:6.1f} ms   p99 {r['p99_ms'] or 0:6.1f} ms"
                f"   ({r['window_ok']} in window, {r['ok']} in all, {r['errors']} errors)"
                + (f"  rounds: {r['rates']}" if len(r["rates"]) > 1 else "")
                + "\n         CPU ms/case: "
                + ", ".join(f"{k} {v}" for k, v in r["cpu_ms_per_case"].items())
                + f"; machine cores busy {r['machine_cpu_busy']}; CPU-bound capacity {r['cpu_capacity']}/s"
            )
    ratios = {}
    if "full" in results and "floor" in results and results["floor"]["rate"]:
        ratios["full/floor"] = results["full"]["rate"] / results["floor"]["rate"]
    if "full" in results and "raw" in results and results["raw"]["rate"]:
        ratios["full/raw"] = results["full"]["rate"] / results["raw"]["rate"]
    if "floor" in results and "raw" in results and results["raw"]["rate"]:
        ratios["floor/raw"] = results["floor"]["rate"] / results["raw"]["rate"]
    print("  measured:       " + "   ".join(f"{k} = {v:.2f}" for k, v in ratios.items()))
    per_round = []
    if len(runs.get("full", [])) > 1 and len(runs.get("floor", [])) == len(runs["full"]):
        # The machine's speed drifts over minutes (a shared host): the figures of one round, taken a minute apart,
        # share its speed better than the medians of all rounds do.
        per_round = [f["rate"] / g["rate"] for f, g in zip(runs["full"], runs["floor"], strict=True) if g["rate"]]
        print(
            f"  full/floor round by round: {', '.join(f'{r:.2f}' for r in per_round)}; "
            f"median {sorted(per_round)[len(per_round) // 2]:.2f}"
        )
    cap = {k: results[k].get("cpu_capacity") for k in results}
    cpu_ratios = {}
    for a, b in (("full", "floor"), ("full", "raw"), ("floor", "raw")):
        if cap.get(a) and cap.get(b):
            cpu_ratios[f"{a}/{b}"] = cap[a] / cap[b]
    if cpu_ratios:
        print(
            "  by CPU cost:    "
            + "   ".join(f"{k} = {v:.2f}" for k, v in cpu_ratios.items())
            + "   (capacity ratios: robust when other work shares the machine)"
        )
    ratios_cpu = cpu_ratios
    print(f"  database: {facts}")
    errors = sum(r["errors"] for r in results.values())
    if errors:
        status = 1
        print(f"FAILED: {errors} request(s) did not answer as expected:", file=sys.stderr)
        for r in results.values():
            for m in r["messages"]:
                print(f"  [{r['kind']}] {m}", file=sys.stderr)
    if problems:
        status = 1
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "head": head,
                    "results": results,
                    "ratios": ratios,
                    "ratios_by_cpu": ratios_cpu,
                    "full_floor_by_round": per_round,
                    "database": facts,
                    "problems": problems,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        sys.exit(2)
