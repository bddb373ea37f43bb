"""到期提醒 — licences and statutory inspections drive work (issue #16). Each register date that falls due within
`rules.EXPIRY_REMIND_DAYS` becomes one `PlaceDeadline` (place, kind, due date): the first time it is seen the place
is made due at once, so it heads the grid worker's visit list (the field app's 本周任务, `Place.due_by`), with the
deadline shown as the reason. Once the date has passed, the job above (field.deadlines) opens one case for it.
(place, kind, due_on, detail) is unique, so running the job twice makes nothing more; a renewed licence (a new
date) is a new deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import IntegrityError, transaction
from django.db.models import Q

from gridsafe.places import rules
from gridsafe.places.models import (
    DeadlineKind,
    ElevatorFacts,
    FireworksFacts,
    LpgCylinder,
    LpgFacts,
    Place,
    PlaceDeadline,
    VenueFacts,
)

# (facts model, date field, deadline kind)
DATED = [
    (ElevatorFacts, "next_inspection_on", DeadlineKind.ELEVATOR_INSPECTION),
    (FireworksFacts, "licence_valid_until", DeadlineKind.FIREWORKS_LICENCE),
    (VenueFacts, "licence_valid_until", DeadlineKind.VENUE_LICENCE),
    (LpgFacts, "licence_valid_until", DeadlineKind.LPG_LICENCE),
]


def upcoming(today: dt.date) -> Iterator[tuple[int, str, dt.date, str]]:
    """(place id, kind, due date, detail) of every active place's register date on or before today + lead time."""
    horizon = today + dt.timedelta(days=rules.EXPIRY_REMIND_DAYS)
    for model, column, kind in DATED:
        rows = model.objects.filter(place__is_active=True, **{f"{column}__lte": horizon}).values_list(
            "place_id", column
        )
        for place_id, day in rows:
            yield place_id, kind, day, ""
    for place_id, seal, day in LpgCylinder.objects.filter(
        place__is_active=True, next_inspection_on__lte=horizon
    ).values_list("place_id", "seal_code", "next_inspection_on"):
        yield place_id, DeadlineKind.CYLINDER_INSPECTION, day, seal


def deadlines_remind(now: dt.datetime, today: dt.date) -> dict:
    """Record the deadlines now within reach and put each new one's place on its grid worker's list (due now).
    Idempotent: a deadline already recorded is left alone."""
    known = set(PlaceDeadline.objects.values_list("place_id", "kind", "due_on", "detail"))
    made = 0
    for key in upcoming(today):
        if key in known:
            continue
        place_id, kind, due_on, detail = key
        try:
            with transaction.atomic():
                PlaceDeadline.objects.create(
                    place_id=place_id, kind=kind, due_on=due_on, detail=detail, reminded_at=now
                )
                # The visit task: the place comes due now (never later than it already was).
                Place.objects.filter(pk=place_id).filter(Q(next_due_at__isnull=True) | Q(next_due_at__gt=now)).update(
                    next_due_at=now
                )
        except IntegrityError:  # another worker recorded it first
            continue
        made += 1
    return {"reminded": made}


def deadlines_expired(today: dt.date):
    """Deadlines past their date that have no case yet, oldest first."""
    return (
        PlaceDeadline.objects.filter(due_on__lt=today, expired_at__isnull=True, place__is_active=True)
        .select_related("place", "place__domain", "place__region")
        .order_by("due_on", "pk")
    )


def deadline_text(deadline: PlaceDeadline) -> str:
    what = deadline.get_kind_display()
    if deadline.detail:
        what = f"{what}（{deadline.detail}）"
    return what


def open_deadlines_of(place_ids: list[int], today: dt.date) -> dict[int, list[dict]]:
    """The deadlines of these places still to act on (not yet renewed), for the visit screen and register pages."""
    out: dict[int, list[dict]] = {}
    for d in PlaceDeadline.objects.filter(place_id__in=place_ids).order_by("due_on"):
        out.setdefault(d.place_id, []).append(
            {
                "kind": d.kind,
                "label": deadline_text(d),
                "due_on": d.due_on,
                "expired": d.due_on < today,
                "case_number": d.case_number,
            }
        )
    return out


__all__ = ["deadlines_expired", "deadlines_remind", "open_deadlines_of", "upcoming"]
