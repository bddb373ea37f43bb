"""Reads of the registers (台账): per-domain lists with filters, one object's register card, map layers per domain
and the township risk choropleth. Every read starts from `places_visible_to` (a region or grid outside the 辖区 is
NotFound → 404); personal data is masked."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import shapely
from django.db.models import Q, QuerySet
from shapely.geometry import shape

from gridsafe.accounts.models import User
from gridsafe.catalog.models import Domain
from gridsafe.core.errors import NotFound
from gridsafe.core.masking import mask_name, mask_phone
from gridsafe.places import rules
from gridsafe.places.deadlines import DATED, open_deadlines_of
from gridsafe.places.models import (
    FACTS_MODELS,
    EbikeCharging,
    LpgCylinder,
    Place,
    RiskLevel,
    RiskPoint,
    StorageFloor,
)
from gridsafe.places.permissions import covers_path, places_visible_to
from gridsafe.places.registers import FACTS, ROAD_PROTECTION_NEEDED, facts_flags
from gridsafe.regions.geometry import to_geojson
from gridsafe.regions.models import Region, RegionLevel

REGISTER_DOMAINS = ["lpg", "rental", "fireworks", "venue", "elevator", "fire", "road"]
STATES = {"expiring": "即将到期", "expired": "已过期", "flagged": "有隐患提示"}
# The facts each domain's list shows as columns (all are on the object's card).
LIST_FACTS = {
    "lpg": ["role", "filling_station", "storage_floor", "licence_valid_until"],
    "rental": ["building", "rooms", "tenant_count", "ebike_charging"],
    "fireworks": ["licence_valid_until", "stock_limit_boxes", "storage_place", "season"],
    "venue": ["venue_type", "capacity", "exits", "licence_valid_until"],
    "elevator": ["registration_code", "user_unit", "maintenance_company", "next_inspection_on"],
    "fire": ["key_unit", "unit_type", "building_floors", "last_fire_inspection_on"],
    "road": ["hazard_type", "road_name", "stake", "protection"],
}
MAP_LIMIT = 5000


def register_domains() -> list[Domain]:
    by_code = {d.code: d for d in Domain.objects.filter(code__in=REGISTER_DOMAINS, is_active=True)}
    return [by_code[c] for c in REGISTER_DOMAINS if c in by_code]


def register_domain(code: str) -> Domain:
    domain = Domain.objects.filter(code=code, is_active=True).first()
    if domain is None or code not in REGISTER_DOMAINS:
        raise NotFound("没有该领域的台账")
    return domain


def _facts_name(domain: str) -> str:
    return FACTS_MODELS[domain]._meta.model_name


def _dated_q(domain: str, *, before: dt.date | None = None, after: dt.date | None = None) -> Q:
    """Places of `domain` with a register date in [after, before) (licence, statutory or cylinder inspection)."""
    query = Q(pk__in=[])
    columns = [(m, c) for m, c, _k in DATED if m is FACTS_MODELS.get(domain)]
    lookups = [f"{m._meta.model_name}__{c}" for m, c in columns]
    if domain == "lpg":
        lookups.append("cylinders__next_inspection_on")
    for lookup in lookups:
        part = Q()
        if before is not None:
            part &= Q(**{f"{lookup}__lt": before})
        if after is not None:
            part &= Q(**{f"{lookup}__gte": after})
        query |= part
    return query


def _flagged_q(domain: str) -> Q:
    if domain == "lpg":
        return ~Q(lpgfacts__storage_floor=StorageFloor.GROUND) | ~Q(cylinders__location=StorageFloor.GROUND) & Q(
            cylinders__isnull=False
        )
    if domain == "rental":
        return (
            Q(rentalfacts__group_rental=True)
            | Q(rentalfacts__mixed_production=True)
            | Q(rentalfacts__mixed_storage=True)
            | Q(rentalfacts__mixed_trade=True)
            | Q(rentalfacts__ebike_charging=EbikeCharging.INDOOR)
        )
    if domain == "venue":
        return Q(venuefacts__capacity__gt=rules.VENUE_TWO_EXITS_ABOVE, venuefacts__exits__lt=2)
    if domain == "elevator":
        return Q(elevatorfacts__maintenance_company="")
    if domain == "road":
        return Q(roadfacts__warning_signs=False) | Q(
            roadfacts__hazard_type__in=list(ROAD_PROTECTION_NEEDED), roadfacts__protection=""
        )
    return Q(pk__in=[])  # 消防, 烟花爆竹: only their dates (the expiring / expired filters)


def visible_node(user: User, code: str | None) -> Region | None:
    """A township, village or grid named in a filter, in the user's 辖区 — else NotFound (404)."""
    if not code:
        return None
    region = Region.objects.filter(code=code, is_active=True).first()
    if region is None or not covers_path(user, region.path):
        raise NotFound("未找到该区域")
    return region


def register_list(
    user: User,
    domain: str,
    *,
    today: dt.date,
    node: Region | None = None,
    risk: str | None = None,
    state: str | None = None,
    q: str | None = None,
) -> QuerySet[Place]:
    """The objects of one domain in the user's 辖区 (active), filtered, nearest deadline and worst risk first."""
    qs = places_visible_to(user).active().filter(domain__code=domain)
    if node is not None:
        qs = qs.in_subtree(node.path)
    if risk in RiskLevel.values:
        qs = qs.filter(risk_level=risk)
    if state == "expired":
        qs = qs.filter(_dated_q(domain, before=today))
    elif state == "expiring":
        qs = qs.filter(_dated_q(domain, after=today, before=today + dt.timedelta(days=rules.EXPIRY_REMIND_DAYS + 1)))
    elif state == "flagged":
        qs = qs.filter(_flagged_q(domain))
    if q:
        text = q.strip()[:50]
        qs = qs.filter(Q(name__icontains=text) | Q(address__icontains=text) | Q(licence_no__icontains=text))
    return (
        qs.distinct()
        .select_related("region", "region__parent", "domain", _facts_name(domain), "enterprise")
        .order_by("region_path", "name", "pk")
    )


def fact_text(facts, fact) -> str:
    if facts is None:
        return ""
    value = getattr(facts, fact.name)
    if fact.kind == "secret":
        return "已登记（加密保存）" if value else ""
    if fact.kind == "bool":
        return "是" if value else "否"
    if fact.kind == "choice":
        return getattr(facts, f"get_{fact.name}_display")()
    if fact.kind == "date":
        return value.isoformat() if value else ""
    return str(value) if value not in (None, "") else ""


def register_rows(places: list[Place], domain: str, today: dt.date) -> list[dict]:
    """One table row per object: its list facts, flags and open deadlines. A fixed number of queries."""
    name = _facts_name(domain)
    facts_by_name = {f.name: f for f in FACTS[domain]}
    cylinders: dict[int, list] = defaultdict(list)
    if domain == "lpg":
        for cylinder in LpgCylinder.objects.filter(place__in=places):
            cylinders[cylinder.place_id].append(cylinder)
    deadlines = open_deadlines_of([p.pk for p in places], today)
    rows = []
    for place in places:
        facts = getattr(place, name, None)
        rows.append(
            {
                "place": place,
                "village": place.region.parent.name if place.region.parent_id else "",
                "grid": place.region.name,
                "facts": [fact_text(facts, facts_by_name[f]) for f in LIST_FACTS[domain]],
                "flags": facts_flags(domain, facts, today=today, cylinders=cylinders.get(place.pk, [])),
                "deadlines": deadlines.get(place.pk, []),
                "contact": " ".join(x for x in (mask_name(place.contact_name), mask_phone(place.contact_phone)) if x),
            }
        )
    return rows


def list_headers(domain: str) -> list[str]:
    labels = {f.name: f.label for f in FACTS[domain]}
    return [labels[f] for f in LIST_FACTS[domain]]


def register_summary(user: User, today: dt.date) -> list[dict]:
    """Per domain: objects, expiring within the lead time, expired, with hazard flags, by risk grade."""
    visible = places_visible_to(user).active()
    out = []
    soon = today + dt.timedelta(days=rules.EXPIRY_REMIND_DAYS + 1)
    for domain in register_domains():
        qs = visible.filter(domain=domain)
        by_risk = Counter(qs.values_list("risk_level", flat=True))
        out.append(
            {
                "domain": domain,
                "total": sum(by_risk.values()),
                "expiring": qs.filter(_dated_q(domain.code, after=today, before=soon)).distinct().count(),
                "expired": qs.filter(_dated_q(domain.code, before=today)).distinct().count(),
                "flagged": qs.filter(_flagged_q(domain.code)).distinct().count(),
                "risk": [(level, label, by_risk.get(level, 0)) for level, label in RiskLevel.choices],
            }
        )
    return out


def place_register(place: Place, today: dt.date) -> dict:
    """One object's register card: every fact, flags, cylinders, risk points, deadlines, the latest edits."""
    domain = place.domain.code
    model = FACTS_MODELS.get(domain)
    facts = model.objects.filter(place=place).first() if model else None
    cylinders = list(place.cylinders.all()) if domain == "lpg" else []
    return {
        "domain": domain,
        "facts": [(f.label, fact_text(facts, f)) for f in FACTS.get(domain, [])] if facts else [],
        "has_facts": facts is not None,
        "flags": facts_flags(domain, facts, today=today, cylinders=cylinders),
        "cylinders": cylinders,
        "risk_points": list(place.risk_points.filter(is_active=True).order_by("grade", "name")),
        "deadlines": open_deadlines_of([place.pk], today).get(place.pk, []),
        "revisions": list(place.revisions.order_by("-version")[:10]),
        "enterprise": place.enterprise,
    }


FACTS_RELATED = tuple(model._meta.model_name for model in FACTS_MODELS.values())


def register_brief(places: list[Place], today: dt.date) -> dict[int, dict]:
    """For the field app's visit screen: each place's facts (label, text), flags, risk points and deadlines.
    Load the places with `select_related(*FACTS_RELATED)`: then three queries (cylinders only with LPG points)."""
    ids = [p.pk for p in places]
    lpg_ids = [p.pk for p in places if p.domain.code == "lpg"]
    cylinders: dict[int, list] = defaultdict(list)
    if lpg_ids:
        for cylinder in LpgCylinder.objects.filter(place_id__in=lpg_ids):
            cylinders[cylinder.place_id].append(cylinder)
    points: dict[int, list] = defaultdict(list)
    for point in RiskPoint.objects.filter(place_id__in=ids, is_active=True).order_by("name"):
        points[point.place_id].append(
            {"name": point.name, "grade": point.grade, "grade_label": rules.RISK_NAMES[point.grade],
             "measures": point.control_measures}
        )  # fmt: skip
    deadlines = open_deadlines_of(ids, today)
    out: dict[int, dict] = {}
    for place in places:
        domain = place.domain.code
        model = FACTS_MODELS.get(domain)
        facts = getattr(place, model._meta.model_name, None) if model else None
        out[place.pk] = {
            "facts": [[f.label, fact_text(facts, f)] for f in FACTS.get(domain, [])] if facts else [],
            "flags": facts_flags(domain, facts, today=today, cylinders=cylinders.get(place.pk, [])),
            "risk_points": points.get(place.pk, []),
            "deadlines": [
                {"label": d["label"], "due_on": d["due_on"].isoformat(), "expired": d["expired"]}
                for d in deadlines.get(place.pk, [])
            ],
        }
    return out


def register_points(user: User, domain: str | None) -> list[dict]:
    """Map points of the user's active objects (one domain or all), capped; coloured by domain on the map."""
    qs = places_visible_to(user).active().filter(domain__code__in=REGISTER_DOMAINS)
    if domain:
        qs = qs.filter(domain__code=domain)
    rows = qs.order_by("pk").values_list("pk", "name", "domain__code", "domain__name", "risk_level", "lon", "lat")[
        :MAP_LIMIT
    ]
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "id": pk,
                "name": name,
                "domain": code,
                "domain_name": domain_name,
                "risk": risk,
                "colour": rules.DOMAIN_COLOURS.get(code, "#555"),
            },
        }
        for pk, name, code, domain_name, risk, lon, lat in rows
    ]


def risk_by_township(user: User) -> list[dict]:
    """The township choropleth: for each township in the user's 辖区, its active risk points by grade and the worst
    grade (no points: none). Two queries plus the township polygons."""
    visible = places_visible_to(user).active().values("pk")
    counts: dict[str, Counter] = defaultdict(Counter)
    for path, grade in RiskPoint.objects.filter(is_active=True, place__in=visible).values_list("region_path", "grade"):
        counts[".".join(path.split(".")[:2])][grade] += 1
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP, is_active=True, geometry__isnull=False)
    features = []
    for township in townships.order_by("path").only("code", "name", "path", "geometry"):
        if not covers_path(user, township.path) and township.path not in counts:
            continue
        by_grade = counts.get(township.path, Counter())
        worst = next((g for g in rules.RISK_ORDER if by_grade.get(g)), None)
        geom = shapely.simplify(shape(township.geometry), 0.0005, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "id": township.code,
                "geometry": to_geojson(geom, 5),
                "properties": {
                    "code": township.code,
                    "name": township.name,
                    "worst": worst or "",
                    "worst_label": rules.RISK_NAMES.get(worst, "无风险点") if worst else "无风险点",
                    "colour": rules.RISK_COLOURS.get(worst, "#cccccc") if worst else "#cccccc",
                    "counts": {g: by_grade.get(g, 0) for g in rules.RISK_ORDER},
                    "total": sum(by_grade.values()),
                },
            }
        )
    return features


__all__ = [
    "register_brief",
    "register_list",
    "register_points",
    "register_rows",
    "register_summary",
    "risk_by_township",
]
