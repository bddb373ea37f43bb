"""Reads of the field app with a shape: the worker's week, the offline sync bundle, coverage, nearby cases.
Every one starts from a `*_visible_to` queryset or the worker's own grids."""

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Attachment, Case, CaseEvent
from gridsafe.cases.permissions import can_verify_case, cases_visible_to, jurisdiction_of
from gridsafe.cases.transitions import State
from gridsafe.catalog.models import Category, Domain
from gridsafe.core.errors import NotFound
from gridsafe.field.models import (
    ChecklistItem,
    ChecklistTemplate,
    Patrol,
    PatrolRule,
    PatrolStatus,
    PlaceVisit,
    VisitResult,
)
from gridsafe.field.permissions import patrols_visible_to
from gridsafe.field.services import outside_grid_m, track_retention_days
from gridsafe.places.models import Place, PlaceKind, RiskLevel
from gridsafe.places.register_selectors import FACTS_RELATED, register_brief
from gridsafe.places.selectors import place_out, week_bounds
from gridsafe.regions.coords import POOR_ACCURACY_M, LocationFlag, bbox_around, haversine_m
from gridsafe.regions.models import Region, RegionLevel

# What a reviewer tells a collector (onadata #1614): returns, voids, merges and failed checks reach the inbox.
REVIEWER_MESSAGE_KINDS = (
    EventKind.CASE_RETURNED,
    EventKind.CASE_VOIDED,
    EventKind.CASE_MERGED,
    EventKind.CASE_TRANSFERRED,
    EventKind.CASE_REWORK,
    EventKind.CASE_VERIFIED,
    EventKind.CASE_INFO_REQUESTED,
    EventKind.CASE_CORRECTED,
)
# 退回: what comes back to the worker to act on; 退回核实/补充 is a task until they answer (核实补充).
RETURNED_KINDS = (EventKind.CASE_RETURNED, EventKind.CASE_VOIDED, EventKind.CASE_INFO_REQUESTED)
MESSAGE_DAYS = 30


def grids_of(user: User, grid_codes: list[str] | None = None):
    """The grids a phone works on: a worker's own grids; for an officer, the grids of their 辖区 (by code)."""
    if user.role == Role.GRID_WORKER:
        qs = user.grids.filter(level=RegionLevel.GRID)
    else:
        query = Q(pk__in=[])
        for path in jurisdiction_of(user).paths:
            query |= Q(path=path) | Q(path__startswith=path + ".")
        qs = Region.objects.filter(query, level=RegionLevel.GRID)
        if not grid_codes and user.role != Role.STATION_OFFICER:
            qs = qs.none()  # a township or county holds hundreds of grids: a phone asks for the ones it works on
    if grid_codes:
        qs = qs.filter(code__in=grid_codes)
        if qs.count() != len(set(grid_codes)):
            raise NotFound("网格不存在")  # one of them is missing or not yours: the same answer
    return qs.select_related("parent").order_by("code")


def case_brief(case: Case, now: datetime, user: User | None = None) -> dict:
    return {
        "id": case.pk,
        "version": case.version,
        "category": case.category.code,
        "category_name": case.category.name,
        "state": case.state,
        "state_label": str(State(case.state).label),
        "grade": case.grade,
        "description": case.description[:200],
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "place_id": case.place_id,
        "region_code": case.region.code,
        "light": case.light_at(now),
        "due_at": case.due_at,
        "created_at": case.created_at,
        "mine": user is not None and case.reporter_id == user.pk,
    }


def verification_tasks_for(user: User, now: datetime, *, grid_paths: list[str] | None = None) -> list[dict]:
    """核查 tasks waiting for this user: cases pending verification that they may verify (never their own
    handling), with the before and after photos to show side by side."""
    qs = (
        cases_visible_to(user)
        .filter(state=State.PENDING_VERIFICATION)
        .select_related("category", "region")
        .prefetch_related(
            "attachments",
            Prefetch(
                "events",
                queryset=CaseEvent.objects.filter(kind=EventKind.CASE_SUBMITTED).order_by("-created_at", "-id"),
                to_attr="submissions",
            ),
        )
        .order_by("due_at", "id")
    )
    if grid_paths is not None:
        qs = qs.filter(region_path__in=grid_paths)
    tasks = []
    for case in qs[:100]:
        if not can_verify_case(user, case):
            continue
        photos = [
            {
                "id": a.pk,
                "role": a.role,
                "thumbnail_url": f"/api/v1/cases/{case.pk}/attachments/{a.pk}/thumbnail" if a.thumbnail else None,
                "url": f"/api/v1/cases/{case.pk}/attachments/{a.pk}/file",
                "captured_at": a.captured_at,
            }
            for a in case.attachments.all()
            if a.content_type.startswith("image/")
        ]
        # `submissions` is the Prefetch(to_attr=…) above: an attribute the model does not declare.
        submit = case.submissions[0] if case.submissions else None  # type: ignore[attr-defined]
        tasks.append(
            {
                **case_brief(case, now, user),
                "before": [p for p in photos if p["role"] in ("report", "before")],
                "after": [p for p in photos if p["role"] == "after"],
                "measures": submit.comment if submit else "",
                "submitted_by": submit.actor_label if submit else "",
                "submitted_at": submit.created_at if submit else None,
            }
        )
    return tasks


def reviewer_messages_for(user: User, now: datetime, *, kinds=REVIEWER_MESSAGE_KINDS) -> list[dict]:
    """What reviewers said about this user's reports in the last 30 days, newest first."""
    events = (
        CaseEvent.objects.filter(
            # A desk may send a case from another source (热线) back to a worker of its grid: theirs to answer too.
            Q(case__reporter=user) | Q(kind=EventKind.CASE_INFO_REQUESTED, payload__worker_id=user.pk),
            kind__in=kinds,
            created_at__gte=now - timedelta(days=MESSAGE_DAYS),
        )
        .exclude(actor=user)
        .select_related("case__category", "case__region")
        .order_by("-created_at", "-id")[:50]
    )
    return [
        {
            "event_id": e.pk,
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "comment": e.comment,
            "reason_label": (e.payload or {}).get("reason_label", ""),
            "actor_label": e.actor_label,
            "created_at": e.created_at,
            "case": case_brief(e.case, now, user),
            "case_open": e.case.is_open,
            # 退回核实 still waiting for this worker's answer (a task), not yet answered
            "waiting": e.kind == EventKind.CASE_INFO_REQUESTED and e.case.with_worker_id == user.pk,
        }
        for e in events
    ]


def field_week_for_worker(user: User, now: datetime) -> dict:
    """本周 — the worker's week at a glance: grids and this week's patrol, places due and overdue, open reports,
    verification tasks and reviewers' messages. About ten queries, none per row."""
    start, end = week_bounds(now)
    grids = list(grids_of(user))
    grid_ids = [g.pk for g in grids]
    patrols = (
        Patrol.objects.filter(grid_id__in=grid_ids, status=PatrolStatus.ENDED, ended_at__gte=start, ended_at__lt=end)
        .values("grid_id")
        # Rows of .values(), not Patrols: django-stubs still sees the annotation "clean" as Model.clean redefined.
        .annotate(  # type: ignore[no-redef]
            n=Count("id", filter=Q(counts_for_coverage=True)),
            short=Count("id", filter=Q(counts_for_coverage=False)),
            last=Max("ended_at", filter=Q(counts_for_coverage=True)),
            clean=Count("id", filter=Q(nothing_found=True, counts_for_coverage=True)),
        )
    )
    # Only patrols that meet the county's rule count (PatrolRule); the short ones are shown as such.
    shorts = {row["grid_id"]: row["short"] for row in patrols}
    by_grid = {row["grid_id"]: row for row in patrols if row["n"]}
    active = Patrol.objects.filter(worker=user, status=PatrolStatus.ACTIVE).select_related("grid").first()
    places = (
        Place.objects.active()
        .filter(region_id__in=grid_ids)
        .due_by(end)
        .select_related("domain", "region")
        .order_by("next_due_at", "id")
    )
    place_rows = [place_out(p, actor=user, now=now, week_end=end) for p in places[:100]]
    my_open = (
        Case.objects.filter(reporter=user).open().select_related("category", "region").order_by("-created_at", "-id")
    )
    return {
        "week_start": start,
        "week_end": end,
        "now": now,
        "worker": {"id": user.pk, "name": user.display_name or user.username, "label": user.label},
        "grids": [
            {
                "id": g.pk,
                "code": g.code,
                "name": g.name,
                "village": g.parent.name if g.parent else "",
                "patrolled": g.pk in by_grid,
                "patrols": by_grid.get(g.pk, {}).get("n", 0),
                "short_patrols": shorts.get(g.pk, 0),
                "nothing_found": g.pk in by_grid and by_grid[g.pk]["clean"] == by_grid[g.pk]["n"],
                "last_patrol_at": by_grid.get(g.pk, {}).get("last"),
            }
            for g in grids
        ],
        "active_patrol": str(active.client_id) if active else None,
        "places_due": [p for p in place_rows if p["due_state"] == "due"],
        "places_overdue": [p for p in place_rows if p["due_state"] == "overdue"],
        "my_open_reports": [case_brief(c, now, user) for c in my_open[:30]],
        "my_open_count": my_open.count(),
        "verification_tasks": verification_tasks_for(user, now, grid_paths=[g.path for g in grids]),
        "messages": reviewer_messages_for(user, now),
    }


def _checklists_out(domain_ids: set[int] | None = None) -> list[dict]:
    qs = ChecklistTemplate.objects.active().select_related("domain")
    if domain_ids is not None:
        qs = qs.filter(domain_id__in=domain_ids)
    qs = qs.prefetch_related(Prefetch("items", queryset=ChecklistItem.objects.select_related("category")))
    return [checklist_out(t) for t in qs]


def checklist_out(template: ChecklistTemplate) -> dict:
    return {
        "id": template.pk,
        "domain": template.domain.code,
        "place_kind": template.place_kind,
        "version": template.version,
        "title": template.title,
        "items": [
            {
                "code": i.code,
                "question": i.question,
                "applies_to": i.applies_to or [],
                "severity": i.severity,
                "legal_basis": i.legal_basis,
                "category": i.category.code,
                "category_name": i.category.name,
                "photo_required_on_fail": i.photo_required_on_fail,
                "na_allowed": i.na_allowed,
                "weight": i.weight,
            }
            for i in template.items.all()
        ],
    }


def checklist_for_place(place: Place) -> ChecklistTemplate | None:
    """The active checklist for the place: its kind's own, else the domain's general one."""
    templates = {
        t.place_kind: t
        for t in ChecklistTemplate.objects.active()
        .filter(domain_id=place.domain_id, place_kind__in=[place.kind, ""])
        .select_related("domain")
        .prefetch_related(Prefetch("items", queryset=ChecklistItem.objects.select_related("category")))
    }
    return templates.get(place.kind) or templates.get("")


def open_findings_at(place_ids: list[int]) -> dict[int, list[dict]]:
    """Open hazards at each place, for re-checking on the next visit: {place id: [{case, item code}]}."""
    out: dict[int, list[dict]] = {}
    rows = (
        Case.objects.open()
        .filter(place_id__in=place_ids)
        .select_related("category")
        .order_by("created_at")
        .values("pk", "place_id", "category__name", "state", "checklist_answers", "created_at")
    )
    for row in rows:
        item = (row["checklist_answers"] or {}).get("item") or {}
        out.setdefault(row["place_id"], []).append(
            {
                "case_id": row["pk"],
                "category_name": row["category__name"],
                "state": row["state"],
                "state_label": str(State(row["state"]).label),
                "item_code": item.get("code", ""),
                "created_at": row["created_at"],
            }
        )
    return out


HISTORY_VISITS = 3


def visit_history_at(place_ids: list[int]) -> dict[int, list[dict]]:
    """The last visits at each place (newest first), for the visit screen. One query."""
    out: dict[int, list[dict]] = {}
    rows = (
        PlaceVisit.objects.filter(place_id__in=place_ids)
        .order_by("place_id", "-visited_at")
        .values("place_id", "visited_at", "result", "worker__display_name", "case_ids")
    )
    for row in rows:
        bucket = out.setdefault(row["place_id"], [])
        if len(bucket) < HISTORY_VISITS:
            bucket.append(
                {
                    "visited_at": row["visited_at"],
                    "result": row["result"],
                    "result_label": str(VisitResult(row["result"]).label),
                    "worker": row["worker__display_name"] or "",
                    "cases": len(row["case_ids"] or {}),
                }
            )
    return out


def place_visit_card(places: list[Place], now: datetime) -> tuple[dict[int, dict], dict[int, list[dict]]]:
    """(register card, visit history) per place: what a visit shows about the object (issue #16)."""
    ids = [p.pk for p in places]
    return register_brief(places, timezone.localtime(now).date()), visit_history_at(ids)


def field_labels() -> dict:
    """Names of stored values in the active language, from the model choices (the catalogue): the phone shows the
    same 已派遣 as the case page, the export and the admin."""
    return {
        "states": {value: str(label) for value, label in State.choices},
        "place_kinds": {value: str(label) for value, label in PlaceKind.choices},
        "risk_levels": {value: str(label) for value, label in RiskLevel.choices},
        "location_flags": {value: str(label) for value, label in LocationFlag.choices},
    }


def field_sync_bundle(user: User, now: datetime, grid_codes: list[str] | None = None) -> dict:
    """Everything the phone needs offline for its grids: grids (with boundaries), places (masked), checklists,
    categories, open cases and verification tasks. `version` is a hash of the content (the ETag): an unchanged
    bundle is answered 304 and costs the phone nothing."""
    grids = list(grids_of(user, grid_codes))
    grid_ids = [g.pk for g in grids]
    grid_paths = [g.path for g in grids]
    places = list(
        Place.objects.active()
        .filter(region_id__in=grid_ids)
        .select_related("domain", "region", *FACTS_RELATED)
        .order_by("name", "id")
    )
    findings = open_findings_at([p.pk for p in places])
    registers, history = place_visit_card(places, now)
    _start, week_end = week_bounds(now)
    place_rows = []
    for p in places:
        row = place_out(p, actor=user, now=now, week_end=week_end)
        row["open_findings"] = findings.get(p.pk, [])
        row["register_card"] = registers.get(p.pk, {})
        row["history"] = history.get(p.pk, [])
        place_rows.append(row)
    open_cases = (
        cases_visible_to(user)
        .open()
        .filter(region_id__in=grid_ids)
        .select_related("category", "region")
        .order_by("-created_at")[:300]
    )
    categories = Category.objects.filter(is_active=True, domain__is_active=True).select_related("domain")
    rule = PatrolRule.current()
    bundle: dict[str, Any] = {
        "grids": [
            {
                "id": g.pk,
                "code": g.code,
                "name": g.name,
                "village": g.parent.name if g.parent else "",
                "center": [g.center_lon, g.center_lat],
                "geometry": g.geometry,
                "geometry_version": g.geometry_version,
            }
            for g in grids
        ],
        "places": place_rows,
        "checklists": _checklists_out(),
        "domains": [{"code": d.code, "name": d.name} for d in Domain.objects.filter(is_active=True)],
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "domain": c.domain.code,
                "domain_name": c.domain.name,
                "keywords": c.keywords,
                "default_grade": c.default_grade,
            }
            for c in categories
        ],
        "open_cases": [case_brief(c, now, user) for c in open_cases],
        "verification_tasks": verification_tasks_for(user, now, grid_paths=grid_paths),
        "returned": reviewer_messages_for(user, now, kinds=RETURNED_KINDS),
        "settings": {
            "track_retention_days": track_retention_days(),
            "poor_accuracy_m": POOR_ACCURACY_M,
            "outside_grid_m": outside_grid_m(),
            "nearby_radius_m": 200,
            "patrol_min_minutes": rule.min_minutes,
            "patrol_min_distance_m": rule.min_distance_m,
        },
        "labels": field_labels(),
        "worker": {"id": user.pk, "name": user.display_name or user.username, "role": user.role},
    }
    # Lights and due states move with the clock, so the version changes when one crosses a threshold: rarely.
    body = json.dumps(bundle, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    bundle["version"] = hashlib.sha256(body.encode()).hexdigest()[:32]
    bundle["generated_at"] = now
    return bundle


def patrol_list_visible(user: User, *, grid: str | None = None, since: datetime | None = None):
    qs = (
        patrols_visible_to(user)
        .select_related("grid", "worker__unit")
        .annotate(visit_count=Count("visits"), hazard_count=Count("visits", filter=Q(visits__result="hazards")))
    )
    if grid:
        qs = qs.filter(grid__code=grid)
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    return qs.order_by("-started_at", "-id")


def patrol_coverage(user: User, now: datetime) -> dict:
    """Weekly coverage of the grids this user supervises or works: a grid is covered when a patrol of it ended
    this week meeting the county's patrol rule (`Patrol.counts_for_coverage`), "已巡查无隐患" included."""
    start, end = week_bounds(now)
    if user.role == Role.GRID_WORKER:
        grids = user.grids.filter(level=RegionLevel.GRID)
    else:
        query = Q(pk__in=[])
        for path in jurisdiction_of(user).paths:
            query |= Q(path=path) | Q(path__startswith=path + ".")
        grids = Region.objects.filter(query, level=RegionLevel.GRID, is_active=True)
    grid_rows = list(grids.order_by("code").values("pk", "code", "name"))
    done = dict(
        Patrol.objects.ended_between(start, end)
        .counted()
        .filter(grid_id__in=[g["pk"] for g in grid_rows])
        .values_list("grid_id")
        .annotate(n=Count("id"))
    )
    rows = [{"code": g["code"], "name": g["name"], "patrols": done.get(g["pk"], 0)} for g in grid_rows]
    covered = sum(1 for r in rows if r["patrols"])
    return {
        "week_start": start,
        "week_end": end,
        "grids": len(rows),
        "covered": covered,
        "rate": round(covered / len(rows), 4) if rows else None,
        "uncovered": [r for r in rows if not r["patrols"]][:200],
    }


def case_list_nearby(user: User, *, category: str, lon: float, lat: float, radius_m: float = 200) -> list[dict]:
    """Open cases of the same category within `radius_m` that the user can see, nearest first: before a new
    report, the worker may add to one of these instead (duplicates, fixmystreet PR #1677)."""
    (lon_min, lon_max), (lat_min, lat_max) = bbox_around(lon, lat, radius_m)
    qs = (
        cases_visible_to(user)
        .open()
        .filter(category__code=category, lon__range=(lon_min, lon_max), lat__range=(lat_min, lat_max))
        .select_related("category", "region")
        .prefetch_related("attachments")
    )
    now = timezone.now()
    rows = []
    for case in qs[:50]:
        distance = haversine_m(lon, lat, case.lon, case.lat)
        if distance <= radius_m:
            thumbs = [
                f"/api/v1/cases/{case.pk}/attachments/{a.pk}/thumbnail" for a in case.attachments.all() if a.thumbnail
            ]
            rows.append({**case_brief(case, now, user), "distance_m": round(distance), "thumbnails": thumbs[:3]})
    return sorted(rows, key=lambda r: r["distance_m"])


def visit_missing_photos(visit: PlaceVisit) -> list[str]:
    """Photos the phone declared for failed items that have not arrived: the supervisor's "missing media"."""
    declared = [pid for row in visit.answers for pid in row.get("photo_client_ids") or []]
    if not declared:
        return []
    arrived = {
        str(cid) for cid in Attachment.objects.filter(client_id__in=declared).values_list("client_id", flat=True)
    }
    return [pid for pid in declared if pid not in arrived]


def visit_out(visit: PlaceVisit) -> dict:
    return {
        "id": visit.pk,
        "client_id": visit.client_id,
        "place_id": visit.place_id,
        "place_name": visit.place.name,
        "patrol_client_id": visit.patrol.client_id if visit.patrol is not None else None,
        "template_id": visit.template_id,
        "template_version": visit.template_version,
        "result": visit.result,
        "score": visit.score,
        "answers": visit.answers,
        "visited_at": visit.visited_at,
        "location_flags": visit.location_flags or [],
        "cases": [{"item_code": code, "case_id": case_id} for code, case_id in (visit.case_ids or {}).items()],
        "missing_photos": visit_missing_photos(visit),
    }
