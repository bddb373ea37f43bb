"""Summarise py-spy collapsed stacks (bench/intake --py-spy PREFIX): where the gunicorn workers spent their CPU.

    .venv/bin/python bench/spy_summary.py PREFIX.full.txt [PREFIX.floor.txt]

For each file: the share of samples under each of a fixed list of stages of the intake path (inclusive), then the
heaviest GridSafe functions (inclusive) and the heaviest leaf frames (exclusive)."""

import sys
from collections import Counter

STAGES = [
    ("request handling outside the view (WSGI, middleware)", None),
    ("ninja: parse + validate body", ("_get_values", "ninja/operation.py")),
    ("auth: BearerAuth / user_for_token", ("authenticate", "gridsafe/api.py")),
    ("rate limit", ("ratelimit_hit", "gridsafe/core/ratelimit.py")),
    ("case_report: idempotency lookup", ("case_report", "gridsafe/cases/services/report.py")),
    ("_case_insert (transaction)", ("_case_insert", "gridsafe/cases/services/report.py")),
    ("  rollups (dashboards)", ("rollup_apply_event", "gridsafe/dashboards/rollups.py")),
    ("  locate_grid", ("locate_grid", "gridsafe/regions/locate.py")),
    ("  jurisdiction_of", ("jurisdiction_of", "gridsafe/cases/permissions.py")),
    ("after-commit notification task", ("notification_send_for_event", "gridsafe/notifications/services.py")),
    ("case_out (response dict)", ("case_out", "gridsafe/cases/api.py")),
    ("ninja: response validation + JSON", ("_result_to_response", "ninja/operation.py")),
    ("floor view", ("floor_case", "bench/floor_views.py")),
    ("Django SQL compilation (anywhere)", ("as_sql", "django/db/models/sql/compiler.py")),
    ("psycopg execute (anywhere)", ("execute", "psycopg/cursor.py")),
]


def parse(path):
    stacks = []
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            stacks.append((stack.split(";"), int(count)))
        except ValueError:
            continue
    return stacks


def matches(frame: str, name: str, file: str) -> bool:
    return frame.startswith(name + " ") and file in frame


def summary(path: str) -> None:
    stacks = parse(path)
    total = sum(c for _, c in stacks) or 1
    in_worker = [(f, c) for f, c in stacks if any("wsgi" in x or "handle_request" in x for x in f)]
    print(f"\n== {path}: {total} samples")
    for label, key in STAGES:
        if key is None:
            continue
        n = sum(c for frames, c in stacks if any(matches(fr, *key) for fr in frames))
        print(f"  {100 * n / total:5.1f}%  {label}")
    incl, leaf = Counter(), Counter()
    for frames, c in stacks:
        seen = set()
        for fr in frames:
            if "gridsafe/" in fr and fr not in seen:
                seen.add(fr)
                incl[fr] += c
        leaf[frames[-1]] += c
    print("  heaviest GridSafe frames (inclusive):")
    for fr, c in incl.most_common(15):
        print(f"    {100 * c / total:5.1f}%  {fr}")
    print("  heaviest leaf frames (exclusive):")
    for fr, c in leaf.most_common(12):
        print(f"    {100 * c / total:5.1f}%  {fr}")
    del in_worker


if __name__ == "__main__":
    for p in sys.argv[1:]:
        summary(p)
