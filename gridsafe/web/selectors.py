"""Reads with a shape for the pages. Every one starts from `cases_visible_to` (via `case_list_visible`), so the
pages can never show more than the API does. Query costs are stated per function; tests pin them."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from gridsafe.accounts.models import Role, UnitKind, User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent, CasePart, PartState
from gridsafe.cases.permissions import LEADS, REVIEWERS, cases_visible_to, jurisdiction_of
from gridsafe.cases.selectors import CaseFilters, case_list_visible, in_yellow_window
from gridsafe.cases.transitions import OPEN_STATES, State
from gridsafe.catalog.models import Grade
from gridsafe.core import clock
from gridsafe.core.cache import VersionedCache
from gridsafe.regions.coords import bbox_around, haversine_m
from gridsafe.regions.models import Region
from gridsafe.web import paging

# ---------------------------------------------------------------- to-do queues (待办)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    hint: str
    tone: str = ""  # "red" / "yellow": the card is coloured when its count is not zero


QUEUES = {
    q.key: q
    for q in (
        Queue("open", "在办", "辖区内未结案的隐患"),
        Queue("review", "待研判", "本单位待研判的隐患"),
        Queue("dispatch", "待派遣", "已上报至本中心、待派遣职能部门"),
        Queue("sign", "待签收", "派遣给本部门、尚未签收"),
        Queue("assist", "协办", "本部门协办、尚未反馈"),
        Queue("handling", "处置中", "本单位或本人正在处置"),
        Queue("verify", "待核查", "已提交整改、由我核查"),
        Queue("approve", "待审批", "延期申请、挂账到期复核"),
        Queue("overdue", "超时", "已超过时限", "red"),
        Queue("due_soon", "临期", "已用时限超过 80%", "yellow"),
        Queue("supervised", "督办", "督办待回复"),
        Queue("returned", "退回给我", "被回退到本单位、尚未处理"),
        Queue("with_worker", "待补充", "已退回网格员核实补充、等待答复（计时暂停）"),
    )
}

# Which queues a post sees on its home page, in order.
ROLE_QUEUES: dict[str, tuple[str, ...]] = {
    Role.GRID_WORKER: ("handling", "verify", "overdue", "due_soon", "supervised"),
    Role.STATION_OFFICER: (
        "review",
        "handling",
        "verify",
        "approve",
        "overdue",
        "due_soon",
        "supervised",
        "returned",
        "with_worker",
    ),
    Role.CENTRE_OPERATOR: (
        "review",
        "dispatch",
        "handling",
        "verify",
        "overdue",
        "due_soon",
        "supervised",
        "returned",
        "with_worker",
    ),
    Role.CENTRE_LEAD: (
        "review",
        "dispatch",
        "handling",
        "verify",
        "approve",
        "overdue",
        "due_soon",
        "supervised",
        "returned",
        "with_worker",
    ),
    Role.DEPT_HANDLER: ("sign", "assist", "handling", "overdue", "due_soon", "supervised"),
    Role.DEPT_LEAD: ("sign", "assist", "handling", "verify", "overdue", "due_soon", "supervised"),
    Role.LEADER: ("overdue", "due_soon", "supervised"),
    Role.ADMIN: ("overdue", "due_soon", "supervised"),
}

_HELD_BY_DEPT = Q(department_id__isnull=False, holder_unit_id=F("department_id"))


def _level_unit(unit_id: int | None) -> Q:
    """`permissions.level_unit_id(case) == unit_id` as a filter: the dispatcher while a department holds it."""
    return (_HELD_BY_DEPT & Q(dispatcher_unit_id=unit_id)) | (~_HELD_BY_DEPT & Q(holder_unit_id=unit_id))


def _my_work(user: User) -> Q:
    """The cases this user answers for: held by my unit, handled by me, or dispatched by my centre. Leaders and
    administrators answer for their whole 辖区."""
    if user.role in (Role.LEADER, Role.ADMIN) or user.unit_id is None:
        return Q()
    work = Q(holder_unit_id=user.unit_id) | Q(handler_id=user.pk)
    if user.role in REVIEWERS:
        work |= _HELD_BY_DEPT & Q(dispatcher_unit_id=user.unit_id)
    return work


def _verify_q(user: User) -> Q:
    """`permissions.can_verify_case` for pending_verification cases, as a filter."""
    not_own = ~Q(handler_id=user.pk) & ~Q(last_handler_id=user.pk)
    general = ~Q(grade=Grade.MAJOR)
    if user.role == Role.DEPT_LEAD:
        mine = Q(grade=Grade.MAJOR, department_id=user.unit_id)
    elif user.role in REVIEWERS:
        mine = general & _level_unit(user.unit_id)
    elif user.role == Role.GRID_WORKER:
        paths = jurisdiction_of(user).paths
        in_grids = Q(pk__in=[])
        for path in paths:
            in_grids |= Q(region_path=path) | Q(region_path__startswith=path + ".")
        mine = general & in_grids
    else:
        return Q(pk__in=[])
    return Q(state=State.PENDING_VERIFICATION) & not_own & mine


def queue_count_parts(key: str, user: User, now: datetime) -> list[Q]:
    """The queue as disjoint filters whose counts add up to its count. A centre's or station's 待核查 is two kinds
    of case: held by a department it dispatched, or held by itself. As one OR PostgreSQL must build a bitmap of every
    matching case before it can stop at the cap (140 000 at 10 M cases, 224 ms); counted apart, each is an index
    scan along `case_open_dispatcher` or `case_open_holder` that stops at the cap (2 ms). Every other queue is one
    part (`queue_q`)."""
    if key == "verify" and user.role in REVIEWERS and user.role != Role.DEPT_LEAD:
        common = Q(state=State.PENDING_VERIFICATION) & ~Q(handler_id=user.pk) & ~Q(last_handler_id=user.pk)
        common &= ~Q(grade=Grade.MAJOR)
        return [
            common & _HELD_BY_DEPT & Q(dispatcher_unit_id=user.unit_id),
            common & ~_HELD_BY_DEPT & Q(holder_unit_id=user.unit_id),
        ]
    return [queue_q(key, user, now)]


def queue_q(key: str, user: User, now: datetime) -> Q:
    """The filter of one queue, applied on top of `cases_visible_to(user)`."""
    unit = user.unit_id
    clocked = ~Q(state__in=[State.CLOSED, State.SUSPENDED]) & Q(due_at__isnull=False)
    if key == "open":
        return ~Q(state=State.CLOSED)
    if key == "review":
        return Q(state=State.PENDING_REVIEW, holder_unit_id=unit) if user.role in REVIEWERS else Q(pk__in=[])
    if key == "dispatch":
        is_centre = (
            user.role in (Role.CENTRE_OPERATOR, Role.CENTRE_LEAD)
            and user.unit is not None
            and user.unit.kind == UnitKind.CENTRE
        )
        return Q(state=State.PENDING_REVIEW, level__gte=2, holder_unit_id=unit) if is_centre else Q(pk__in=[])
    if key == "sign":
        return Q(state=State.DISPATCHED, department_id=unit, holder_unit_id=unit) if unit else Q(pk__in=[])
    if key == "assist":
        open_parts = CasePart.objects.filter(department_id=unit, state__in=(PartState.DISPATCHED, PartState.HANDLING))
        return Q(pk__in=open_parts.values("case_id")) if unit else Q(pk__in=[])
    if key == "handling":
        if user.role == Role.GRID_WORKER:
            return Q(state=State.HANDLING, handler_id=user.pk)
        return Q(state=State.HANDLING) & (Q(holder_unit_id=unit) | Q(handler_id=user.pk))
    if key == "verify":
        return _verify_q(user)
    if key == "approve":
        if user.role not in LEADS:
            return Q(pk__in=[])
        extension = Q(state=State.HANDLING, extension_pending=True)
        review_due = Q(state=State.SUSPENDED, suspend_review_date__lte=now.date())
        return (extension | review_due) & _level_unit(unit)
    if key == "overdue":
        return clocked & Q(due_at__lt=now) & _my_work(user)
    if key == "due_soon":
        return clocked & in_yellow_window(now) & _my_work(user)
    if key == "supervised":
        pending = ~Q(supervision="") & Q(supervision_reply_due__isnull=False) & ~Q(state=State.CLOSED)
        if user.role in (Role.LEADER, Role.ADMIN):
            return pending
        return pending & (Q(holder_unit_id=unit) | Q(handler_id=user.pk))
    if key == "returned":
        # A return restarts the step clock; any later move restarts it again. So "a return at or after the current
        # step's start" is "returned here and not yet acted on"; a comment or 督办 since does not hide it.
        returned = CaseEvent.objects.filter(
            case_id=OuterRef("pk"), kind=EventKind.CASE_RETURNED, created_at__gte=OuterRef("step_started_at")
        )
        return Q(state=State.PENDING_REVIEW, holder_unit_id=unit) & Q(Exists(returned)) if unit else Q(pk__in=[])
    if key == "with_worker":
        return Q(with_worker__isnull=False, holder_unit_id=unit) if unit else Q(pk__in=[])
    raise KeyError(key)


def queues_for(user: User) -> list[str]:
    return ["open", *ROLE_QUEUES.get(user.role, ("overdue", "due_soon"))]


def home_queues(user: User, now: datetime | None = None) -> list[dict]:
    """待办 — the user's queues with their counts: one capped COUNT per queue, two for a desk's 待核查
    (`queue_count_parts`; so a fixed number of queries per post), plus the jurisdiction look-up that `cases_visible_to` caches on the user. A count stops at
    paging.QUEUE_COUNT_CAP + 1 and the card then says "999+": one aggregate over every visible case read the whole 辖区
    (seconds at 10 M cases), while a capped count over a queue's index stops early. Every queue is of open cases,
    which `case_open_*` indexes keep apart from the closed ones."""
    now = now or clock.now()
    visible = cases_visible_to(user).exclude(state=State.CLOSED)
    rows = []
    with transaction.atomic(), _custom_plans():
        for key in queues_for(user):
            parts = queue_count_parts(key, user, now)
            count = sum(paging.capped_count(visible.filter(part), paging.QUEUE_COUNT_CAP) for part in parts)
            count = min(count, paging.QUEUE_COUNT_CAP + 1)
            rows.append(
                {"queue": QUEUES[key], "count": count, "count_text": paging.count_text(count, paging.QUEUE_COUNT_CAP)}
            )
    return rows


@contextmanager
def _custom_plans():
    """Plan the 待办 counts for their values, inside the transaction the caller opened. With server-side binding
    (settings) a statement run often gets PostgreSQL's generic plan, planned without the values: it cannot prove
    that `state <> $1` implies the `case_open_*` indexes' conditions, so it reads every open case instead (a grid
    worker's 待办 at 10 M cases: 3.8 s with generic plans, 0.45 s planned per run, bench/pages_at_scale). Other
    statements keep their generic plans: SET LOCAL ends with the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    yield


def home_urgent(user: User, limit: int = 8, now: datetime | None = None) -> list[Case]:
    """The cases I answer for that run out first: one query, the keys in a subquery (along `case_open_due`, or the
    open cases of the user's grids) and those rows joined outside it. Joined in one step, the planner expected a few
    rows where a grid worker has hundreds and joined them to every unit in a nested loop (80 ms at 1 M cases)."""
    now = now or clock.now()
    mine = (
        cases_visible_to(user)
        .filter(~Q(state__in=[State.CLOSED, State.SUSPENDED]), due_at__isnull=False)
        .filter(_my_work(user))
        .order_by("due_at", "id")
    )
    return list(for_rows(Case.objects.filter(pk__in=mine.values("pk")[:limit])).order_by("due_at", "id"))


# What a list row shows (web.views._rows and the row templates): a case has 66 columns, and building 50 of them
# whole with their joins was a fifth of the list page's CPU. A column read that is not here loads row by row,
# which the pages' query-count tests catch.
ROW_FIELDS = (
    "state",
    "closure",
    "level",
    "grade",
    "urgent",
    "supervision",
    "due_at",
    "yellow_at",
    "created_at",
    "description",
    "category__name",
    "region__name",
    "holder_unit__name",
)


def for_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The cases of a list, with only what a row shows and the three joins it needs."""
    return qs.select_related(None).select_related("category", "region", "holder_unit").only(*ROW_FIELDS)


# ---------------------------------------------------------------- the case list and its export


def case_list_for_page(user: User, filters: CaseFilters, *, order: str, queue: str | None) -> QuerySet[Case]:
    """The list page and the export share this queryset, so rows exported = rows listed."""
    qs = case_list_visible(user, filters, order=order)
    if queue and queue in QUEUES:
        qs = qs.filter(queue_q(queue, user, clock.now()))
    return qs.select_related("category", "domain", "region", "holder_unit", "department")


def _event_time(*kinds: str) -> Subquery:
    return Subquery(
        CaseEvent.objects.filter(case_id=OuterRef("pk"), kind__in=kinds)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )


def with_step_times(qs: QuerySet[Case]) -> QuerySet[Case]:
    """签收/处置/核查 timestamps for the export: the latest event of each kind, three indexed correlated subqueries
    (caseevent has an index on case_id), so still one query for the whole export."""
    return qs.annotate(
        started_at=_event_time(EventKind.CASE_STARTED, EventKind.CASE_ASSIGNED),
        submitted_at=_event_time(EventKind.CASE_SUBMITTED),
        verified_at=_event_time(EventKind.CASE_VERIFIED, EventKind.CASE_REWORK),
    )


@dataclass(frozen=True)
class RegionOption:
    code: str
    name: str
    level: int
    path: str


def _region_tree() -> list[RegionOption]:
    return [
        RegionOption(*row)
        for row in Region.objects.filter(is_active=True, level__lte=4)
        .order_by("path")
        .values_list("code", "name", "level", "path")
    ]


# Named like the grid index on purpose: both share its version key, so whatever invalidates the grid index after a
# boundary or region edit (regions admin, seeding) also rebuilds these options.
region_tree = VersionedCache("grid_index", _region_tree, check_seconds=60)


def region_options(user: User) -> list[RegionOption]:
    """Regions a user may filter by: their 辖区's nodes down to villages (and grids for a village station or a grid
    worker). Departments and leaders get the county's townships and villages. No query (an in-process cache)."""
    scope = jurisdiction_of(user)
    paths = scope.paths or (settings.GRIDSAFE_COUNTY_CODE,)
    max_level = 4 if max(len(p.split(".")) for p in paths) >= 3 else 3
    return [
        r
        for r in region_tree.get()
        if r.level <= max_level and any(r.path == p or r.path.startswith(p + ".") for p in paths)
    ]


# ---------------------------------------------------------------- the case page

NEARBY_METRES = 300


def nearby_open_cases(user: User, case: Case, *, radius_m: float = NEARBY_METRES, limit: int = 8) -> list[dict]:
    """Possible duplicates: open cases of the same category within `radius_m`, nearest first. One query: a
    bounding box on lon/lat, then the exact distance in Python."""
    (lon_min, lon_max), (lat_min, lat_max) = bbox_around(case.lon, case.lat, radius_m)
    rows = (
        cases_visible_to(user)
        .exclude(pk=case.pk)
        .filter(state__in=OPEN_STATES)  # as the index case_open_category_lat_in is conditioned
        .filter(
            category_id=case.category_id,
            lat__range=(lat_min, lat_max),
            lon__range=(lon_min, lon_max),
        )
        .only("pk", "lon", "lat", "state", "description", "address", "created_at")[:50]
    )
    found: list[dict[str, Any]] = []
    for other in rows:
        distance = haversine_m(case.lon, case.lat, other.lon, other.lat)
        if distance <= radius_m:
            found.append({"case": other, "distance": round(distance)})
    found.sort(key=lambda item: item["distance"])
    return found[:limit]
