"""Reads of supervised places with a shape. Every one starts from `places_visible_to`; contacts are masked."""

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from gridsafe.accounts.models import User
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.places.models import Place
from gridsafe.places.permissions import can_edit_place, places_visible_to


def week_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time (Asia/Shanghai): the grid worker's week."""
    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min), timezone.get_current_timezone())
    return start, start + timedelta(days=7)


def place_due_state(place: Place, now: datetime, week_end: datetime | None = None) -> str:
    """overdue / due (by the end of this week) / upcoming / inactive."""
    if not place.is_active:
        return "inactive"
    if place.next_due_at is not None and place.next_due_at < now:
        return "overdue"
    if place.next_due_at is None or place.last_inspected_at is None:
        return "due"  # never inspected: the first visit is owed
    if week_end is not None and place.next_due_at <= week_end:
        return "due"
    return "upcoming"


def place_out(place: Place, *, actor: User, now: datetime, week_end: datetime | None = None) -> dict:
    """The place as a worker's phone may hold it: masked contacts, schedule, version for offline edits."""
    week_end = week_end or week_bounds(now)[1]
    return {
        "id": place.pk,
        "client_id": place.client_id,
        "version": place.version,
        "name": place.name,
        "kind": place.kind,
        "kind_label": place.get_kind_display(),
        "domain": place.domain.code,
        "domain_name": place.domain.name,
        "grid_code": place.region.code,
        "grid_name": place.region.name,
        "address": place.address,
        "lon": place.lon,
        "lat": place.lat,
        "contact_name": mask_name(place.contact_name),
        "contact_phone": mask_phone(place.contact_phone),
        "licence_no": place.licence_no,
        "risk_level": place.risk_level,
        "risk_label": place.get_risk_level_display(),
        "rental_class": place.rental_class,
        "inspection_interval_days": place.inspection_interval_days,
        "last_inspected_at": place.last_inspected_at,
        "next_due_at": place.next_due_at,
        "due_state": place_due_state(place, now, week_end),
        "is_active": place.is_active,
        "can_edit": can_edit_place(actor, place),
        "updated_at": place.updated_at,
    }


def place_list_visible(
    user: User, *, grid: str | None = None, due_by: datetime | None = None, q: str | None = None
) -> QuerySet[Place]:
    qs = places_visible_to(user).select_related("domain", "region")
    if grid:
        qs = qs.filter(region__code=grid)
    if due_by is not None:
        qs = qs.active().due_by(due_by)
    if q:
        qs = qs.filter(name__icontains=q.strip()[:50])
    return qs.order_by("next_due_at", "id")
