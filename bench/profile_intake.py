"""Profile one process doing the full intake path and the floor, in-process with django.test.Client (real commits,
so the after-commit notification task runs as in production). Run after bench/intake, against its database:

    DATABASE_URL=postgresql://root@127.0.0.1:5432/gridsafe_bench .venv/bin/python bench/profile_intake.py [-n 300]

Prints the mean wall and CPU time per request of each, the SQL of one full request, a table of CPU and wall time
per stage of the full path (inclusive; measured by wrapping the stage functions, so no sampling error), and then
a profile (pyinstrument when installed, else cProfile on CPU time; --no-profile skips it). CPU time is the figure to
read on a shared machine: wall time there includes waiting for a core."""

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor_settings")
os.environ.setdefault("DATABASE_URL", "postgresql://root@127.0.0.1:5432/gridsafe_bench")
os.environ.setdefault("GRIDSAFE_INTAKE_RATE", "1000000/s")  # the limiter runs but does not bind
os.environ.setdefault("GRIDSAFE_LOGIN_RATE", "1000000/s")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from gridsafe.accounts.models import User  # noqa: E402
from gridsafe.cases.models import Case  # noqa: E402

DESCRIPTION = "楼道内有电动车充电，插线板从窗户拉出"


class Stage:
    """Inclusive wall and CPU time of calls to one function; re-entrant calls are counted once."""

    def __init__(self, label: str):
        self.label, self.calls, self.wall, self.cpu, self.depth = label, 0, 0.0, 0.0, 0

    def wrap(self, fn):
        stage = self

        @functools.wraps(fn)
        def wrapper(*a, **kw):
            if stage.depth:
                return fn(*a, **kw)
            stage.depth += 1
            w, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                stage.wall += time.perf_counter() - w
                stage.cpu += time.thread_time() - c
                stage.calls += 1
                stage.depth -= 1

        return wrapper


def stage_table(run, n: int) -> None:
    """Wrap the stages of the intake path, run `run(i)` n times, print ms per request."""
    from django.db.backends import utils as db_utils
    from django.db.models.sql import compiler

    import gridsafe.api as gapi
    from gridsafe.cases import api as cases_api
    from gridsafe.cases.services import report as services  # _case_insert and what it calls live there
    from gridsafe.core import ratelimit, rows
    from gridsafe.notifications import services as notify

    targets = [
        ("request (test client → response)", None, None),
        ("BearerAuth.authenticate", gapi.BearerAuth, "authenticate"),
        ("ratelimit_hit", ratelimit, "ratelimit_hit"),
        ("case_report (all)", cases_api, "case_report"),
        ("  _case_insert", services, "_case_insert"),
        ("    active_category (cached)", services, "active_category"),
        ("    jurisdiction_of", services, "jurisdiction_of"),
        ("    locate_grid", services, "locate_grid"),
        ("    _clock (deadlines)", services, "_clock"),
        ("    event_seal (the case chain's first link)", services, "event_seal"),
        ("    case_event_written (rollup deltas)", services, "case_event_written"),
        ("    Writes.run (case, event, rollups)", rows.Writes, "run"),
        ("      db_values (the values sent)", rows, "db_values"),
        ("  notification task (none for a report)", notify, "notification_send_for_event"),
        ("case_out (response dict)", cases_api, "case_out"),
        ("[any] Django SQL compilation (ORM queries)", compiler.SQLCompiler, "as_sql"),
        ("[any] SQL execute (incl. DB round trip)", db_utils.CursorWrapper, "_execute"),
    ]
    stages, undo = [], []
    for label, owner, name in targets:
        stage = Stage(label)
        stages.append(stage)
        if owner is None:
            continue
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        setattr(owner, name, stage.wrap(original))
        undo.append((owner, name, original, isinstance(owner, type) or name in vars(owner)))
    total = stages[0]
    try:
        for i in range(n):
            total.wrap(run)(i)
    finally:
        for owner, name, original, own in undo:
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)  # a bound method we shadowed on an instance
    print(f"\nStages of the full path, per request ({n} requests; inclusive; CPU = this thread's CPU time):")
    print(f"  {'stage':<44}{'calls':>7}{'CPU ms':>9}{'wall ms':>9}")
    for st in stages:
        print(f"  {st.label:<44}{st.calls / n:7.2f}{1000 * st.cpu / n:9.2f}{1000 * st.wall / n:9.2f}")
    print(
        "  (on PostgreSQL Writes.run is one statement, its own transaction; a report schedules no notification task:"
        " the desk fetches it when it looks, notifications.services.inbox_catch_up)"
    )


def _backend_cpu(pid: int) -> float:
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def statement_table(run, n: int) -> None:
    """PostgreSQL CPU per kind of statement, read from /proc for this connection's backend (same machine only).
    /proc counts in clock ticks, so a single statement reads as 0 or 10 ms; the sums over n requests are right."""
    import re
    from collections import defaultdict

    from django.db.backends import utils as db_utils

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    cpu, count = defaultdict(float), defaultdict(int)
    original = db_utils.CursorWrapper._execute

    def measured(self, sql, params, *ignored):
        m = re.match(r'\s*(\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+"?(\w+))?', sql, re.S | re.I)
        key = f"{m.group(1).upper()} {m.group(2) or ''}".strip() if m else sql[:30]
        before = _backend_cpu(pid)
        try:
            return original(self, sql, params, *ignored)
        finally:
            cpu[key] += _backend_cpu(pid) - before
            count[key] += 1

    db_utils.CursorWrapper._execute = measured
    total0 = _backend_cpu(pid)
    try:
        for i in range(n):
            run(i)
    finally:
        db_utils.CursorWrapper._execute = original
    total = _backend_cpu(pid) - total0
    print(f"\nPostgreSQL backend CPU per request: {1000 * total / n:.2f} ms, by statement (ms per request):")
    for key in sorted(cpu, key=cpu.get, reverse=True):
        print(f"  {1000 * cpu[key] / n:7.2f}  {count[key] / n:5.2f}×  {key}")
    print(f"  {1000 * (total - sum(cpu.values())) / n:7.2f}         BEGIN/COMMIT and other commands")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300, help="requests per measurement")
    parser.add_argument("--user", default="nanxi_worker")
    parser.add_argument("--password", default="gridsafe-demo")
    parser.add_argument("--category", default="fire-ebike-indoor")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one full request")
    parser.add_argument("--cprofile", action="store_true", help="use cProfile even when pyinstrument is installed")
    parser.add_argument("--no-profile", action="store_true", help="stop after the stage table")
    args = parser.parse_args()

    user = User.objects.get(username=args.user)
    grids = list(user.grids.order_by("code"))
    if not grids:
        raise SystemExit("profile a grid worker (a user with grids)")
    points = [(g.center_lon, g.center_lat) for g in grids]
    templates = list(
        Case.objects.filter(reporter=user, category__code=args.category).order_by("pk").values_list("pk", flat=True)[:1]
    )
    os.environ.setdefault("BENCH_TEMPLATE_CASES", ",".join(map(str, templates)))

    client = Client()
    r = client.post(
        "/api/v1/auth/token", {"username": args.user, "password": args.password}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    headers = {"Authorization": f"Bearer {r.json()['token']}"}

    def full(i: int) -> None:
        lon, lat = points[i % len(points)]
        body = {
            "client_id": str(uuid.uuid4()),
            "category": args.category,
            "description": DESCRIPTION,
            "lon": lon,
            "lat": lat,
            "accuracy_m": 8.0,
        }
        r = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", headers=headers)
        assert r.status_code == 201, r.content

    def floor(i: int) -> None:
        lon, lat = points[i % len(points)]
        body = {"client_id": str(uuid.uuid4()), "lon": lon, "lat": lat, "t": 0}
        r = client.post("/bench/floor/cases", json.dumps(body), content_type="application/json")
        assert r.status_code == 201, r.content

    def timed(fn) -> tuple[float, float]:
        for i in range(20):
            fn(i)
        t, c = time.perf_counter(), time.process_time()
        for i in range(args.n):
            fn(i)
        return (time.perf_counter() - t) / args.n * 1000, (time.process_time() - c) / args.n * 1000

    (wall_full, cpu_full), (wall_floor, cpu_floor) = timed(full), timed(floor)
    print(f"full  {wall_full:6.2f} ms/request wall, {cpu_full:6.2f} ms CPU in this process")
    print(f"floor {wall_floor:6.2f} ms/request wall, {cpu_floor:6.2f} ms CPU in this process")

    with CaptureQueriesContext(connection) as q:
        full(0)
    print(f"\nSQL of one full request: {len(q.captured_queries)} queries")
    for query in q.captured_queries:
        sql = query["sql"]
        print(f"  {float(query['time']) * 1000:6.2f} ms  {sql if args.sql else sql[:150]}")

    stage_table(full, args.n)
    statement_table(full, args.n)
    if args.no_profile:
        return

    try:
        if args.cprofile:
            raise ImportError
        from pyinstrument import Profiler
    except ImportError:
        prof = cProfile.Profile(time.process_time)  # CPU time: the machine may be shared
        prof.enable()
        for i in range(args.n):
            full(i)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
        print(out.getvalue())
    else:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for i in range(args.n):
            full(i)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
