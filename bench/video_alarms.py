"""bench/video_alarms — signed video-AI alarms through POST /api/v1/video/alarms on a served instance (gunicorn on
PostgreSQL, real HTTP on the loopback), two figures:

  latency     alarm-to-case time: one alarm at a time, each of a mapped type above its threshold on a camera of its
              own, so each opens a case (locate, routing, the case + event rows, the snapshot stored as its first
              photo) before the answer; p50/p95 of the round trip, checked against the case rows.
  throughput  how many signed alarms per second the server accepts (2xx) with C concurrent clients for T seconds:
              a mix of alarms that open or join cases (30 %) and alarms that wait for review (70 %), every one with
              a fresh alarm_id, HMAC-signed over the raw body with the gateway's secret.

Set-up: drops and recreates the database (default gs_video_bench), migrates, builds the demo world, a gateway (its
secret), the type mapping and N cameras over the grids (bench/video_alarms.py --setup, in its own process), starts
gunicorn, runs both phases and stops everything it started. Exit status 1 when a request failed or the rows do not
add up (each accepted alarm is one row; each latency alarm one case with one photo)."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import io
import json
import multiprocessing as mp
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAPPED = "消防通道占用"
REVIEW = "人员聚集"


def log(msg: str) -> None:
    print(f"[video_alarms {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- set-up (in its own process, Django configured)


def setup(cameras: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    import django

    django.setup()
    from gridsafe.catalog.models import Category
    from gridsafe.demo.world import build_world
    from gridsafe.regions.models import Region, RegionLevel
    from gridsafe.video.models import AlarmTypeRule, Camera
    from gridsafe.video.services import gateway_create

    build_world()
    gateway, secret = gateway_create(name="bench 网关")
    AlarmTypeRule.objects.create(type=MAPPED, category=Category.objects.get(code="fire-escape-blocked"), threshold=0.8)
    grids = list(Region.objects.filter(level=RegionLevel.GRID, center_lon__isnull=False).order_by("code"))
    rows = []
    for i in range(cameras):
        grid = grids[i % len(grids)]
        parts = grid.path.split(".")
        centre = parts[0] + parts[1][-2:]
        rows.append(
            Camera(
                device_id=f"{centre}00132{i + 1:07d}",
                channel_id=f"{centre}00131{i + 1:07d}",
                name=f"bench {i + 1}",
                lon=grid.center_lon,
                lat=grid.center_lat,
                region=grid,
                region_path=grid.path,
            )
        )
    Camera.objects.bulk_create(rows)
    print(json.dumps({"key": gateway.key, "secret": secret, "cameras": [c.channel_id for c in rows]}))


# ---------------------------------------------------------------- the client side


def snapshot() -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 360), (90, 60, 40)).save(out, "JPEG", quality=80)
    return base64.b64encode(out.getvalue()).decode()


def signed_request(conn, cfg, body: dict) -> tuple[int, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(cfg["secret"].encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    conn.request(
        "POST",
        "/api/v1/video/alarms",
        body=raw,
        headers={
            "Content-Type": "application/json",
            "X-GridSafe-Gateway": cfg["key"],
            "X-GridSafe-Timestamp": ts,
            "X-GridSafe-Signature": sig,
        },
    )
    response = conn.getresponse()
    data = response.read()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, {"raw": data[:200].decode(errors="replace")}


def alarm(camera: str, alarm_type: str, confidence: float, snap: str) -> dict:
    return {
        "alarm_id": uuid.uuid4().hex,
        "camera_id": camera,
        "type": alarm_type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "confidence": confidence,
        "snapshot": snap,
    }


def client(cfg: dict, index: int, stop_at: float, out: mp.Queue) -> None:
    snap = snapshot()
    conn = http.client.HTTPConnection("127.0.0.1", cfg["port"], timeout=60)
    ok = failed = 0
    errors: list[str] = []
    cameras = cfg["cameras"]
    n = index
    while time.monotonic() < stop_at:
        n += cfg["clients"]
        mapped = n % 10 < 3
        body = alarm(cameras[n % len(cameras)], MAPPED if mapped else REVIEW, 0.93 if mapped else 0.7, snap)
        try:
            status, answer = signed_request(conn, cfg, body)
        except (OSError, http.client.HTTPException) as error:
            failed += 1
            errors.append(repr(error))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", cfg["port"], timeout=60)
            continue
        if status in (200, 201):
            ok += 1
        else:
            failed += 1
            errors.append(f"{status} {answer}")
    out.put((ok, failed, errors[:5]))


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://root@127.0.0.1:5432"))
    parser.add_argument("--db", default="gs_video_bench")
    parser.add_argument("--cameras", type=int, default=400)
    parser.add_argument("--latency-alarms", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    args = parser.parse_args(argv)
    if args.setup:
        setup(args.cameras)
        return 0

    from bench.intake import Server, cpu_snapshot, cpu_used, recreate_database, run_checked

    args.access_log = False
    db_url = f"{args.pg.rstrip('/')}/{args.db}"
    tmp = Path(tempfile.mkdtemp(prefix="gridsafe-video-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gridsafe.settings",
        "DATABASE_URL": db_url,
        "GRIDSAFE_DATA": str(tmp),
        "GRIDSAFE_TASKS_BACKEND": "immediate",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    server = None
    status = 0
    try:
        log(f"recreating database {args.db}")
        recreate_database(f"{args.pg.rstrip('/')}/postgres", args.db)
        run_checked([sys.executable, "-m", "gridsafe.cli", "migrate", "--noinput", "-v", "0"], env, "migrate")
        log("demo world, gateway, cameras")
        world = json.loads(
            run_checked([sys.executable, str(Path(__file__)), "--setup", "--cameras", str(args.cameras)], env, "setup")
            .strip()
            .splitlines()[-1]
        )
        server = Server(args, env, tmp)
        server.wait_ready()
        log(f"gunicorn up on 127.0.0.1:{server.port}: {args.workers} workers {args.worker_class} ×{args.threads}")
        cfg = {**world, "port": server.port, "clients": args.clients}

        # latency: one at a time, each opening a case
        import psycopg

        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        snap = snapshot()
        for i in range(3):  # warm every worker's caches (grid index, categories, gateways)
            signed_request(conn, cfg, alarm(world["cameras"][-1 - i], REVIEW, 0.5, snap))
        times, case_ids = [], []
        for i in range(args.latency_alarms):
            body = alarm(world["cameras"][i], MAPPED, 0.95, snap)
            started = time.perf_counter()
            code, answer = signed_request(conn, cfg, body)
            times.append((time.perf_counter() - started) * 1000)
            if code != 201 or answer.get("outcome") != "case_opened":
                log(f"latency alarm {i}: {code} {answer}")
                status = 1
            else:
                case_ids.append(answer["case_id"])
        conn.close()
        with psycopg.connect(db_url) as db:
            cases = db.execute(
                "SELECT count(*) FROM cases_case WHERE id = ANY(%s) AND source = 'video'", [case_ids]
            ).fetchone()[0]
            photos = db.execute("SELECT count(*) FROM cases_attachment WHERE case_id = ANY(%s)", [case_ids]).fetchone()[
                0
            ]
        if cases != args.latency_alarms or photos != args.latency_alarms:
            log(f"latency check: {cases} video cases and {photos} photos for {args.latency_alarms} alarms")
            status = 1
        times.sort()
        p50 = statistics.median(times)
        p95 = times[max(0, int(len(times) * 0.95) - 1)]

        # throughput
        with psycopg.connect(db_url) as db:
            before_rows = db.execute("SELECT count(*) FROM video_videoalarm").fetchone()[0]
        queue: mp.Queue = mp.Queue()
        stop_at = time.monotonic() + args.seconds
        procs = [mp.Process(target=client, args=(cfg, i, stop_at, queue)) for i in range(args.clients)]
        cpu_before = cpu_snapshot(server.proc.pid, (), args.db)
        started = time.monotonic()
        for p in procs:
            p.start()
        results = [queue.get(timeout=args.seconds + 120) for _ in procs]
        elapsed = time.monotonic() - started
        for p in procs:
            p.join()
        used = cpu_used(cpu_before, cpu_snapshot(server.proc.pid, (), args.db))
        accepted = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        with psycopg.connect(db_url) as db:
            rows = db.execute("SELECT count(*) FROM video_videoalarm").fetchone()[0] - before_rows
            by_outcome = dict(
                db.execute("SELECT outcome, count(*) FROM video_videoalarm GROUP BY outcome ORDER BY 1").fetchall()
            )
        if failed or rows != accepted:
            status = 1
            log(f"failed {failed}, rows {rows} for {accepted} accepted; e.g. {[e for r in results for e in r[2]][:3]}")
        load = os.getloadavg()
        print(
            f"video_alarms {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} ({os.cpu_count()} CPUs, load "
            f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}); PostgreSQL, gunicorn {args.workers} workers "
            f"{args.worker_class} ×{args.threads}, tasks backend immediate\n"
            f"alarm-to-case (one at a time, {args.latency_alarms} alarms each opening a case with its snapshot): "
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, min {times[0]:.0f} ms, max {times[-1]:.0f} ms\n"
            f"accepted signed alarms: {accepted / elapsed:.1f} /s ({accepted} in {elapsed:.1f} s, {args.clients} "
            f"clients, 30 % open/join cases, 70 % review queue; {failed} failed; rows {rows}; outcomes {by_outcome})\n"
            f"CPU per accepted alarm: server {used['server'] / max(accepted, 1) * 1000:.1f} ms, PostgreSQL "
            f"{used['postgres'] / max(accepted, 1) * 1000:.1f} ms"
        )
    except KeyboardInterrupt:
        status = 130
    finally:
        if server is not None:
            server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
