#!/usr/bin/env python3
"""Server time and query count of the desk's pages (issue 14) on the demo data, as bench/pages measures the others.

Assumes `gridsafe demo --no-serve --data DIR` has loaded the 仙游县 demo into DIR. For each desk role: the 隐患登记
form (/cases/new/), its place/area search and nearby-duplicate partials, and the case page of the newest dispatched
case the role can see (the 主办/协办 panel and the dispatch form's choices). Prints p50/p95 wall and p95 CPU time and
the queries per page; N iterations each, in-process with Django's test Client.

    .venv/bin/python bench/desk_pages.py --data var -n 30
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROLES = ("nanxi", "bangtou", "county", "county_lead")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="var", help="the demo data directory (GRIDSAFE_DATA)")
    parser.add_argument("-n", "--iterations", type=int, default=30)
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args()

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ["GRIDSAFE_DATA"] = str(Path(args.data).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    os.environ.setdefault("GRIDSAFE_TASKS_BACKEND", "dummy")  # the bench reads only

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridsafe.accounts.models import User
    from gridsafe.cases.permissions import cases_visible_to

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    rows = []
    for username in args.roles.split(","):
        user = User.objects.filter(username=username).first()
        if user is None:
            print(f"skip {username}: no such user", file=sys.stderr)
            continue
        client = Client()
        client.force_login(user)
        visible = cases_visible_to(user)
        newest = visible.order_by("-created_at").select_related("category", "region").first()
        pages = [("/cases/new/", "register")]
        if user.unit is not None:
            pages.append((f"/cases/new/search/?q={user.unit.region.name[:2]}", "search"))
        if newest is not None:
            pages.append(
                (f"/cases/new/nearby/?category={newest.category.code}&lon={newest.lon}&lat={newest.lat}", "nearby")
            )
        dispatched = visible.filter(department__isnull=False).order_by("-created_at").first()
        if dispatched is not None:
            pages.append((f"/cases/{dispatched.pk}/", "dispatched"))
        for url, kind in pages:
            client.get(url)  # warms caches
            times, cpu_times, queries = [], [], []
            for _ in range(args.iterations):
                with CaptureQueriesContext(connection) as captured:
                    cpu_start, start = _cpu(), time.perf_counter()
                    response = client.get(url)
                    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu_start
                assert response.status_code == 200, (username, url, response.status_code)
                times.append(elapsed * 1000)
                cpu_times.append(cpu * 1000)
                queries.append(len(captured))
            rows.append((username, kind, statistics.median(times), _p95(times), _p95(cpu_times), max(queries)))
    print(f"{'role':<13} {'page':<11} {'p50 ms':>8} {'p95 ms':>8} {'p95 cpu':>8} {'queries':>7}")
    for username, kind, p50, p95, p95cpu, q in rows:
        print(f"{username:<13} {kind:<11} {p50:8.1f} {p95:8.1f} {p95cpu:8.1f} {q:7d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
