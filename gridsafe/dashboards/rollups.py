"""KPI rollups (统计汇总), kept in the same transaction as every case change. (Over 600 lines on purpose: the facts,
deltas, upserts, rebuild and check are one model of the counters; split, a change to one fact would span files.)

The case services call `rollup_apply_event` once per CaseEvent (`_move` and `_case_insert`), through the hook this
app registers in its AppConfig.ready() (cases.hooks.on_case_event): cases does not import dashboards. It turns the case as
it was before and after the event into counter deltas and applies them with one `INSERT … ON CONFLICT DO UPDATE
SET c = c + excluded.c` per table, keys sorted so two transactions always lock cells in the same order.

What a case contributes is a pure function of a few case fields (`FACT_FIELDS`):

* cohort counters (`cohort_vector`) sit on the day and month the case was **reported**, for the case's region
  nodes (grid, village, township, county), its department and its reporter. They follow the case: when it is handled,
  the "handled" counter of its report day goes up by one; when it is voided, "invalid" goes up. So the cases of a
  period can be asked "how many are handled now", which is how the volume and on-time rates of domain.md §5 are
  defined (the worked example: of 565 entries 503 are handled, 45 of the other 62 are overdue).
* flow counters (`flow_vector`) sit on the day and month of the **event**: submissions, escalations, dispatches …
  They only ever go up and give the trends ("handled per day").
* gauges (`gauge_vector`) count what is open now, per node, with no period.

Because every number is a function of the case row (cohort, gauges) or of one event (flows), the rebuild is a
plain recount: cohort and gauges from the Case rows, flows from the CaseEvent rows (`expected_rollups`), and the
check compares that recount with the tables.

"Overdue" is the sweep's verdict, not the wall clock: a step is overdue once the sweep has written its
`case.overdue` event (alert_stage ≥ 2) or a step was left after its deadline (a frozen `overdue_steps` fact).
The sweep runs every 30 s, so a case is counted overdue at most one sweep late; in exchange no number changes
without an event, which is what lets rollups be exact."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.core.rows import Writes, qn, statement
from gridsafe.dashboards.models import CELL_COUNTERS, GAUGES, Grain, Scope, StatCell, StatGauge, WatchedCase
from gridsafe.regions.cities import city_of
from gridsafe.regions.models import Region

log = logging.getLogger("gridsafe.rollups")

FACT_FIELDS = (
    "id",
    "due_at",
    "region_path",
    "domain_id",
    "department_id",
    "holder_unit_id",
    "reporter_id",
    "source",
    "grade",
    "created_at",
    "state",
    "closure",
    "alert_stage",
    "overdue_steps",
    "rework_count",
    "reopen_count",
    "misdispatch_count",
    "supervision",
)
_FACT_SET = frozenset(FACT_FIELDS)

EXCLUDED = frozenset({"invalid", "duplicate", "transferred"})  # closed, and never counted as handled or fixed
EXTERNAL_SOURCES = frozenset({"hotline", "video", "department", "leader", "walk_in", "citizen"})  # need 核实 on site
CLOCKED = frozenset({"pending_review", "dispatched", "handling", "pending_verification"})  # suspended: stopped
OPEN = frozenset({"pending_review", "dispatched", "handling", "suspended", "pending_verification"})
REVIEW_STEPS = frozenset({"review_village", "review_township", "review_county"})
HANDLING_STEPS = frozenset({"sign", "handle"})
SOURCES = ("grid_worker", "patrol", "hotline", "video", "department", "leader", "walk_in", "citizen")


# ---------------------------------------------------------------- what one case contributes


def facts_of(obj) -> dict:
    return {name: getattr(obj, name) for name in FACT_FIELDS}


def _late_steps(facts: dict) -> set[str]:
    return {str(f.get("step")) for f in (facts.get("overdue_steps") or []) if isinstance(f, dict)}


def overdue_now(facts: dict) -> bool:
    """The current step is past its deadline (the sweep's verdict); a suspended case's clock is stopped."""
    return facts["state"] in CLOCKED and (facts.get("alert_stage") or 0) >= 2


def cohort_vector(facts: dict) -> dict[str, int]:
    """What the case adds to the counters of its report day. Every KPI of domain.md §5 is a ratio of these.

    handled (处置)            submitted and standing: pending verification, or closed resolved
    handled_on_time          handled, and no 签收/处置 step ever ran past its deadline
    overdue_unhandled        open, not handled, and overdue now or late at 签收/处置 (超期未处置)
    resolved (结案)           closed resolved: the only closure that counts as fixed
    closed_on_time           resolved and no step ever ran late
    overdue_unclosed         open and overdue now or ever late (超期未结案)
    confirm_due / _on_time   核实 of a report from another source: reviewed (or late in review) / reviewed in time
    check_due / _on_time     核查 of a rectification: checked at least once (or late in 核查) / and never late
    """
    state, closure = facts["state"], facts["closure"] or ""
    excluded = closure in EXCLUDED
    is_open = state in OPEN
    late = _late_steps(facts)
    late_handle = bool(late & HANDLING_STEPS)
    late_review = bool(late & REVIEW_STEPS)
    late_verify = "verify" in late
    now_late = overdue_now(facts)
    handled = not excluded and (state == "pending_verification" or closure == "resolved")
    resolved = closure == "resolved"
    external = facts["source"] in EXTERNAL_SOURCES
    reviewed = state != "pending_review"
    checked = resolved or (facts.get("rework_count") or 0) > 0
    major = facts.get("grade") == "major"
    vector = {
        "reported": 1,
        f"src_{facts['source']}": 1,
        "invalid": closure == "invalid",
        "duplicate": closure == "duplicate",
        "transferred": closure == "transferred",
        "resolved": resolved,
        "handled": handled,
        "handled_on_time": handled and not late_handle,
        "overdue_unhandled": is_open and not handled and (now_late or late_handle),
        "closed_on_time": resolved and not late,
        "overdue_unclosed": is_open and (now_late or bool(late)),
        "suspended": state == "suspended",
        "reworks": facts.get("rework_count") or 0,
        "reopens": facts.get("reopen_count") or 0,
        "misdispatches": facts.get("misdispatch_count") or 0,
        "confirm_due": external and (reviewed or late_review),
        "confirm_on_time": external and reviewed and not late_review,
        "check_due": checked or late_verify,
        "check_on_time": checked and not late_verify,
        "major": major,
        "major_resolved": major and resolved,
    }
    return {k: int(v) for k, v in vector.items() if v and k in _CELL_SET}


def gauge_vector(facts: dict) -> dict[str, int]:
    """What the case adds to the open-now gauges: nothing once closed."""
    state = facts["state"]
    if state not in OPEN:
        return {}
    supervision = facts.get("supervision") or ""
    vector = {
        f"open_{state}": 1,
        "overdue": overdue_now(facts),
        "supervised": bool(supervision),
        "red_cards": supervision == "red",
        "major_open": facts.get("grade") == "major",
    }
    return {k: int(v) for k, v in vector.items() if v}


def held_by_department(facts: dict) -> bool:
    return facts.get("department_id") is not None and facts.get("holder_unit_id") == facts.get("department_id")


def flow_vector(kind: str, payload: dict, at: datetime, before: dict | None, after: dict) -> dict[str, int]:
    """What one event adds to the counters of its own day. Uses only the event and the case's department and
    holder just before and after it, which the rebuild recovers from the event rows alone."""
    flows: dict[str, int] = {}
    if kind == "case.submitted":
        flows["f_handled"] = 1
        flows["f_handle_seconds"] = max(0, int((at - after["created_at"]).total_seconds()))
    elif kind == "case.verified":
        flows["f_resolved"] = 1
    elif kind in ("case.voided", "case.merged", "case.transferred"):
        flows["f_closed_other"] = 1
    elif kind == "case.rework":
        flows["f_reworks"] = 1
    elif kind == "case.escalated":
        flows["f_escalations"] = 1
    elif kind == "case.dispatched":
        flows["f_dispatches"] = 1
    elif kind == "case.returned":
        # 错派: a department sends it back as not its duty (the service counts the same on the case).
        if before is not None and held_by_department(before) and (payload or {}).get("reason_code") == "not_our_duty":
            flows["f_misdispatches"] = 1
    elif kind == "case.extension_approved":
        flows["f_extensions"] = 1
    elif kind == "case.reopened":
        flows["f_reopens"] = 1
    elif kind == "case.overdue":
        flows["f_overdue"] = 1
    elif kind == "case.supervised":
        flows["f_supervisions"] = 1
        if (payload or {}).get("level") == "red":
            flows["f_red_cards"] = 1
    elif kind == "case.commented" and (payload or {}).get("hotline_visit"):
        # A 12345 回访 recorded against the case (channels.hotline): reached callers, and the satisfied ones.
        flows["f_visits"] = 1
        flows["f_satisfied"] = int(payload["hotline_visit"] in ("satisfied", "basic"))
    return flows


_CELL_SET = frozenset(CELL_COUNTERS)


# ---------------------------------------------------------------- where it goes


def region_node_ids(path: str) -> list[int]:
    """Keys of the node at `path` and its ancestors, county first: the region codes as integers (350322.101 →
    350322101). Codes are the stable identity of a region (GB/T 2260 and the statistical codes), unlike row ids,
    so the key needs no query and survives a reload of the region table."""
    parts = path.split(".")
    if not all(p.isdigit() for p in parts):
        log.warning("region path %r is not numeric; not counted by region", path)
        return []
    city = city_of(parts[0])  # a county under a city (regions.cities): its cases count at the city too
    return ([int(city)] if city else []) + [int("".join(parts[: i + 1])) for i in range(len(parts))]


def region_key(code: str) -> int:
    return int(code)


def local_day(at: datetime) -> date:
    return timezone.localtime(at).date()


Cells = dict[tuple, Counter]


def _add(cells: Cells, scope: str, node: int, day: date, domain: int, vector: dict, sign: int) -> None:
    for grain, period in ((Grain.DAY, day), (Grain.MONTH, day.replace(day=1))):
        bucket = cells[(scope, grain, node, period, domain)]
        for name, value in vector.items():
            bucket[name] += sign * value


def _cohort_targets(facts: dict) -> list[tuple[str, int]]:
    targets = [(Scope.REGION, n) for n in region_node_ids(facts["region_path"])]
    if facts.get("department_id"):
        targets.append((Scope.UNIT, facts["department_id"]))
    if facts.get("reporter_id"):
        targets.append((Scope.WORKER, facts["reporter_id"]))
    return targets


def _gauge_targets(facts: dict) -> list[tuple[str, int]]:
    targets = [(Scope.REGION, n) for n in region_node_ids(facts["region_path"])]
    if facts.get("department_id"):
        targets.append((Scope.UNIT, facts["department_id"]))
    return targets


def add_cohort(cells: Cells, facts: dict, sign: int = 1) -> None:
    vector = cohort_vector(facts)
    day = local_day(facts["created_at"])
    for scope, node in _cohort_targets(facts):
        _add(cells, scope, node, day, facts["domain_id"], vector, sign)


def add_gauges(gauges: dict[tuple, Counter], facts: dict, sign: int = 1) -> None:
    vector = gauge_vector(facts)
    if not vector:
        return
    for scope, node in _gauge_targets(facts):
        bucket = gauges[(scope, node, facts["domain_id"])]
        for name, value in vector.items():
            bucket[name] += sign * value


def add_flows(
    cells: Cells, kind: str, payload: dict, at: datetime, before: dict | None, after: dict, sign: int = 1
) -> None:
    flows = flow_vector(kind, payload, at, before, after)
    if not flows:
        return
    targets = [(Scope.REGION, n) for n in region_node_ids(after["region_path"])]
    department = after.get("department_id") or (before or {}).get("department_id")
    if department:
        targets.append((Scope.UNIT, department))
    day = local_day(at)
    for scope, node in targets:
        _add(cells, scope, node, day, after["domain_id"], flows, sign)


def replay_flows(cells: Cells, rows, *, start: datetime | None = None, sign: int = 1) -> None:
    """Add the flows of events given in each case's order, as rows of (case id, kind, payload, created_at, holder
    unit id, region path, domain id, case created_at): the case's department and holder just before each event are
    recovered from the rows alone (a dispatch sets the department, a department's 回退 clears it)."""
    current, before = None, None
    for case_id, kind, payload, at, holder, path, domain, created in rows:
        if case_id != current:
            current, before = case_id, None
        department = before["department_id"] if before else None
        if kind == "case.dispatched":
            department = holder
        elif kind == "case.returned" and before is not None and held_by_department(before):
            department = None
        after = {
            "region_path": path,
            "domain_id": domain,
            "created_at": created,
            "department_id": department,
            "holder_unit_id": holder,
        }
        if start is None or at >= start:
            add_flows(cells, kind, payload, at, before, after, sign)
        before = after


def move_past_flows(cells: Cells, *, case_id: int, before: dict, after: dict) -> None:
    """更正 moved a case to another grid or domain: its past flows leave the old (region, domain) for the new one,
    as a rebuild (which counts every flow where the case is now) would count them."""
    rows = list(
        CaseEvent.objects.filter(case_id=case_id)
        .order_by("created_at", "id")
        .values_list("case_id", "kind", "payload", "created_at", "holder_unit_id")
    )
    for facts, sign in ((before, -1), (after, +1)):
        replay_flows(
            cells,
            [(*row, facts["region_path"], facts["domain_id"], facts["created_at"]) for row in rows],
            sign=sign,
        )


# ---------------------------------------------------------------- the hook


def rollup_apply_event(
    *, event, case_before=None, case_after=None, changes: dict | None = None, writes: Writes | None = None
) -> None:
    """Apply one CaseEvent to the rollups, inside the service's transaction.

    `_case_insert` passes the new case as `case_after`; `_move` passes the case as it was (`case_before`) and
    the fields it set (`changes`). Costs no query when nothing counted changes (comments, 催办, due-soon), else
    at most two upserts; with `writes` (a new case: `_case_insert`) the upserts join those writes instead."""
    before = facts_of(case_before) if case_before is not None else None
    if case_after is not None:
        after = facts_of(case_after)
    else:
        after = {**before, **{k: v for k, v in (changes or {}).items() if k in _FACT_SET}}
    cells: Cells = defaultdict(Counter)
    gauges: dict[tuple, Counter] = defaultdict(Counter)
    if before is None or cohort_vector(before) != cohort_vector(after) or _moved(before, after):
        if before is not None:
            add_cohort(cells, before, -1)
        add_cohort(cells, after, +1)
    if before is None or gauge_vector(before) != gauge_vector(after) or _moved(before, after):
        if before is not None:
            add_gauges(gauges, before, -1)
        add_gauges(gauges, after, +1)
    add_flows(cells, event.kind, event.payload, event.created_at, before, after)
    if before is not None and (before["region_path"], before["domain_id"]) != (
        after["region_path"],
        after["domain_id"],
    ):
        move_past_flows(cells, case_id=event.case_id, before=before, after=after)  # 更正 of location or category
    write_deltas(cells, gauges, writes)
    if before is None:
        # A new case is never on the red list: no sweep has marked it late (alert_stage 0) and no one has
        # supervised it yet, so there is no row to write (and its key may not exist yet: see `writes`).
        return
    if watch_entry(before) != watch_entry(after):
        watch_write(after)


def watch_entry(facts: dict) -> tuple | None:
    """The red-list row of a case: open and overdue now or under 督办; None otherwise."""
    if facts["state"] not in OPEN:
        return None
    late, supervision = overdue_now(facts), facts.get("supervision") or ""
    if not (late or supervision):
        return None
    return (
        facts["region_path"],
        facts["domain_id"],
        facts.get("department_id") or 0,
        late,
        supervision,
        facts["due_at"],
    )


def watch_write(facts: dict) -> None:
    entry = watch_entry(facts)
    if entry is None:
        WatchedCase.objects.filter(case_id=facts["id"]).delete()
        return
    path, domain, department, late, supervision, due_at = entry
    WatchedCase.objects.update_or_create(
        case_id=facts["id"],
        defaults={
            "region_path": path,
            "domain": domain,
            "department": department,
            "overdue": late,
            "supervision": supervision,
            "due_at": due_at,
        },
    )


def _moved(before: dict, after: dict) -> bool:
    """The case's keys changed: another department, region or domain now carries it."""
    return any(before[k] != after[k] for k in ("department_id", "region_path", "domain_id", "reporter_id"))


# ---------------------------------------------------------------- writing


CELL_KEY = ("scope", "grain", "node", "period", "domain")
GAUGE_KEY = ("scope", "node", "domain")
_BATCH = 400  # rows per statement: well under SQLite's variable limit with 44 columns


_CACHED_ROWS = 32  # a case event touches ≤ 14 cells; the rebuild's big batches are not worth keeping


def _upsert_text(model, key: tuple[str, ...], columns: tuple[str, ...], n_rows: int) -> str:
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in key + columns)
    one = "(" + ", ".join(["%s"] * (len(key) + len(columns))) + ")"
    update = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in columns)
    return (
        f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * n_rows)} "
        f"ON CONFLICT ({', '.join(qn(c) for c in key)}) DO UPDATE SET {update}"
    )


def _upsert_sql(model, key: tuple[str, ...], columns: tuple[str, ...], n_rows: int) -> str:
    return statement(
        ("upsert", model, key, columns, n_rows),
        lambda: _upsert_text(model, key, columns, n_rows),
        keep=n_rows <= _CACHED_ROWS,
    )


def _upsert(
    model,
    key: tuple[str, ...],
    counters: tuple[str, ...],
    deltas: list[tuple[tuple, Counter]],
    writes: Writes | None = None,
) -> None:
    """Add the deltas, writing only the counters some row changes: a new case touches 2–3 of the 40 columns, so
    the statement carries 7 values a row instead of 45 (and its text, per shape, is built once)."""
    changed: set[str] = set()
    for _key, counter in deltas:
        changed.update(name for name, value in counter.items() if value)
    if not changed:
        return
    deltas = [(k, c) for k, c in deltas if any(c.values())]
    columns = tuple(name for name in counters if name in changed)

    def values(rows: list[tuple[tuple, Counter]]) -> list:
        return [value for k, c in rows for value in (*k, *(c.get(name, 0) for name in columns))]

    if writes is not None:  # one case event: at most 14 cells, one statement
        writes.sql(
            ("upsert", model, key, columns, len(deltas)),
            lambda: _upsert_text(model, key, columns, len(deltas)),
            values(deltas),
        )
        return
    with connection.cursor() as cursor:
        for start in range(0, len(deltas), _BATCH):
            chunk = deltas[start : start + _BATCH]
            cursor.execute(_upsert_sql(model, key, columns, len(chunk)), values(chunk))


def write_deltas(cells: Cells, gauges: dict[tuple, Counter], writes: Writes | None = None) -> None:
    """Add the deltas (now, or as part of `writes`). Keys are sorted so concurrent services lock shared cells (the
    county's, today's) in one order and cannot deadlock; zero deltas are dropped."""
    _upsert(StatCell, CELL_KEY, CELL_COUNTERS, sorted(cells.items()), writes)
    _upsert(StatGauge, GAUGE_KEY, GAUGES, sorted(gauges.items()), writes)


# ---------------------------------------------------------------- recount, rebuild, check


def expected_rollups(
    *, since: date | None = None, chunk: int = 2000, progress=None
) -> tuple[Cells, dict[tuple, Counter], dict]:
    """Recount from the source rows: cohort counters and gauges from Case rows, flows from CaseEvent rows.
    With `since` (a first of month) only cells of periods from that month on are recounted. Memory: the cells.
    `progress(done, total)` counts the source rows read (cases, open cases, events), once every `chunk` rows."""
    cells: Cells = defaultdict(Counter)
    gauges: dict[tuple, Counter] = defaultdict(Counter)
    watched: dict[int, tuple] = {}
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tz) if since else None
    cases = Case.objects.all()
    if start:
        cases = cases.filter(created_at__gte=start)
    events = CaseEvent.objects.order_by("case_id", "created_at", "id")
    if start:
        events = events.filter(case__in=CaseEvent.objects.filter(created_at__gte=start).values("case_id"))
    open_cases = Case.objects.filter(state__in=OPEN)
    tick = _ticker(progress, chunk, lambda: cases.count() + open_cases.count() + events.count())
    for row in cases.order_by("pk").values_list(*FACT_FIELDS).iterator(chunk_size=chunk):
        add_cohort(cells, dict(zip(FACT_FIELDS, row, strict=True)))
        tick()
    for row in open_cases.order_by("pk").values_list(*FACT_FIELDS).iterator(chunk_size=chunk):
        tick()
        facts = dict(zip(FACT_FIELDS, row, strict=True))
        add_gauges(gauges, facts)
        if (entry := watch_entry(facts)) is not None:
            watched[facts["id"]] = entry
    # Flows: replay each case's events in order to know its department and holder just before each event.
    fields = ("case_id", "kind", "payload", "created_at", "holder_unit_id", "case__region_path", "case__domain_id")
    fields += ("case__created_at",)
    rows = events.values_list(*fields).iterator(chunk_size=chunk)
    replay_flows(cells, (tick() or row for row in rows), start=start)
    tick(end=True)
    return cells, gauges, watched


def _ticker(progress, every: int, count):
    """`tick()` once per source row read: calls `progress(done, total)` at the first row, every `every` rows and at
    the end (`tick(end=True)`). Without `progress`, a no-op that counts nothing (no COUNT queries)."""
    if progress is None:
        return lambda end=False: None
    total = count()
    seen = [0]
    progress(0, total)

    def tick(end: bool = False) -> None:
        if end:
            progress(seen[0], max(total, seen[0]))
            return
        seen[0] += 1
        if seen[0] % every == 0:
            progress(seen[0], max(total, seen[0]))

    return tick


def _lock_tables() -> None:
    """PostgreSQL: hold off every service that would touch the rollups until the rebuild commits, so the recount
    sees all committed events and no delta lands on a row being replaced. SQLite's write lock does the same."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(qn(m._meta.db_table) for m in (StatCell, StatGauge, WatchedCase))
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


@transaction.atomic
def rollups_rebuild(*, since: date | None = None, progress=None) -> dict[str, int]:
    """Replace the rollups with a recount (all periods, or periods from the month of `since` on; gauges always
    whole). Returns how many cells and gauges differed before, i.e. the drift it corrected. `progress(done,
    total)`: the source rows recounted (the command's progress line)."""
    _lock_tables()
    if since is not None:
        since = since.replace(day=1)
    cells, gauges, watched = expected_rollups(since=since, progress=progress)
    drift = _drift(cells, gauges, watched, since)
    stale = StatCell.objects.all()
    if since is not None:
        stale = stale.filter(period__gte=since)
    stale.delete()
    StatGauge.objects.all().delete()
    WatchedCase.objects.all().delete()
    write_deltas(cells, gauges)
    WatchedCase.objects.bulk_create(
        [
            WatchedCase(
                case_id=case_id,
                region_path=path,
                domain=domain,
                department=department,
                overdue=late,
                supervision=supervision,
                due_at=due_at,
            )
            for case_id, (path, domain, department, late, supervision, due_at) in watched.items()
        ],
        batch_size=1000,
    )
    counts = {name: len(rows) for name, rows in drift.items()}
    if any(counts.values()):
        log.warning("rollups_rebuild corrected drift: %s", counts)
    return counts


def _table_cells(since: date | None) -> dict[tuple, dict]:
    qs = StatCell.objects.all()
    if since is not None:
        qs = qs.filter(period__gte=since)
    out = {}
    for row in qs.values_list(*CELL_KEY, *CELL_COUNTERS).iterator(chunk_size=5000):
        values = {c: v for c, v in zip(CELL_COUNTERS, row[len(CELL_KEY) :], strict=True) if v}
        if values:
            out[tuple(row[: len(CELL_KEY)])] = values
    return out


def _table_gauges() -> dict[tuple, dict]:
    out = {}
    for row in StatGauge.objects.values_list(*GAUGE_KEY, *GAUGES):
        values = {g: v for g, v in zip(GAUGES, row[len(GAUGE_KEY) :], strict=True) if v}
        if values:
            out[tuple(row[: len(GAUGE_KEY)])] = values
    return out


def _diff(expected: dict[tuple, Counter], actual: dict[tuple, dict]) -> list[dict]:
    drift = []
    for key in sorted(set(expected) | set(actual), key=str):
        want = {k: v for k, v in expected.get(key, {}).items() if v}
        have = actual.get(key, {})
        for column in sorted(set(want) | set(have)):
            if want.get(column, 0) != have.get(column, 0):
                drift.append(
                    {"key": key, "column": column, "expected": want.get(column, 0), "actual": have.get(column, 0)}
                )
    return drift


def _drift(cells: Cells, gauges: dict, watched: dict, since: date | None) -> dict[str, list[dict]]:
    table_watched = {
        row[0]: tuple(row[1:])
        for row in WatchedCase.objects.values_list(
            "case_id", "region_path", "domain", "department", "overdue", "supervision", "due_at"
        )
    }
    watch_drift = [
        {"key": case_id, "expected": watched.get(case_id), "actual": table_watched.get(case_id)}
        for case_id in sorted(set(watched) | set(table_watched))
        if watched.get(case_id) != table_watched.get(case_id)
    ]
    return {
        "cells": _diff(cells, _table_cells(since)),
        "gauges": _diff(gauges, _table_gauges()),
        "watched": watch_drift,
    }


def rollups_diff(*, since: date | None = None) -> dict[str, list[dict]]:
    """Rollups against a recount from Case and CaseEvent rows: every (key, column) that differs."""
    cells, gauges, watched = expected_rollups(since=since)
    return _drift(cells, gauges, watched, since)


def direct_counts(level: int = 2) -> list[dict]:
    """An independent count straight from the Case table with the ORM (no rollup code): per region node of
    `level` and domain, cases reported, resolved, invalid and open by state, next to the rollups' month sums."""

    width = {1: 6, 2: 10, 3: 14, 4: 18}[level]
    direct = {
        (row["prefix"], row["domain_id"]): row
        for row in Case.objects.annotate(prefix=Substr("region_path", 1, width))
        .values("prefix", "domain_id")
        .annotate(
            reported=Count("pk"),
            resolved=Count("pk", filter=Q(closure="resolved")),
            invalid=Count("pk", filter=Q(closure="invalid")),
            **{f"open_{s}": Count("pk", filter=Q(state=s)) for s in sorted(OPEN)},
        )
    }
    paths = {int(code): path for code, path in Region.objects.filter(level=level).values_list("code", "path")}
    rolled = {
        (paths[row["node"]], row["domain"]): row
        for row in StatCell.objects.filter(scope=Scope.REGION, grain=Grain.MONTH, node__in=paths)
        .values("node", "domain")
        .annotate(reported=Sum("reported"), resolved=Sum("resolved"), invalid=Sum("invalid"))
    }
    gauges = {
        (paths[row["node"]], row["domain"]): row
        for row in StatGauge.objects.filter(scope=Scope.REGION, node__in=paths)
        .values("node", "domain")
        .annotate(**{f"open_{s}": Sum(f"open_{s}") for s in sorted(OPEN)})
    }
    report = []
    for key in sorted(set(direct) | set(rolled) | set(gauges), key=str):
        d, r, g = direct.get(key, {}), rolled.get(key, {}), gauges.get(key, {})
        for column in ("reported", "resolved", "invalid", *(f"open_{s}" for s in sorted(OPEN))):
            have = (g if column.startswith("open_") else r).get(column) or 0
            if (d.get(column) or 0) != have:
                report.append({"key": key, "column": column, "direct": d.get(column) or 0, "rollup": have})
    return report
