"""The daily registers job (到期提醒): licences and statutory inspections about to lapse put the object on its grid
worker's visit list (places.deadlines.deadlines_remind); once lapsed, one case is opened for each through the
ordinary 上报 service as the desk's 登记 (channel "desk"), source 部门检查 (a lapsed licence or inspection is the
departments' business; the case routes to the department owning the domain like any other). Run by `gridsafe worker` through the oversight calendar
(dashboards.schedule, job "registers.deadlines", once a day) and by `gridsafe registers_tick`.

Idempotent twice over: a deadline's case has client_id uuid5(NS, deadline id), so a retry after a crash between the
case and the mark finds the same case; and the mark (expired_at) is set under a row lock."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Source
from gridsafe.cases.services import case_report
from gridsafe.catalog.models import Category
from gridsafe.places import rules
from gridsafe.places.deadlines import deadline_text, deadlines_expired, deadlines_remind
from gridsafe.places.models import DeadlineKind, PlaceDeadline

log = logging.getLogger("gridsafe.registers")
DEADLINE_NS = uuid.UUID("0b7d3f7e-5c1a-4f0e-8d57-2b1f3a9c6e10")


def _category(deadline: PlaceDeadline) -> Category | None:
    wanted: list[str] = rules.DEADLINE_CATEGORIES.get(DeadlineKind(deadline.kind), [])
    by_code = {c.code: c for c in Category.objects.filter(code__in=wanted, is_active=True)}
    for code in wanted:
        if code in by_code:
            return by_code[code]
    return Category.objects.filter(domain_id=deadline.place.domain_id, is_active=True).order_by("sort", "code").first()


def _reporter(deadline: PlaceDeadline) -> User | None:
    """The desk that registers the case: a 网格化中心 operator whose centre covers the place, the township's before
    the county's (the oldest account, so every run picks the same one and the case's client_id stays its own)."""
    parts = deadline.place.region_path.split(".")
    paths = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    desks = User.objects.filter(is_active=True, role=Role.CENTRE_OPERATOR, unit__region__path__in=paths).values_list(
        "pk", "unit__region__path"
    )
    best = min(desks, key=lambda row: (paths.index(row[1]), row[0]), default=None)
    return User.objects.get(pk=best[0]) if best else None


def deadline_open_case(deadline: PlaceDeadline) -> int | None:
    """One case for one lapsed deadline; returns its id (None when no category or reporter exists)."""
    category = _category(deadline)
    actor = _reporter(deadline)
    if category is None or actor is None:
        log.warning("registers: no category or reporter for deadline %s", deadline.pk)
        return None
    place = deadline.place
    case, _created = case_report(
        actor=actor,
        client_id=uuid.uuid5(DEADLINE_NS, f"deadline:{deadline.pk}"),
        category_code=category.code,
        description=(
            f"【到期未续】{place.name}的{deadline_text(deadline)}已于 {deadline.due_on:%Y-%m-%d} 到期，"
            "台账未登记新的有效期，请核实并督促整改。"
        ),
        lon=place.lon,
        lat=place.lat,
        address=place.address,
        place_id=place.pk,
        source=Source.DEPARTMENT,
        channel="desk",
    )
    with transaction.atomic():
        row = PlaceDeadline.objects.select_for_update().get(pk=deadline.pk)
        if row.expired_at is None:
            row.expired_at = timezone.now()
            row.case_id = case.pk
            row.case_number = f"#{case.pk}"
            row.save(update_fields=["expired_at", "case_id", "case_number"])
    return case.pk


def registers_tick(now: datetime) -> dict:
    """Remind what falls due within the lead time, open a case for what has lapsed. Returns counts."""
    today = timezone.localtime(now).date()
    result = deadlines_remind(now, today)
    opened = 0
    for deadline in deadlines_expired(today):
        if deadline_open_case(deadline) is not None:
            opened += 1
    result["cases"] = opened
    return result


__all__ = ["deadline_open_case", "registers_tick"]
