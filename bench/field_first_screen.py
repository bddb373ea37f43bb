"""bench/field_first_screen — what the grid worker's phone downloads, and how long the first screen takes.

  shell    the files the service worker precaches (page, CSS, JS, icons, manifest, sw.js): bytes raw and gzipped
  bundle   the offline sync bundle (GET /api/v1/field/sync) for one grid, and for 王芳's two grids: JSON bytes
  first    time from navigation start to the first 本周 screen with data (performance mark "field-first-screen"),
           in headless Chromium throttled through the DevTools protocol (Network.emulateNetworkConditions,
           default 400 kbit/s both ways, 400 ms RTT):
             cold     first visit: empty cache, no service worker
             warm     a later visit: the service worker serves the shell, the last 本周 renders from its cache
             offline  the same with the network off

Set-up: a fresh SQLite database in a temporary directory (migrate, the demo world, `seed_field_demo()`),
`collectstatic` plus WhiteNoise's gzip pass (as a production deploy serves static files), gunicorn on a free
loopback port. Stops everything it started. Prints a table, and JSON with --json."""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = """
import django; django.setup()
from gridsafe.demo.world import build_world
from gridsafe.field.demo import seed_field_demo
build_world()
print(seed_field_demo())
"""


def run(cmd: list[str], env: dict, what: str) -> str:
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{what} failed (exit {proc.returncode})")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gz(data: bytes) -> int:
    """Bytes on the wire with gzip; already-compressed files (PNG) are sent as they are."""
    return min(len(data), len(gzip.compress(data, compresslevel=9)))


def start_server(env: dict, workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(workdir / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gridsafe.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--chdir",
            str(ROOT),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((workdir / "gunicorn.log").read_text()[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/m/manifest.webmanifest")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def measure(base: str, args) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium not found (set CHROMIUM_PATH)")
    out: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        # Log in once, in a context of its own, so the login page's files do not warm the measured cache.
        login = browser.new_context(locale="zh-CN")
        page = login.new_page()
        page.goto(f"{base}/login/?next=/m/")
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", "gridsafe-demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/m/**")
        cookies = login.cookies()
        login.close()

        context = browser.new_context(
            locale="zh-CN",
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
        )
        context.add_cookies(cookies)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        throughput = args.kbps * 1000 / 8  # bytes per second
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": args.rtt, "downloadThroughput": throughput, "uploadThroughput": throughput},
        )
        transferred = {"bytes": 0}
        cdp.on(
            "Network.loadingFinished",
            lambda e: transferred.__setitem__("bytes", transferred["bytes"] + e["encodedDataLength"]),
        )

        def first_screen(url: str) -> float:
            page.goto(url, wait_until="commit", timeout=120_000)
            page.wait_for_selector("#app[data-ready='1']", timeout=120_000)
            return page.evaluate("performance.getEntriesByName('field-first-screen')[0].startTime")

        transferred["bytes"] = 0
        out["cold_ms"] = round(first_screen(f"{base}/m/"))
        out["cold_bytes_to_first_screen"] = transferred["bytes"]
        page.wait_for_selector("body[data-bundle]", state="attached", timeout=120_000)
        # Let the service worker install and precache, then take the next visit.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        deadline = time.monotonic() + 120
        while not page.evaluate("!!navigator.serviceWorker.controller") and time.monotonic() < deadline:
            page.reload(wait_until="commit")
            page.wait_for_selector("#app[data-ready='1']", timeout=120_000)
        out["warm_ms"] = round(first_screen(f"{base}/m/"))
        context.set_offline(True)
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        out["offline_ms"] = round(first_screen(f"{base}/m/"))
        context.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kbps", type=float, default=400, help="throughput in kbit/s, both ways (default 400)")
    parser.add_argument("--rtt", type=float, default=400, help="round-trip latency in ms (default 400)")
    parser.add_argument("--user", default="nanxi_worker")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gridsafe-field-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gridsafe.settings",
        "GRIDSAFE_DATA": str(workdir),
        "PYTHONPATH": str(ROOT),
        "GRIDSAFE_LOGIN_RATE": "1000/m",
    }
    env.pop("DATABASE_URL", None)
    server = None
    try:
        run([sys.executable, "-m", "gridsafe.cli", "migrate", "--noinput"], env, "migrate")
        seeded = run([sys.executable, "-c", SEED], env, "seed").strip()
        run([sys.executable, "-m", "gridsafe.cli", "collectstatic", "--noinput"], env, "collectstatic")
        run([sys.executable, "-m", "whitenoise.compress", "--no-brotli", str(workdir / "static")], env, "compress")
        server, port = start_server(env, workdir)
        base = f"http://127.0.0.1:{port}"

        sizes = shell_sizes(base, env)
        bundles = bundle_sizes(env, workdir)
        timing = measure(base, args)
        result = {"seeded": seeded, **sizes, **bundles, **timing, "kbps": args.kbps, "rtt_ms": args.rtt}
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    kb = lambda n: f"{n / 1024:.1f} KiB"  # noqa: E731
    print(f"demo data: {result['seeded']}")
    print(
        f"app shell (precached, {len(result['shell_files'])} files): {kb(result['shell_bytes'])} raw, "
        f"{kb(result['shell_gzip_bytes'])} gzip"
    )
    for name, raw, packed in result["shell_files"]:
        print(f"    {name:<38} {raw:>8} B  {packed:>8} B gzip")
    print(
        f"sync bundle, one grid ({result['one_grid_places']} places): {kb(result['one_grid_bytes'])} JSON, "
        f"{kb(result['one_grid_gzip'])} gzip"
    )
    print(
        f"sync bundle, 王芳's two grids ({result['two_grid_places']} places): {kb(result['two_grid_bytes'])} JSON, "
        f"{kb(result['two_grid_gzip'])} gzip"
    )
    print(f"  of which checklists + categories (the same for every grid): {kb(result['reference_bytes'])}")
    print(
        f"first screen at {args.kbps:g} kbit/s, {args.rtt:g} ms RTT: cold {result['cold_ms']} ms "
        f"({kb(result['cold_bytes_to_first_screen'])} transferred), warm {result['warm_ms']} ms, "
        f"offline {result['offline_ms']} ms"
    )


def shell_sizes(base: str, env: dict) -> dict:
    """Bytes of every precached file as served (the page and manifest need a session; read from the views)."""
    code = """
import django, json; django.setup()
from django.test import Client
from gridsafe.accounts.models import User
from gridsafe.field.views import shell_urls
c = Client()
c.force_login(User.objects.get(username="nanxi_worker"))
out = []
for url in shell_urls() + ["/m/sw.js"]:
    r = c.get(url)
    body = b"".join(r.streaming_content) if r.streaming else r.content
    out.append((url, body.hex()))
print(json.dumps(out))
"""
    files = json.loads(run([sys.executable, "-c", code], env, "shell sizes").strip().splitlines()[-1])
    rows = [(url, len(bytes.fromhex(h)), gz(bytes.fromhex(h))) for url, h in files]
    return {"shell_files": rows, "shell_bytes": sum(r[1] for r in rows), "shell_gzip_bytes": sum(r[2] for r in rows)}


def bundle_sizes(env: dict, workdir: Path) -> dict:
    code = """
import django, json; django.setup()
from django.test import Client
from gridsafe.accounts.models import User
from gridsafe.places.models import Place
from gridsafe.regions.models import Region
def size(username):
    c = Client()
    c.force_login(User.objects.get(username=username))
    r = c.get("/api/v1/field/sync")
    assert r.status_code == 200, r.content[:500]
    return r.content
two = size("nanxi_worker")
grid = Region.objects.filter(level=4, path__startswith="350322.101.", places__isnull=False).exclude(
    grid_workers__username="nanxi_worker").order_by("path").first()
one = size(User.objects.filter(grids=grid, role="grid_worker").first().username)
data = json.loads(one)
ref = len(json.dumps({k: data[k] for k in ("checklists", "categories", "domains")}, ensure_ascii=False,
                     separators=(",", ":")).encode())
print(json.dumps({"one": one.decode(), "two": two.decode(), "ref": ref}))
"""
    got = json.loads(run([sys.executable, "-c", code], env, "bundle sizes").strip().splitlines()[-1])
    one, two = got["one"].encode(), got["two"].encode()
    return {
        "one_grid_bytes": len(one),
        "one_grid_gzip": gz(one),
        "one_grid_places": len(json.loads(one)["places"]),
        "two_grid_bytes": len(two),
        "two_grid_gzip": gz(two),
        "two_grid_places": len(json.loads(two)["places"]),
        "reference_bytes": got["ref"],
    }


if __name__ == "__main__":
    main()
