"""The plan of the demo's year (pure): from (cases, seed, the grids of each township) `plan_history` decides,
with one `random.Random(seed)`, every case's township, grid, category, report day and time, path through the tiers
and final outcome. It knows nothing of the database or of today, so the same seed always gives the same plan.

榜头镇 carries the article's module statistics (domain.md §1.2): its fire module gets 565 entries per 3,000 cases
with 503 handled (89 %), its road module 208 with 192 handled (92 %), scaled for other sizes. "Handled" (处置) is
the dashboards' definition: rectification submitted and standing, i.e. pending verification or closed resolved.
These two modules are kept free of void, duplicate and transferred closures, so the rate is the same whether those
are excluded from the denominator or not."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from gridsafe.demo.catalog import CATEGORIES
from gridsafe.demo.world import BANGTOU
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
