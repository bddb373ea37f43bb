"""A year of synthetic hazard cases for the 仙游县 demo, worked through the real services. (Over 600 lines on
purpose: demo data only, one plan and its one executor sharing the plan's types; nothing else imports its insides.)

Two halves:

* `plan_history` is pure: from (cases, seed, the grids of each township) it decides, with one `random.Random(seed)`,
  every case's township, grid, category, report day and time, path through the tiers and final outcome. It knows
  nothing of the database or of today, so the same seed always gives the same plan.
* `generate_history` executes the plan, oldest case first. Every write goes through `case_report`,
  `attachment_add` and the action services, each inside `clock.frozen(t)` at back-dated instants that only move
  forward within a case, so events, deadlines, frozen overdue facts, 督办 rows and notifications are all real.
  Step durations are fractions of the step's own time limit on the working calendar (a few are late); the last
  year ends at the real "now". Then the sweep runs at the real now until it has nothing left to do.

榜头镇 carries the article's module statistics (domain.md §1.2): its fire module gets 565 entries per 3,000 cases
with 503 handled (89 %), its road module 208 with 192 handled (92 %), scaled for other sizes. "Handled" (处置) is
the dashboards' definition: rectification submitted and standing, i.e. pending verification or closed resolved.
These two modules are kept free of void, duplicate and transferred closures, so the rate is the same whether those
are excluded from the denominator or not.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import queue
import random
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from shapely.geometry import Point, shape
from shapely.prepared import prep

from gridsafe.accounts.models import Role, Unit, User
from gridsafe.cases.models import Case
from gridsafe.cases.services import (
    attachment_add,
    case_approve_extension,
    case_assign,
    case_dispatch,
    case_escalate,
    case_merge,
    case_reject_extension,
    case_reopen,
    case_reply_supervision,
    case_report,
    case_request_extension,
    case_resume,
    case_return,
    case_start,
    case_submit,
    case_supervise,
    case_suspend,
    case_transfer,
    case_urge,
    case_verify_fail,
    case_verify_pass,
    case_void,
)
from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.catalog.calendar import current_calendar
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import Category
from gridsafe.core import clock
from gridsafe.demo.catalog import CATEGORIES
from gridsafe.demo.world import BANGTOU, COUNTY, TOWNSHIP_DEPARTMENTS
from gridsafe.regions.models import Region, RegionLevel

ARTICLE_CASES = 3000  # the demo's default size, at which the article's module figures apply unscaled
FIRE_ENTRIES, FIRE_HANDLED = 565, 503  # 榜头镇 消防安全隐患排查 module, 2017-12-25
ROAD_ENTRIES, ROAD_HANDLED = 208, 192  # 榜头镇 道路安全 module
BANGTOU_OTHER_SHARE = 0.08  # 榜头's other domains, on top of its two modules
HISTORY_NS = uuid.UUID("2b6a7c1e-4f0d-5e8a-9c3b-350322000001")

DOMAIN_WEIGHTS = {
    "fire": 30,
    "rental": 14,
    "lpg": 11,
    "road": 10,
    "fireworks": 6,
    "venue": 7,
    "elevator": 10,
    "hazmat": 2,
}
CATEGORY_WEIGHTS = {"fire-major": 0.15, "lpg-illegal-filling": 0.5}  # the rest weigh 1 within their domain

# category code → (domain, default grade, urgent), from the demo catalog (pure data)
CATEGORY_INFO = {c[0]: (c[1], c[4], c[5]) for c in CATEGORIES}

OPEN_STATES = ("pending_review", "dispatched", "handling", "suspended", "pending_verification")
CLOSURES = ("resolved", "invalid", "duplicate", "transferred")
PATHS = ("village", "township_assign", "township_dept", "county")


# ---------------------------------------------------------------- the plan (pure)


@dataclass
class CasePlan:
    """One synthetic case: where, what, when, and how it ends. Comparable, so two plans can be checked equal."""

    index: int
    client_id: str
    township: str  # 9-digit township code
    grid: str  # 15-digit grid code
    category: str
    day_offset: int  # days before today (local)
    minute: int  # minute of the day (local) the worker reported it
    seed: int  # the executor's own random stream for durations and people
    quota: str = ""  # "bangtou-fire" / "bangtou-road": the article's modules
    major_proposal: bool = False  # the worker proposes 重大 (severity="major")
    outcome: str = "resolved"  # a closure (resolved/invalid/duplicate/transferred) or an open state
    level: int = 0  # where a pending/void/transfer case stops (1 village, 2 township, 3 county)
    path: str = ""  # village / township_assign / township_dept / county (for cases that reach handling)
    light: str = ""  # target traffic light of an open case's current step (green/yellow/red), "" = natural
    handler_mode: str = "worker"  # village self-handling: the grid worker or the station officer handles
    rework: int = 0  # verify_fail rounds before the pass
    reopen: bool = False  # resolved, reopened, resolved again
    reopened_open: bool = False  # resolved, reopened, still handling
    extension: str = ""  # approve / reject / pending
    suspend_resume: bool = False
    supervise: bool = False  # manual 督办 by a leader or a higher centre, with the reply
    urge: bool = False  # manual 催办
    misdispatch: bool = False  # dispatched to the wrong department first, which returns it (错派)
    master: int | None = None  # duplicate: index of the master case

    @property
    def domain(self) -> str:
        return CATEGORY_INFO[self.category][0]

    @property
    def is_major(self) -> bool:
        return CATEGORY_INFO[self.category][1] == "major"

    @property
    def urgent(self) -> bool:
        return bool(CATEGORY_INFO[self.category][2])

    @property
    def report_level(self) -> int:
        """Grid workers' 重大 proposals and urgent categories go straight to the township (越级上报)."""
        return 2 if (self.urgent or self.is_major or self.major_proposal) else 1

    @property
    def expected(self) -> tuple[str, str]:
        """(state, closure) the case must have when the plan has run."""
        if self.outcome in CLOSURES:
            return "closed", self.outcome
        return self.outcome, ""


def _p_open(age: int) -> float:
    """How likely a case reported `age` days ago is still open: recent ones mostly, a thin old backlog."""
    for limit, p in ((0, 0.9), (1, 0.8), (3, 0.6), (7, 0.4), (14, 0.2), (30, 0.08), (90, 0.03)):
        if age <= limit:
            return p
    return 0.012


_OPEN_WEIGHTS = {
    # age bucket → (pending@1, pending@2, pending@3, dispatched, handling, pending_verification, suspended, reopened)
    "new": (30, 12, 6, 14, 30, 8, 0, 0),
    "week": (4, 5, 5, 8, 40, 20, 8, 6),
    "old": (3, 3, 3, 4, 30, 8, 40, 4),
}
_OPEN_KEYS = ("pr1", "pr2", "pr3", "dispatched", "handling", "pending_verification", "suspended", "reopened")
_LIGHT_WEIGHTS = {"new": (55, 35, 10), "week": (35, 30, 35), "old": (5, 5, 90)}  # green, yellow, red


def _bucket(age: int) -> str:
    return "new" if age <= 1 else "week" if age <= 7 else "old"


def _choose_path(rng: random.Random, p: CasePlan, *, dispatched: bool = False) -> str:
    if p.is_major:
        return "county"  # 销号 needs a department lead other than the handler: the county departments have both
    weights = {"village": 64, "township_assign": 8, "township_dept": 16, "county": 12}
    if p.report_level > 1:
        weights["village"] = 0
    if dispatched:
        weights["village"] = weights["township_assign"] = 0
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _shape(rng: random.Random, p: CasePlan, open_key: str | None = None) -> None:
    """Fill in level, path, light and modifiers for the outcome already chosen. Resets earlier choices."""
    for name in ("rework", "level"):
        setattr(p, name, 0)
    p.path = p.light = p.extension = ""
    p.reopen = p.reopened_open = p.suspend_resume = p.supervise = p.urge = p.misdispatch = False
    p.master = None
    p.handler_mode = "worker"
    age = p.day_offset
    if p.outcome == "invalid":
        p.level = max(p.report_level, rng.choices([1, 2, 3], weights=[75, 20, 5])[0])
        return
    if p.outcome == "transferred":
        p.level = max(p.report_level, rng.choices([2, 3], weights=[70, 30])[0])
        return
    if p.outcome == "duplicate":
        p.level = p.report_level
        return
    if p.outcome == "pending_review":
        p.level = max(p.report_level, {"pr1": 1, "pr2": 2, "pr3": 3}.get(open_key or "pr1", 1))
        p.light = rng.choices(("green", "yellow", "red"), weights=_LIGHT_WEIGHTS[_bucket(age)])[0]
        return
    p.path = _choose_path(rng, p, dispatched=p.outcome == "dispatched")
    dept = p.path in ("township_dept", "county")
    if p.path == "village":
        p.handler_mode = rng.choices(("worker", "officer"), weights=(60, 40))[0]
    if p.outcome == "dispatched":
        p.misdispatch = rng.random() < 0.1
        p.light = rng.choices(("green", "yellow", "red"), weights=_LIGHT_WEIGHTS[_bucket(age)])[0]
        return
    p.misdispatch = dept and rng.random() < 0.06
    if p.outcome == "resolved":
        r = rng.random()
        p.rework = 1 if r < 0.07 else 2 if r < 0.085 else 0
        p.reopen = rng.random() < 0.025
        r = rng.random()
        if p.is_major:
            p.extension = "approve" if r < 0.6 else ""
        else:
            p.extension = "approve" if r < 0.06 else "reject" if r < 0.08 else ""
        p.suspend_resume = rng.random() < (0.15 if p.is_major else 0.02)
        p.supervise = rng.random() < (0.3 if p.is_major else 0.04)
        p.urge = rng.random() < 0.07
    elif p.outcome == "pending_verification":
        p.rework = 1 if rng.random() < 0.1 else 0
        p.extension = "approve" if rng.random() < 0.05 else ""
        p.urge = rng.random() < 0.05
        p.light = rng.choices(("green", "yellow", "red"), weights=_LIGHT_WEIGHTS[_bucket(age)])[0]
    elif p.outcome == "handling":
        if open_key == "reopened":
            p.reopened_open = True
        else:
            p.light = rng.choices(("green", "yellow", "red"), weights=_LIGHT_WEIGHTS[_bucket(age)])[0]
            p.urge = rng.random() < 0.15
            p.supervise = rng.random() < 0.12
            p.extension = "pending" if rng.random() < (0.3 if p.is_major else 0.1) else ""
    elif p.outcome == "suspended":
        p.urge = rng.random() < 0.1
    if p.path == "village" and (p.extension or p.suspend_resume or p.outcome == "suspended"):
        p.handler_mode = "worker"  # the officer approves: never their own extension or 挂账


def _pick_open(rng: random.Random, p: CasePlan) -> str:
    key = rng.choices(_OPEN_KEYS, weights=_OPEN_WEIGHTS[_bucket(p.day_offset)])[0]
    if key == "pr1" and p.report_level > 1:
        key = "pr2"
    return key


def _apply_open(rng: random.Random, p: CasePlan, key: str) -> None:
    p.outcome = {"pr1": "pending_review", "pr2": "pending_review", "pr3": "pending_review", "reopened": "handling"}.get(
        key, key
    )
    _shape(rng, p, key)


def _weighted_sample(rng: random.Random, items: list[CasePlan], weights: list[float], k: int) -> set[int]:
    """k distinct items, each drawn with probability ∝ weight (Efraimidis–Spirakis keys)."""
    keyed = sorted(((rng.random() ** (1.0 / w), p.index) for p, w in zip(items, weights, strict=True)), reverse=True)
    return {index for _key, index in keyed[:k]}


def plan_history(*, cases: int, seed: int, grids: dict[str, list[str]]) -> list[CasePlan]:
    """The whole year as data, oldest case first. `grids`: township code → its grid codes (see `township_grids`)."""
    rng = random.Random(seed)
    n = max(0, int(cases))
    scale = n / ARTICLE_CASES
    fire_n = min(n, round(FIRE_ENTRIES * scale))
    road_n = min(n - fire_n, round(ROAD_ENTRIES * scale))
    other_n = min(n - fire_n - road_n, round(BANGTOU_OTHER_SHARE * n))
    rest_n = n - fire_n - road_n - other_n
    others = sorted(t for t in grids if t != BANGTOU and grids[t])
    by_domain: dict[str, list[str]] = {}
    for code, (domain, _grade, _urgent) in CATEGORY_INFO.items():
        by_domain.setdefault(domain, []).append(code)

    def category(domains: dict[str, int]) -> str:
        domain = rng.choices(list(domains), weights=list(domains.values()))[0]
        codes = by_domain[domain]
        return rng.choices(codes, weights=[CATEGORY_WEIGHTS.get(c, 1.0) for c in codes])[0]

    slots: list[tuple[str, str, str]] = []  # (quota, township, category)
    slots += [("bangtou-fire", BANGTOU, category({"fire": 1})) for _ in range(fire_n)]
    slots += [("bangtou-road", BANGTOU, category({"road": 1})) for _ in range(road_n)]
    bangtou_other = {d: w for d, w in DOMAIN_WEIGHTS.items() if d not in ("fire", "road")}
    slots += [("", BANGTOU, category(bangtou_other)) for _ in range(other_n)]
    weights = [len(grids[t]) for t in others]
    for _ in range(rest_n):
        slots.append(("", rng.choices(others, weights=weights)[0], category(DOMAIN_WEIGHTS)))
    rng.shuffle(slots)

    # Report days over the last year, twice as dense now as a year ago (the scheme growing), mostly in the daytime.
    moments = []
    while len(moments) < n:
        day = rng.randrange(365)
        if rng.random() < (1 + (1 - day / 365)) / 2:
            if rng.random() < 0.9:
                minute = rng.randint(8 * 60 + 10, 17 * 60 + 50)
            else:
                minute = rng.choice((rng.randint(6 * 60 + 30, 8 * 60), rng.randint(18 * 60, 21 * 60)))
            moments.append((-day, minute))
    moments.sort()
    namespace = uuid.uuid5(HISTORY_NS, str(seed))
    plans = []
    for index, ((quota, township, cat), (neg_day, minute)) in enumerate(zip(slots, moments, strict=True)):
        plans.append(
            CasePlan(
                index=index,
                client_id=str(uuid.uuid5(namespace, f"case:{index}")),
                township=township,
                grid=rng.choice(grids[township]),
                category=cat,
                day_offset=-neg_day,
                minute=minute,
                seed=rng.getrandbits(32),
                quota=quota,
            )
        )

    # Outcomes. The article's modules: exactly (entries − handled) open, chosen with recent cases likelier.
    for quota, entries, handled in (
        ("bangtou-fire", fire_n, round(fire_n * FIRE_HANDLED / FIRE_ENTRIES)),
        ("bangtou-road", road_n, round(road_n * ROAD_HANDLED / ROAD_ENTRIES)),
    ):
        members = [p for p in plans if p.quota == quota]
        open_ones = _weighted_sample(rng, members, [_p_open(p.day_offset) for p in members], entries - handled)
        for p in members:
            if p.index in open_ones:  # not handled: still before 提交整改
                key = _pick_open(rng, p)
                _apply_open(rng, p, "handling" if key == "pending_verification" else key)
            elif p.day_offset <= 5 and rng.random() < 0.35:  # handled, waiting for 核查
                _apply_open(rng, p, "pending_verification")
            else:
                p.outcome = "resolved"
                _shape(rng, p)
    for p in plans:
        if p.quota:
            continue
        # A grid worker may propose 重大 for a 一般 category: the case goes straight to the township (grade stays).
        p.major_proposal = not p.is_major and not p.urgent and rng.random() < 0.03
        if rng.random() < _p_open(p.day_offset):
            _apply_open(rng, p, _pick_open(rng, p))
            continue
        if p.is_major:
            p.outcome = rng.choices(("resolved", "transferred"), weights=(85, 15 if p.domain != "hazmat" else 40))[0]
        else:
            p.outcome = rng.choices(CLOSURES, weights=(84, 7, 5, 4))[0]
        _shape(rng, p)

    _resolve_duplicates(rng, plans, _showcase(rng, plans))
    return plans


def _flexible(p: CasePlan) -> bool:
    """A case the showcase may reshape freely: not in the article's modules or 榜头, a plain 一般 category."""
    return not p.quota and p.township != BANGTOU and not p.is_major and not p.urgent and not p.major_proposal


# Everything a demo (and its test) must show at least once: (name, predicate, how to make it).
def _requirements():
    def closed(outcome, **flags):
        def make(rng, p):
            p.outcome = outcome
            _shape(rng, p)
            for k, v in flags.items():
                setattr(p, k, v)
            if p.path == "village" and (p.extension or p.suspend_resume):
                p.handler_mode = "worker"
            if flags.get("misdispatch") and p.path not in ("township_dept", "county"):
                p.path = "county"

        return make

    def opened(key, **flags):
        def make(rng, p):
            _apply_open(rng, p, key)
            for k, v in flags.items():
                setattr(p, k, v)

        return make

    def has(**want):
        def pred(p):
            return all(getattr(p, k) == v if not callable(v) else v(getattr(p, k)) for k, v in want.items())

        return pred

    return [
        ("open", has(outcome="pending_review", level=1), opened("pr1")),
        ("open", has(outcome="pending_review", level=2), opened("pr2")),
        ("open", has(outcome="pending_review", level=3), opened("pr3")),
        ("open", has(outcome="dispatched"), opened("dispatched")),
        ("open", has(outcome="handling", light="yellow"), opened("handling", light="yellow")),
        ("stale", has(outcome="handling", light="red"), opened("handling", light="red")),
        ("open", has(outcome="handling", reopened_open=True), opened("reopened")),
        ("stale", has(outcome="suspended"), opened("suspended")),
        ("open", has(outcome="pending_verification"), opened("pending_verification")),
        ("closed", has(outcome="invalid"), closed("invalid")),
        ("closed", has(outcome="transferred"), closed("transferred")),
        ("closed", has(outcome="resolved", rework=lambda v: v >= 1), closed("resolved", rework=1)),
        ("closed", has(outcome="resolved", reopen=True), closed("resolved", reopen=True)),
        ("closed", has(extension="approve"), closed("resolved", extension="approve")),
        ("closed", has(extension="reject"), closed("resolved", extension="reject")),
        ("closed", has(suspend_resume=True), closed("resolved", suspend_resume=True)),
        ("closed", has(supervise=True), closed("resolved", supervise=True)),
        ("closed", has(urge=True), closed("resolved", urge=True)),
        ("closed", has(misdispatch=True), closed("resolved", misdispatch=True)),
        ("closed", has(outcome="resolved", path="village"), closed("resolved", path="village")),
        ("closed", has(outcome="resolved", path="township_assign"), closed("resolved", path="township_assign")),
        ("closed", has(outcome="resolved", path="township_dept"), closed("resolved", path="township_dept")),
        ("closed", has(outcome="resolved", path="county"), closed("resolved", path="county")),
        ("major", lambda p: p.is_major and p.outcome == "resolved", None),
    ]


def _showcase(rng: random.Random, plans: list[CasePlan]) -> set[int]:
    """Make sure every state, closure and side path occurs at least once, reshaping flexible cases only.
    Returns the cases that show something (found or made), which nothing may reshape afterwards."""
    used: set[int] = set()
    flexible = [p for p in plans if _flexible(p)]
    for kind, pred, make in _requirements():
        found = next((p for p in plans if pred(p)), None)
        if found is not None:
            used.add(found.index)
            continue
        pool = [p for p in flexible if p.index not in used]
        if not pool:
            return used
        if kind == "open":
            target = min(pool, key=lambda p: (p.day_offset, -p.index))
        elif kind == "stale":
            target = min(pool, key=lambda p: (abs(p.day_offset - 20), p.index))
        else:
            old = [p for p in pool if p.day_offset >= 20] or pool
            target = rng.choice(old)
        used.add(target.index)
        if kind == "major":
            target.category = "fire-major"
            target.outcome = "resolved"
            _shape(rng, target)
            target.extension = "approve"
        else:
            make(rng, target)
    return used


def _resolve_duplicates(rng: random.Random, plans: list[CasePlan], protected: set[int]) -> None:
    """A duplicate copies the grid and category of an earlier case (the master) reported up to 10 days before it.
    Masters are never in the article's modules and never end as void, duplicate or transfer (merge needs that)."""

    def eligible(m: CasePlan, p: CasePlan) -> bool:
        return (
            m.index < p.index
            and not m.quota
            and m.outcome not in ("invalid", "duplicate", "transferred")
            and m.day_offset - p.day_offset <= 10
        )

    def make(p: CasePlan, m: CasePlan) -> None:
        p.township, p.grid, p.category, p.major_proposal = m.township, m.grid, m.category, False
        p.outcome = "duplicate"
        _shape(rng, p)
        p.master = m.index

    for p in plans:
        if p.outcome != "duplicate" or p.master is not None:
            continue
        earlier = [m for m in plans[max(0, p.index - 60) : p.index] if eligible(m, p)]
        pool = [m for m in earlier if m.township == p.township] or earlier
        if pool:
            make(p, pool[-1])
        else:
            p.outcome = "invalid"
            _shape(rng, p)
    if not any(p.outcome == "duplicate" for p in plans):
        masters = {p.master for p in plans if p.master is not None}
        for p in reversed(plans):
            if not _flexible(p) or p.index in masters | protected or p.outcome not in ("resolved", "invalid"):
                continue
            earlier = [m for m in plans[: p.index] if eligible(m, p) and m.master is None]
            if earlier:
                make(p, earlier[-1])
                break


def township_grids() -> dict[str, list[str]]:
    """Township code → its active grid codes, sorted: the world as `plan_history` needs it."""
    result: dict[str, list[str]] = {}
    for code in (
        Region.objects.filter(level=RegionLevel.GRID, is_active=True).order_by("code").values_list("code", flat=True)
    ):
        result.setdefault(code[:9], []).append(code)
    return result


# ---------------------------------------------------------------- the world the plan runs in


@dataclass
class _Grid:
    id: int
    code: str
    name: str
    village: str
    village_name: str
    township: str
    township_name: str
    center: tuple[float, float]
    geometry: dict
    shape: object = None


class _World:
    """People, units and grids, loaded once: every actor object is reused, so its jurisdiction is cached on it."""

    def __init__(self):
        self.Role = Role
        names = dict(Region.objects.filter(level__in=[2, 3]).values_list("code", "name"))
        self.grids: dict[str, _Grid] = {}
        for row in Region.objects.filter(level=RegionLevel.GRID, is_active=True).values(
            "id", "code", "name", "center_lon", "center_lat", "geometry"
        ):
            code = row["code"]
            self.grids[code] = _Grid(
                id=row["id"],
                code=code,
                name=row["name"],
                village=code[:12],
                village_name=names.get(code[:12], ""),
                township=code[:9],
                township_name=names.get(code[:9], ""),
                center=(row["center_lon"], row["center_lat"]),
                geometry=row["geometry"],
            )
        self.units = {u.code: u for u in Unit.objects.select_related("region")}
        self.units_by_pk = {u.pk: u for u in self.units.values()}
        self.users = {u.pk: u for u in User.objects.filter(is_active=True).select_related("unit__region")}
        self.members: dict[tuple[int, str], list] = {}
        for user in sorted(self.users.values(), key=lambda u: u.username):
            if user.unit_id:
                self.members.setdefault((user.unit_id, user.role), []).append(user)
        self.worker_of: dict[int, object] = {}
        links = User.grids.through.objects.values_list("region_id", "user_id").order_by("region_id", "user_id")
        for region_id, user_id in links:
            user = self.users.get(user_id)
            if user is not None and user.role == Role.GRID_WORKER:
                self.worker_of.setdefault(region_id, user)
        self.leaders = [u for u in sorted(self.users.values(), key=lambda u: u.username) if u.role == Role.LEADER]
        self.categories = {c.code: c for c in Category.objects.select_related("domain")}
        self.county_departments = sorted(
            (u for u in self.units.values() if u.kind == "department" and u.region.code == COUNTY),
            key=lambda u: u.code,
        )

    def unit(self, code: str):
        return self.units[code]

    def people(self, unit, *roles) -> list:
        return [u for role in roles for u in self.members.get((unit.pk, role), [])]

    def point_in(self, grid: _Grid, rng: random.Random) -> tuple[float, float]:
        """A point inside the grid polygon: its representative point, jittered by up to ~150 m."""
        if grid.shape is None:
            polygon = shape(grid.geometry)
            grid.shape = (prep(polygon), polygon.bounds)
        prepared, (x0, y0, x1, y1) = grid.shape
        lon, lat = grid.center
        reach = min(0.0015, (x1 - x0) / 4, (y1 - y0) / 4)
        for _ in range(8):
            x, y = lon + rng.uniform(-reach, reach), lat + rng.uniform(-reach, reach)
            if prepared.contains(Point(x, y)):
                return round(x, 6), round(y, 6)
        return lon, lat


# ---------------------------------------------------------------- texts

# One report in eight reaches the village station by another channel and is registered there (隐患登记), so the
# dashboards' 来源 counts and 漏报率 have something to show (domain.md §5).
DESK_SHARE = 0.125
DESK_CHANNELS = ("hotline", "hotline", "video", "walk_in", "department")

_PLACES = {
    "fire": ["沿街店面", "村民自建房", "出租房", "小作坊", "农贸市场", "小区楼道"],
    "rental": ["出租房", "外来务工人员租住点", "城中村出租楼"],
    "lpg": ["餐饮店", "小吃店", "民房", "沿街商铺"],
    "fireworks": ["杂货店", "小卖部", "民房"],
    "venue": ["KTV", "网吧", "游艺厅", "酒吧"],
    "elevator": ["小区", "商场", "医院", "酒店"],
    "road": ["村道", "县道", "乡道交叉口", "学校门口路段"],
    "hazmat": ["废弃厂房", "原化工作坊", "仓库"],
}
_DETAILS = {
    "fire": ["现场拍照上传，请研判处置", "经营户称近期整改", "周边人员密集，存在火灾风险", "群众反映多次"],
    "rental": ["租住人员较多，消防设施不足", "房东未落实安全管理责任", "电线老化、私拉乱接"],
    "lpg": ["钢瓶无检验标识", "钢瓶与灶具间距不足", "无燃气经营许可证"],
    "fireworks": ["临近春节销售旺季", "储存量较大，周边为居民区", "无烟花爆竹经营许可证"],
    "venue": ["营业期间安全出口上锁", "消防设施无法正常启动", "疏散指示标志损坏"],
    "elevator": ["检验合格标志过期", "维保单位未按期维保", "电梯运行有异响"],
    "road": ["夜间照明不足", "路面坑洼积水", "标志标线模糊", "事故多发"],
    "hazmat": ["遗留桶装化学品，标识不清", "部分包装破损渗漏", "无人看管"],
}
_MEASURES = {
    "fire": ("rectified", "已清理杂物、疏通通道，配齐灭火器并张贴警示标识"),
    "rental": ("rectified", "已督促房东整改：清退超员人员，规范线路敷设"),
    "lpg": ("rectified", "已更换合格钢瓶并移至通风处，加装燃气泄漏报警器"),
    "fireworks": ("removed", "已将烟花爆竹清运至合法仓储点，责令停止无证经营"),
    "venue": ("rectified", "已打开安全出口，修复消防设施并组织员工培训"),
    "elevator": ("rectified", "已完成检验并张贴合格标志，落实维保记录"),
    "road": ("rectified", "已修补路面、补设标志标线并增设警示桩"),
    "hazmat": ("removed", "已由有资质单位清运处置遗留危险物品"),
}
_MAJOR_MEASURES = {
    "lpg-illegal-filling": ("banned", "依法取缔非法充装点，钢瓶全部暂扣转移"),
    "fire-major": ("stopped", "责令停业整改，拆除违规隔断，增设疏散通道和自动喷淋"),
    "hazmat-legacy": ("removed", "委托有资质单位转运处置，现场清洗并设置警戒"),
}
_TRANSFER_BODIES = [
    ("莆田市12345政务服务便民热线", "12345-"),
    ("市生态环境局仙游分局", "HB"),
    ("国网仙游县供电公司", "GD"),
    ("县自然资源局", "ZR"),
    ("永春县网格化服务管理中心", "YC"),
]
_VOID = [
    ("not_hazard", "经现场核实，不属于安全隐患"),
    ("false_report", "上报信息与现场情况不符"),
    ("out_of_scope", "属民事纠纷，不属于安全生产网格受理范围"),
]


_FONT = []


def _jpeg(text: str, rng: random.Random) -> bytes:
    """A tiny real photo: 320×240, one colour, the capture time burned in (bitmap font: twice as fast)."""
    if not _FONT:
        _FONT.append(ImageFont.load_default_imagefont())
    image = Image.new("RGB", (320, 240), (rng.randint(40, 200), rng.randint(40, 200), rng.randint(40, 200)))
    ImageDraw.Draw(image).text((10, 210), text, fill=(255, 255, 255), font=_FONT[0])
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=60)
    return buf.getvalue()


# ---------------------------------------------------------------- running one case


class _Op:
    __slots__ = ("name", "run", "timing")

    def __init__(self, name: str, run: Callable[[], None], timing: tuple):
        self.name, self.run, self.timing = name, run, timing


class PathRejected(RuntimeError):
    pass


class _CaseRun:
    LATE = 0.04  # chance that a step is left after its deadline (4× for 重大, whose limits are short)

    def __init__(self, world: _World, plan: CasePlan, now: datetime, case_ids: dict[int, int], ns: uuid.UUID):
        self.w, self.p, self.now, self.case_ids, self.ns = world, plan, now, case_ids, ns
        self.cap = now - timedelta(minutes=2)
        self.rng = random.Random(plan.seed)
        self.cal = current_calendar()
        self.tz = timezone.get_default_timezone()
        self.case = None
        self.t: datetime | None = None
        self.calls = 0
        self.grid = world.grids[plan.grid]
        self.worker = world.worker_of[self.grid.id]
        self.category = world.categories[plan.category]
        R = world.Role
        self.station = world.unit(f"station-{self.grid.village}")
        self.centre = world.unit(f"centre-{self.grid.township}")
        self.county = world.unit("county-centre")
        self.officers = world.people(self.station, R.STATION_OFFICER)
        self.centre_ops = world.people(self.centre, R.CENTRE_OPERATOR)
        self.centre_leads = world.people(self.centre, R.CENTRE_LEAD)
        self.county_ops = world.people(self.county, R.CENTRE_OPERATOR)
        self.county_leads = world.people(self.county, R.CENTRE_LEAD)
        suffix = next(s for s, _n, domains in TOWNSHIP_DEPARTMENTS if plan.domain in domains)
        self.township_dept = world.unit(f"{suffix}-{self.grid.township}")
        self.county_dept = next(u for u in world.county_departments if u.pk == self.category.department_id)
        self.handler = None

    # -- people

    def pick(self, people: list, exclude: tuple = ()):
        ids = {u.pk for u in exclude if u is not None}
        pool = [u for u in people if u.pk not in ids]
        if not pool:
            raise PathRejected(f"case {self.p.index}: nobody left to act ({[u.username for u in people]})")
        return self.rng.choice(pool)

    def dept_staff(self, unit):
        R = self.w.Role
        return self.w.people(unit, R.DEPT_HANDLER) or self.w.people(unit, R.DEPT_LEAD)

    def level_unit_people(self, *, leads: bool = False) -> list:
        """Reviewers (or leads) of the tier that owns the case's review."""
        path, level = self.p.path, self.case.level
        if path == "village" or (not path and level == 1):
            return self.officers
        if path in ("township_assign", "township_dept") or (not path and level == 2):
            return self.centre_leads if leads else self.centre_ops + self.centre_leads
        return self.county_leads if leads else self.county_ops + self.county_leads

    def above(self) -> list:
        """Who may 督办/催办: leaders, and a higher centre (or the dispatching one while a department holds it)."""
        path = self.p.path
        if path == "village":
            return self.w.leaders + self.centre_ops + self.centre_leads + self.county_ops
        if path == "township_assign":
            return self.w.leaders + self.county_ops + self.county_leads
        if path == "township_dept":
            return self.w.leaders + self.centre_ops + self.centre_leads + self.county_ops
        return self.w.leaders + self.county_ops + self.county_leads

    def verifier(self):
        excluded = (self.handler, self.w.users.get(self.case.last_handler_id))
        if self.p.is_major:
            return self.pick(self.w.people(self.county_dept, self.w.Role.DEPT_LEAD), excluded)
        ids = {u.pk for u in excluded if u is not None}
        reviewers = [u for u in self.level_unit_people() if u.pk not in ids]
        if self.worker.pk not in ids and (not reviewers or self.rng.random() < 0.35):
            return self.worker  # a grid worker of the grid checks on site
        return self.pick(reviewers)

    # -- time

    def _fit(self, t: datetime, cap: datetime) -> datetime:
        floor = self.t + timedelta(seconds=1)
        if t <= floor:
            t = floor + timedelta(minutes=self.rng.uniform(1, 10))
        if t > cap:
            t = self.t + (cap - self.t) * self.rng.uniform(0.2, 0.5)
        return max(t, floor)

    def _office(self, t: datetime) -> datetime:
        """Some time in office hours on the first working day from `t`'s date."""
        local = t.astimezone(self.tz)
        for _ in range(15):
            if self.cal.is_workday(local.date()):
                break
            local += timedelta(days=1)
        minute = self.rng.choice((self.rng.randint(8 * 60 + 30, 11 * 60 + 45), self.rng.randint(14 * 60 + 40, 17 * 60)))
        return local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59), microsecond=0)

    def when(self, timing: tuple) -> datetime:
        kind = timing[0]
        c = self.case
        if kind == "step" and c.step_started_at and c.due_at and c.limit_unit:
            lo, hi = timing[1], timing[2]
            late_ok = timing[3] if len(timing) > 3 else True
            late = late_ok and self.rng.random() < (self.LATE * (4 if self.p.is_major else 1))
            f = self.rng.uniform(1.15, 2.6) if late else self.rng.uniform(lo, hi)
            span = self.cal.elapsed(c.step_started_at, c.due_at, c.limit_unit)
            return self.cal.add(c.step_started_at, Decimal(f"{max(span, 0) * f:.4f}"), c.limit_unit)
        if kind == "days":
            return self._office(self.t + timedelta(days=self.rng.randint(timing[1], timing[2])))
        low, high = (timing[1], timing[2]) if kind == "hours" else (1, 24)
        return self.cal.add(self.t, Decimal(f"{self.rng.uniform(low, high):.3f}"), "work_hours")

    def solve_start(self, step: str, fraction: float) -> datetime:
        """The latest start of `step` at which `fraction` of its limit is used up by now."""
        limit = limit_for(category_id=self.category.pk, urgent=self.p.urgent or self.p.is_major, step=step)
        if limit is None:
            return self.cap
        amount, unit = limit
        target = float(amount) * fraction
        lo, hi = self.now - timedelta(days=150), self.cap
        for _ in range(32):
            mid = lo + (hi - lo) / 2
            if self.cal.elapsed(mid, self.now, unit) >= target:
                lo = mid
            else:
                hi = mid
        return lo

    # -- service calls

    def call(self, service, actor, **kwargs) -> None:
        self.calls += 1
        request_id = uuid.uuid5(self.ns, f"{self.p.index}:{self.calls}")
        self.case = service(
            case=self.case, actor=actor, expected_version=self.case.version, request_id=request_id, **kwargs
        )

    def photo(self, actor, role: str):

        self.calls += 1
        lon, lat = self.w.point_in(self.grid, self.rng)
        stamp = self.t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        upload = ContentFile(_jpeg(f"{stamp}  {self.grid.code}", self.rng), name=f"{role}.jpg")
        attachment, _ = attachment_add(
            case=self.case,
            actor=actor,
            client_id=uuid.uuid5(self.ns, f"{self.p.index}:photo:{self.calls}"),
            upload=upload,
            role=role,
            captured_at=self.t - timedelta(minutes=self.rng.randint(1, 20)),
            lon=lon,
            lat=lat,
            accuracy_m=round(self.rng.uniform(4, 25), 1),
        )
        return attachment.pk

    # -- the ops

    def report(self) -> None:
        p, g = self.p, self.grid
        lon, lat = self.w.point_in(g, self.rng)
        poor = self.rng.random() < 0.03
        place = self.rng.choice(_PLACES[p.domain])
        detail = self.rng.choice(_DETAILS[p.domain])
        reporter, desk = self.worker, {}
        if not (p.major_proposal or p.is_major) and self.officers and self.rng.random() < DESK_SHARE:
            # Registered at the village station (隐患登记): a call to 12345, a video patrol, a walk-in, a transfer.
            reporter = self.pick(self.officers)
            source = self.rng.choice(DESK_CHANNELS)
            caller = (
                {}
                if source in ("video", "department")
                else {
                    "caller_name": self.rng.choice("陈林黄郑吴王李张刘蔡")
                    + self.rng.choice(("先生", "女士", "阿姨", "师傅")),
                    "caller_phone": f"13{self.rng.randint(0, 9)}{self.rng.randint(10_000_000, 99_999_999)}",
                }
            )
            desk = {"channel": "desk", "source": source, "start_level": 1, **caller}
        self.case, _created = case_report(
            actor=reporter,
            client_id=uuid.UUID(p.client_id),
            category_code=p.category,
            description=f"{g.village_name}{place}：{self.category.name}。{detail}",
            lon=lon,
            lat=lat,
            accuracy_m=None if desk else round(self.rng.uniform(60, 90) if poor else self.rng.uniform(4, 30), 1),
            severity="major" if (p.major_proposal or p.is_major) else None,
            address=f"{g.township_name}{g.village_name}{g.name}",
            **desk,
        )
        # Photos are optional for the services and cost a decoded image, a thumbnail and four fsyncs each: every
        # open case (the ones a demo user opens) and one closed case in five get their report photo.
        if p.outcome not in CLOSURES or self.rng.random() < 0.2:
            self.photo(reporter, "report")

    def escalate(self) -> None:
        if self.case.level == 1:
            actor, reason = self.pick(self.officers), "村级力量不能消除，提请乡镇网格化中心研判"
        elif self.p.is_major:
            actor, reason = (
                self.pick(self.centre_ops + self.centre_leads),
                "重大隐患，提请县网格化中心转县直部门依法处置",
            )
        else:
            actor, reason = self.pick(self.centre_ops + self.centre_leads), "乡镇执法力量不能消除，提请县网格化中心转派"
        self.call(case_escalate, actor, reason=reason)

    def dispatch(self, department) -> None:
        ops = self.county_ops if self.case.level == 3 else self.centre_ops
        self.call(case_dispatch, self.pick(ops), department_id=department.pk, comment=f"请{department.name}签收处置")

    def wrong_department(self):
        if self.p.path == "county":
            return self.rng.choice([u for u in self.w.county_departments if u.pk != self.county_dept.pk])
        other = next(s for s, _n, _d in TOWNSHIP_DEPARTMENTS if f"{s}-" not in self.township_dept.code)
        return self.w.unit(f"{other}-{self.grid.township}")

    def give_back(self) -> None:
        actor = self.pick(self.dept_staff(self.w.units_by_pk[self.case.department_id]))
        self.call(case_return, actor, reason_code="not_our_duty", reason="经核查不属于本单位职责，请重新派遣")

    def start(self) -> None:
        unit = self.county_dept if self.case.level == 3 else self.township_dept
        self.handler = self.pick(self.dept_staff(unit))
        self.call(case_start, self.handler, comment="已签收，安排人员到场处置")

    def assign(self) -> None:
        if self.p.path == "village":
            actor = self.pick(self.officers)
            self.handler = self.worker if self.p.handler_mode == "worker" else actor
        else:
            actor = self.pick(self.centre_ops)
            self.handler = actor if self.rng.random() < 0.5 else self.pick(self.officers)
        self.call(case_assign, actor, handler_id=self.handler.pk, comment="请于时限内整改到位")

    def urge(self) -> None:
        self.call(case_urge, self.pick(self.above()), comment="请加快处置进度，按时反馈整改情况")

    def supervise(self) -> None:
        level = "yellow" if self.rng.random() < 0.2 else "normal"
        self.call(case_supervise, self.pick(self.above()), level=level, instruction="请主要负责人亲自督办，限期整改")

    def reply(self) -> None:
        R = self.w.Role
        holder = self.w.units_by_pk[self.case.holder_unit_id]
        people = self.w.people(holder, R.STATION_OFFICER, R.CENTRE_OPERATOR, R.CENTRE_LEAD, R.DEPT_HANDLER, R.DEPT_LEAD)
        self.call(case_reply_supervision, self.pick(people), reply="已落实督办要求，正在组织整改")

    def request_extension(self) -> None:
        c = self.case
        extra = Decimal(f"{float(c.limit_amount) * self.rng.uniform(0.8, 2.5):.2f}")
        due = self.cal.add(c.due_at, extra, c.limit_unit)
        self.call(case_request_extension, self.handler, requested_due=due, reason="需采购设备、协调施工，申请延期")

    def decide_extension(self, approve: bool) -> None:
        actor = self.pick(self.level_unit_people(leads=True), (self.handler,))
        if approve:
            self.call(case_approve_extension, actor, comment="同意延期，请按新期限完成")
        else:
            self.call(case_reject_extension, actor, reason="整改难度不大，请按原期限完成")

    def suspend(self) -> None:
        review = (self.t.astimezone(self.tz) + timedelta(days=self.rng.choice((30, 60, 90)))).date()
        reason = self.rng.choice(("需列入年度整改资金计划", "涉及规划调整，需县政府协调", "产权纠纷，待司法程序终结"))
        actor = self.pick(self.level_unit_people(leads=True), (self.handler,))
        self.call(case_suspend, actor, reason=reason, review_date=review)

    def resume(self) -> None:
        self.call(
            case_resume, self.pick(self.level_unit_people(leads=True), (self.handler,)), comment="条件具备，恢复处置"
        )

    def submit(self) -> None:
        handler = self.w.users[self.case.handler_id] if self.case.handler_id else self.handler
        self.handler = handler
        photo = self.photo(handler, "after")
        method, measures = _MAJOR_MEASURES.get(self.p.category) or _MEASURES[self.p.domain]
        extra = {}
        if self.case.is_major:
            deadline = (self.t.astimezone(self.tz) + timedelta(days=self.rng.randint(20, 60))).date()
            extra["five_implementations"] = {
                "measures": measures,
                "responsibility": f"{self.county_dept.name}牵头，{self.grid.township_name}、{self.grid.village_name}配合",
                "funds": f"整改资金{self.rng.randint(2, 40)}万元，由责任单位自筹",
                "deadline": deadline.isoformat(),
                "plan": "制定应急处置预案，设置警戒区并落实专人值守",
            }
        self.call(
            case_submit,
            handler,
            method=method,
            measures=measures,
            attachment_ids=[photo],
            completed_at=self.t - timedelta(minutes=self.rng.randint(5, 90)),
            **extra,
        )

    def verify(self, passed: bool) -> None:
        actor = self.verifier()
        lon, lat = self.w.point_in(self.grid, self.rng)
        if passed:
            self.call(case_verify_pass, actor, comment="现场核查，隐患已消除", lon=lon, lat=lat)
        else:
            reason = self.rng.choice(("现场复查整改不到位", "整改后照片与现场不符", "隐患仍存在，需重新整改"))
            self.call(case_verify_fail, actor, reason=reason)

    def reopen(self) -> None:
        people = self.level_unit_people() + self.above()
        actor = self.pick(people, (self.handler,))
        self.call(case_reopen, actor, reason=self.rng.choice(("回访发现隐患复现", "群众反映问题反弹，需重新整改")))

    def close_other(self, outcome: str) -> None:
        if outcome == "invalid":
            code, reason = self.rng.choice(_VOID)
            self.call(case_void, self.pick(self.level_unit_people(leads=True)), reason_code=code, reason=reason)
        elif outcome == "duplicate":
            master = self.case_ids[self.p.master]
            self.call(
                case_merge, self.pick(self.level_unit_people()), master_id=master, comment="同一隐患重复上报，并单处理"
            )
        else:
            body, prefix = self.rng.choice(_TRANSFER_BODIES)
            ref = f"{prefix}{self.t.astimezone(self.tz):%Y%m%d}{self.rng.randint(100, 999)}"
            actor = self.pick(self.level_unit_people())
            comment = "不属于本系统处置范围，移交相关单位"
            self.call(case_transfer, actor, external_body=body, external_ref=ref, comment=comment)

    # -- the plan as ops

    def build(self) -> tuple[list[_Op], int, str]:
        """The ops after the report, the index of the op that enters the final state (-1: the report itself)
        and the clocked step of that state ("" for none)."""
        p = self.p
        ops: list[_Op] = []
        step = ("step", 0.1, 0.8)

        def add(name, run, timing=step):
            ops.append(_Op(name, run, timing))

        target = p.level if p.outcome in ("pending_review", "invalid", "transferred", "duplicate") else 0
        if p.path:
            target = {"village": 1, "township_assign": 2, "township_dept": 2, "county": 3}[p.path]
        for _ in range(max(0, target - p.report_level)):
            add("escalate", self.escalate)
        enter = len(ops) - 1
        review_step = {1: "review_village", 2: "review_township", 3: "review_county"}.get(target, "")
        if p.outcome == "pending_review":
            return ops, enter, review_step
        if p.outcome in ("invalid", "duplicate", "transferred"):
            add(p.outcome, lambda: self.close_other(p.outcome), ("step", 0.1, 0.9))
            return ops, len(ops) - 1, ""
        if p.path in ("township_dept", "county"):
            right = self.county_dept if p.path == "county" else self.township_dept
            if p.misdispatch:
                wrong = self.wrong_department()
                add("dispatch-wrong", lambda: self.dispatch(wrong))
                add("return", self.give_back, ("step", 0.2, 0.9))
            add("dispatch", lambda: self.dispatch(right))
            if p.outcome == "dispatched":
                return ops, len(ops) - 1, "sign"
            add("start", self.start)
        else:
            add("assign", self.assign)
        handling_enter = len(ops) - 1
        if p.urge:
            add("urge", self.urge, ("step", 0.4, 0.75, False))
        if p.supervise:
            add("supervise", self.supervise, ("step", 0.5, 0.9, False))
            add("reply", self.reply, ("hours", 0.5, 4))
        if p.outcome == "handling" and not p.reopened_open:
            if p.extension == "pending":
                add("request_extension", self.request_extension, ("step", 0.5, 0.8, False))
            return ops, handling_enter, "handle"
        if p.outcome == "suspended":
            add("suspend", self.suspend, ("step", 0.3, 0.8, False))
            return ops, len(ops) - 1, ""
        if p.suspend_resume:
            add("suspend", self.suspend, ("step", 0.3, 0.8, False))
            add("resume", self.resume, ("days", 5, 25))
        if p.extension in ("approve", "reject"):
            add("request_extension", self.request_extension, ("step", 0.6, 0.9, False))
            add("decide_extension", lambda: self.decide_extension(p.extension == "approve"), ("hours", 0.5, 5))
        add("submit", self.submit)
        for _ in range(p.rework):
            add("verify_fail", lambda: self.verify(False))
            add("submit", self.submit)
        if p.outcome == "pending_verification":
            return ops, len(ops) - 1, "verify"
        add("verify_pass", lambda: self.verify(True))
        if p.reopen or p.reopened_open:
            add("reopen", self.reopen, ("days", 1, 20))
            if p.reopened_open:
                return ops, len(ops) - 1, ""
            add("submit", self.submit)
            add("verify_pass", lambda: self.verify(True))
        return ops, len(ops) - 1, ""

    def run(self) -> None:
        p = self.p
        ops, enter, enter_step = self.build()
        day = self.now.astimezone(self.tz).date() - timedelta(days=p.day_offset)
        t0 = datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(
            minutes=p.minute, seconds=self.rng.randint(0, 59)
        )
        t0 = min(t0, self.cap - timedelta(minutes=self.rng.uniform(10, 90)) * (len(ops) + 1))
        start = None
        if enter_step and p.light in ("green", "yellow"):
            fraction = self.rng.uniform(0.15, 0.6) if p.light == "green" else self.rng.uniform(0.84, 0.95)
            start = self.solve_start(enter_step, fraction)
            if enter < 0:
                t0 = start
            elif t0 > start - timedelta(hours=enter + 1):
                t0 = start - timedelta(hours=self.rng.uniform(1, 3) * (enter + 1))
        self.t = t0
        with clock.frozen(t0):
            self.report()
        for i, op in enumerate(ops):
            cap = start if (start is not None and i < enter) else self.cap
            if i == enter and start is not None:
                t = max(start, self.t + timedelta(seconds=1))
            else:
                t = self._fit(self.when(op.timing), cap)
                if i == enter and enter_step and p.light == "red":
                    t = self._redden(t, enter_step)
            self.t = t
            with clock.frozen(t):
                op.run()
        state, closure = p.expected
        level = p.level if p.outcome == "pending_review" else self.case.level
        if (self.case.state, self.case.closure, self.case.level) != (state, closure, level):
            raise PathRejected(
                f"case {p.index} ended {self.case.state}/{self.case.closure}@{self.case.level}, "
                f"planned {state}/{closure}@{level}"
            )

    def _redden(self, t: datetime, step: str) -> datetime:
        """Move the start of the final step back far enough that it is overdue now, if the plan allows it."""
        limit = limit_for(category_id=self.category.pk, urgent=self.p.urgent or self.p.is_major, step=step)
        if limit is None or self.cal.elapsed(t, self.now, limit[1]) >= float(limit[0]) * 1.1:
            return t
        earlier = self.solve_start(step, self.rng.uniform(1.3, 3.0))
        return earlier if earlier > self.t else t


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
    world = _World()
    ns = uuid.uuid5(HISTORY_NS, f"requests:{seed}")
    case_ids: dict[int, int] = {}
    quiet = _OnceFilter()
    calendar_log = logging.getLogger("gridsafe.calendar")
    calendar_log.addFilter(quiet)
    restore = _fast_sqlite()
    try:
        for plan in plans:
            runner = _CaseRun(world, plan, now, case_ids, ns)
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


__all__ = ["CasePlan", "generate_history", "module_figures", "plan_history", "township_grids"]
