"""Reads with a shape. Every one starts from `cases_visible_to`."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case
from gridsafe.cases.permissions import cases_visible_to
from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed


@dataclass
class CaseFilters:
    state: str | None = None
    level: int | None = None
    region: str | None = None  # region code: its subtree
    domain: str | None = None
    category: str | None = None
    light: str | None = None
    closure: str | None = None
    grade: str | None = None
    source: str | None = None
    q: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    mine: bool = False  # held by my unit or handled by me


ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "due": ("due_at", "id"),
    "updated": ("-updated_at", "-id"),
}


def case_list_visible(user: User, filters: CaseFilters, *, order: str = "newest") -> QuerySet[Case]:
    """The filtered list; unevaluated. Region codes are resolved to paths through the code's segments."""
    qs = cases_visible_to(user)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.region:
        qs = qs.in_subtree(_path_of_code(filters.region))
    if filters.domain:
        qs = qs.filter(domain__code=filters.domain)
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.closure:
        qs = qs.filter(closure=filters.closure)
    if filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.light:
        qs = qs.light(filters.light, clock.now())
    if filters.q:
        term = filters.q.strip()[:50]
        number = term.lstrip("#")
        # icontains is a substring scan, which is what Chinese text needs (no word boundaries to tokenise on).
        text = Q(description__icontains=term) | Q(address__icontains=term) | Q(category__name__icontains=term)
        # ASCII digits only: "²".isdigit() is true but int("²") fails.
        is_id = number.isascii() and number.isdigit() and len(number) < 12
        qs = qs.filter(text | Q(pk=int(number))) if is_id else qs.filter(text)
    if filters.created_from and filters.created_from > date.min:  # from the first day: no bound
        qs = qs.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to and filters.created_to < date.max:  # to the last day: no bound
        qs = qs.filter(created_at__lt=_day_start(filters.created_to + timedelta(days=1)))
    if filters.mine:
        qs = qs.filter(Q(holder_unit_id=user.unit_id) | Q(handler_id=user.pk))
    return qs.order_by(*ORDERINGS.get(order, ORDERINGS["newest"]))


def _day_start(day: date) -> datetime:
    """Midnight of `day` in the county's time zone, kept inside what the database can hold (years 2–9998)."""
    day = min(max(day, date(2, 1, 1)), date(9998, 12, 31))
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def _path_of_code(code: str) -> str:
    """350322101205001 → 350322.101.205.001 (6 + 3 + 3 + 3 digits), without a query."""
    if not (code.isascii() and code.isdigit()) or len(code) not in (6, 9, 12, 15):
        raise ValidationFailed("区划代码应为 6、9、12 或 15 位数字")
    return ".".join([code[:6]] + [code[i : i + 3] for i in range(6, len(code), 3)])


class _InYellowWindow(Func):
    """`yellow_at <= now <= due_at` as one condition PostgreSQL's GiST index `case_open_yellow_window` answers (the
    range expression is the index's, word for word). Elsewhere the two comparisons."""

    output_field = BooleanField()
    arity = 3

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        (yellow, yellow_params), (due, due_params), (now, now_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if connection.vendor == "postgresql":
            sql = f"tstzrange(LEAST({yellow}, {due}), {due}, '[]') @> {now}"
            return sql, (*yellow_params, *due_params, *due_params, *now_params)
        return f"({yellow} <= {now} AND {due} >= {now})", (*yellow_params, *now_params, *due_params, *now_params)


def in_yellow_window(now: datetime) -> Q:
    """Cases whose 临期 window holds `now` (yellow_at <= now <= due_at): the comparisons, for an exact answer in
    every case, and beside them the same window as a range for the index to find them by (the comparisons alone
    read every open case with a later deadline: 0.6 s for a county at 1 M cases)."""
    window = _InYellowWindow(F("yellow_at"), F("due_at"), Value(now))
    return Q(yellow_at__lte=now, due_at__gte=now) & Q(window)


def case_timeline(case: Case):
    return case.events.all().order_by("created_at", "id")
