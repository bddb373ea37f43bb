"""The loader: runs the plans oldest case first (townships split over worker processes when the database
allows), then the sweep at the real now until it has nothing left to do; and `module_figures`, the article's
measure of one township module."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime

from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from gridsafe.cases.models import Case
from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.demo.history.actors import World
from gridsafe.demo.history.case_run import CaseRun
from gridsafe.demo.history.plan import HISTORY_NS, CasePlan, plan_history, township_grids
from gridsafe.demo.world import BANGTOU, COUNTY

# ---------------------------------------------------------------- the loader


class _OnceFilter(logging.Filter):
    """The calendar warns on every deadline past its published years: say it once per message, count the rest."""

    def __init__(self):
        super().__init__()
        self.seen: set = set()
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.args or ("",))[0]
        if key in self.seen:
            self.suppressed += 1
            return False
        self.seen.add(key)
        return True


def _fast_sqlite():
    """PRAGMA synchronous=OFF for the load only (each service commits on its own); returns the restorer."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")

    def restore():
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(previous)}")

    return restore


def _run_plans(plans: list[CasePlan], now: datetime, seed: int, tick: Callable[[], None]) -> tuple[int, set, int]:
    """Run plans in order (a master before its duplicates). Returns (cases made, calendar warnings, suppressed)."""
    world = World()
    ns = uuid.uuid5(HISTORY_NS, f"requests:{seed}")
    case_ids: dict[int, int] = {}
    quiet = _OnceFilter()
    calendar_log = logging.getLogger("gridsafe.calendar")
    calendar_log.addFilter(quiet)
    restore = _fast_sqlite()
    try:
        for plan in plans:
            runner = CaseRun(world, plan, now, case_ids, ns)
            runner.run()
            case_ids[plan.index] = runner.case.pk
            tick()
    finally:
        restore()
        calendar_log.removeFilter(quiet)
    return len(case_ids), quiet.seen, quiet.suppressed


def _shards(plans: list[CasePlan], count: int) -> list[list[CasePlan]]:
    """Whole townships per shard, balanced by case count: a duplicate always shares its master's township."""
    by_town: dict[str, list[CasePlan]] = {}
    for p in plans:
        by_town.setdefault(p.township, []).append(p)
    shards: list[list[CasePlan]] = [[] for _ in range(count)]
    for _town, members in sorted(by_town.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        min(shards, key=len).extend(members)
    return [sorted(shard, key=lambda p: p.index) for shard in shards if shard]


def _worker_count(requested: int | None, cases: int) -> int:
    """Parallel only on a committed database we may fork from (not inside a test's transaction)."""
    if connection.in_atomic_block or cases < 200:
        return 1
    if requested is not None:
        return max(1, requested)
    return max(1, min(2, os.cpu_count() or 1))


def _run_parallel(shards, now, seed, progress, started, total) -> tuple[int, set, int]:

    ctx = multiprocessing.get_context("fork")
    done = ctx.Value("i", 0)
    results = ctx.Queue()

    def child(shard):
        try:

            def tick():
                with done.get_lock():
                    done.value += 1

            made, seen, suppressed = _run_plans(shard, now, seed, tick)
            results.put(("ok", made, sorted(seen), suppressed))
        except BaseException:
            results.put(("error", traceback.format_exc(), [], 0))
        finally:
            connections.close_all()

    connections.close_all()  # each process opens its own connection
    processes = [ctx.Process(target=child, args=(shard,), daemon=True) for shard in shards]
    for process in processes:
        process.start()
    reported, answers = 0, []
    while len(answers) < len(processes):
        try:
            answers.append(results.get(timeout=0.5))
        except queue.Empty:
            if not any(p.is_alive() for p in processes) and results.empty():
                break
        while done.value - reported >= 500 and reported + 500 < total:
            reported += 500
            progress(f"  已生成隐患 {reported}/{total}（{time.monotonic() - started:.0f} 秒）")
    for process in processes:
        process.join()
    errors = [a[1] for a in answers if a[0] == "error"]
    if errors or len(answers) < len(processes):
        raise RuntimeError("演示隐患生成失败：\n" + ("\n".join(errors) or "a worker process died"))
    return (
        sum(a[1] for a in answers),
        {y for a in answers for y in a[2]},
        sum(a[3] for a in answers),
    )


def generate_history(*, cases: int = 3000, seed: int = 350322, progress=print, workers: int | None = None) -> int:
    """Plan and run a year of cases ending now, then sweep until nothing is due. Returns the cases created.
    Townships are split over `workers` processes (default: up to 2, one per core) when the database allows."""
    started = time.monotonic()
    plans = plan_history(cases=cases, seed=seed, grids=township_grids())
    now = timezone.now()
    count = _worker_count(workers, len(plans))
    if count > 1:
        made, seen, suppressed = _run_parallel(_shards(plans, count), now, seed, progress, started, len(plans))
    else:
        state = {"done": 0}

        def tick():
            state["done"] += 1
            if state["done"] % 500 == 0 and state["done"] < len(plans):
                progress(f"  已生成隐患 {state['done']}/{len(plans)}（{time.monotonic() - started:.0f} 秒）")

        made, seen, suppressed = _run_plans(plans, now, seed, tick)
    progress(f"  已生成隐患 {made}/{len(plans)}（{time.monotonic() - started:.0f} 秒，{count} 个进程）")

    totals = {"due_soon": 0, "overdue": 0, "cards": 0}
    restore = _fast_sqlite()
    try:
        for _ in range(1000):
            counts = sweep_due_cases()
            for key in totals:
                totals[key] += counts.get(key, 0)
            if not any(counts.values()):
                break
    finally:
        restore()
    progress(
        f"  时限巡检：临期 {totals['due_soon']}，超期 {totals['overdue']}，升级督办 {totals['cards']}"
        f"（共 {time.monotonic() - started:.0f} 秒）"
    )
    if suppressed:
        years = ", ".join(str(k) for k in sorted(seen))
        progress(f"  注意：工作日历缺少 {years} 年的放假安排，另有 {suppressed} 次期限按周一至周五推算")
    return made


def module_figures(township: str = BANGTOU, domain: str = "fire") -> dict[str, int | float]:
    """One township's domain module as the article counts it: entries, handled (处置: rectification submitted and
    standing, i.e. pending verification or closed resolved — the dashboards' definition), resolved, and the rates
    over the entries that are not void, duplicate or transferred (应处置数)."""

    path = f"{COUNTY}.{township[6:]}"
    qs = Case.objects.in_subtree(path).filter(domain__code=domain)
    entries = qs.count()
    excluded = qs.filter(closure__in=["invalid", "duplicate", "transferred"]).count()
    handled = qs.filter(Q(closure="resolved") | Q(state="pending_verification")).count()
    resolved = qs.filter(closure="resolved").count()
    due = entries - excluded
    return {
        "entries": entries,
        "excluded": excluded,
        "handled": handled,
        "resolved": resolved,
        "rate": round(handled / due, 4) if due else 0.0,
        "resolved_rate": round(resolved / due, 4) if due else 0.0,
    }
