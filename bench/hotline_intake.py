#!/usr/bin/env python3
"""bench/hotline_intake — 12345 work orders through POST /api/v1/channels/hotline/orders, in-process (Django's test
Client), one at a time: each order signed, located from its text, registered as a case at the county desk, and its
签收 pushed (after commit, the immediate task backend) to a local contract platform over real HTTP on the loopback.
Prints p50/p95 of order-to-answer time (the 签收 push included) and orders a second; exit 1 unless every order made
one case and the platform received one 签收 each.

    DATABASE_URL=postgres://root@127.0.0.1:5432/gs_hotline_bench .venv/bin/python bench/hotline_intake.py --setup -n 200

`--setup` migrates and builds the demo world (regions, units, people, catalogue) into that database first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-12345-secret"
TEXTS = [
    "{v}出租房楼道里晚上有电动车充电，担心起火。",
    "{v}一家小饭店液化气钢瓶放在地下室。",
    "{v}商场消防通道被货物堵住了。",
]


class Platform:
    def __init__(self):
        self.received = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.received += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--orders", type=int, default=200)
    parser.add_argument("--setup", action="store_true", help="migrate and build the demo world first")
    args = parser.parse_args()

    platform = Platform()
    os.environ["GRIDSAFE_HOTLINE_BASE_URL"] = platform.url
    os.environ["GRIDSAFE_HOTLINE_SECRET"] = SECRET
    os.environ["GRIDSAFE_TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from gridsafe.cases.models import Case
    from gridsafe.channels.models import HotlineOrder
    from gridsafe.core.signing import signed_headers
    from gridsafe.regions.models import Region

    if args.setup:
        from gridsafe.demo.world import build_world

        call_command("migrate", verbosity=0)
        build_world()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    villages = list(Region.objects.filter(level=3).values_list("name", flat=True))
    run = time.strftime("%H%M%S")
    before_cases = Case.objects.filter(source="hotline").count()
    client = Client()
    times = []
    started = time.perf_counter()
    for i in range(args.orders):
        body = json.dumps(
            {
                "order_no": f"BENCH-{run}-{i:05d}",
                "content": TEXTS[i % len(TEXTS)].format(v=villages[i % len(villages)]),
                "caller_phone": f"139{i:08d}",
                "address": villages[i % len(villages)],
            },
            ensure_ascii=False,
        ).encode()
        headers = signed_headers(SECRET, body)
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/channels/hotline/orders",
            body,
            content_type="application/json",
            headers={k: v for k, v in headers.items() if k != "Content-Type"},
        )
        times.append(time.perf_counter() - t0)
        if response.status_code != 201:
            print(f"order {i}: HTTP {response.status_code} {response.content[:200]!r}", file=sys.stderr)
            return 1
    total = time.perf_counter() - started
    made = Case.objects.filter(source="hotline").count() - before_cases
    orders = HotlineOrder.objects.filter(order_no__startswith=f"BENCH-{run}-").count()
    ms = sorted(t * 1000 for t in times)
    print(
        f"{args.orders} orders on {django.db.connection.vendor}: p50 {statistics.median(ms):.1f} ms, "
        f"p95 {ms[max(0, int(round(0.95 * len(ms))) - 1)]:.1f} ms, {args.orders / total:.1f} orders/s "
        f"(one at a time); cases {made}, orders {orders}, 签收 received {platform.received}"
    )
    return 0 if made == orders == platform.received == args.orders else 1


if __name__ == "__main__":
    sys.exit(main())
