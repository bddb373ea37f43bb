"""季度督导 — supervision visits as records ("每季度一督导", domain.md §1.7): who went (带队, 督导组), where (the
township, village or department visited, the places), what they found, what must be rectified by when, and the
hazard cases that follow the findings up. The quarterly 督导 report lists them with how many follow-up cases are
fixed. One service per action, each audited; every read starts from `visits_visible_to`."""

from __future__ import annotations

import uuid
from datetime import date

from django import forms
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.models import Case, Source
from gridsafe.cases.permissions import cases_visible_to, jurisdiction_of
from gridsafe.cases.services import case_report
from gridsafe.cases.transitions import State
from gridsafe.catalog.models import Category
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.input import InputForm
from gridsafe.dashboards.models import OversightVisit
from gridsafe.dashboards.periods import Period, today
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region, RegionLevel

RECORDERS = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.LEADER, Role.ADMIN})


def _subtree(path: str, field: str = "region_path") -> Q:
    return subtree_q(field, path)  # a city: its counties too (regions.cities)


def may_record_visit(user: User, region: Region) -> bool:
    return user.is_authenticated and user.role in RECORDERS and jurisdiction_of(user).covers_path(region.path)


def visits_visible_to(user: User) -> QuerySet[OversightVisit]:
    """Visits inside the user's 辖区, and a department's own visits (督导 of the department)."""
    if not user.is_authenticated or not user.is_active:
        return OversightVisit.objects.none()
    q = Q(pk__in=[])
    for path in jurisdiction_of(user).paths:
        q |= _subtree(path)
    if user.unit_id:
        q |= Q(unit_id=user.unit_id)
    return (
        OversightVisit.objects.filter(q)
        .select_related("region", "unit", "created_by")
        .annotate(case_count=Count("cases", distinct=True))
        .order_by("-visited_on", "-id")
    )


def visit_for_user(user: User, visit_id: int) -> OversightVisit:
    visit = visits_visible_to(user).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound("未找到该督导记录")
    return visit


@transaction.atomic
def oversight_visit_record(
    *,
    actor: User,
    region: Region,
    visited_on: date,
    leader_name: str,
    findings: str,
    unit: Unit | None = None,
    team: str = "",
    places: str = "",
    requirements: str = "",
    rectify_by: date | None = None,
) -> OversightVisit:
    """记录督导 — one supervision visit to a township, village or (with `unit`) a department. Audited."""
    if not may_record_visit(actor, region):
        raise NotFound("未找到该区划")
    if region.level > RegionLevel.VILLAGE:
        raise ValidationFailed("督导对象为县、乡镇(街道)或村(居)，或县直部门")
    if unit is not None and not (unit.region.path == region.path or unit.region.path.startswith(region.path + ".")):
        raise ValidationFailed(f"{unit.name}不在{region.name}辖区内")
    if visited_on > today():
        raise ValidationFailed("督导日期不能晚于今天")
    if rectify_by is not None and rectify_by < visited_on:
        raise ValidationFailed("整改期限不能早于督导日期")
    if not (findings or "").strip():
        raise ValidationFailed("请填写督导发现的问题（无问题请写“未发现问题”）")
    visit = OversightVisit.objects.create(
        region=region,
        region_path=region.path,
        unit=unit,
        visited_on=visited_on,
        leader_name=(leader_name or "").strip()[:60] or actor.display_name or actor.username,
        team=team or "",
        places=places or "",
        findings=findings.strip(),
        requirements=requirements or "",
        rectify_by=rectify_by,
        created_by=actor,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="oversight_visit.recorded",
        target=f"oversight_visit:{visit.pk}",
        payload={"region": region.code, "unit": unit.pk if unit else None, "visited_on": visited_on.isoformat()},
    )
    return visit


@transaction.atomic
def oversight_visit_link_case(*, actor: User, visit: OversightVisit, case_id: int) -> Case:
    """关联跟踪隐患 — an existing case (visible to the actor, inside the visited area or with the visited
    department) follows up the visit's findings. Audited; linking twice changes nothing."""
    if not may_record_visit(actor, visit.region):
        raise NotFound("未找到该督导记录")
    case = cases_visible_to(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound("未找到该隐患")
    inside = case.region_path == visit.region_path or case.region_path.startswith(visit.region_path + ".")
    if visit.unit_id and visit.unit.kind == UnitKind.DEPARTMENT:
        inside = inside and (case.holder_unit_id == visit.unit_id or case.department_id == visit.unit_id)
    if not inside:
        raise ValidationFailed(f"隐患 #{case.pk} 不属于本次督导对象")
    if not visit.cases.filter(pk=case.pk).exists():
        visit.cases.add(case)
        audit_record(
            actor=actor, action="oversight_visit.case_linked", target=f"oversight_visit:{visit.pk}",
            payload={"case": case.pk},
        )  # fmt: skip
    return case


def oversight_visit_add_case(
    *, actor: User, visit: OversightVisit, category: Category, description: str, grid: Region
) -> Case:
    """督导发现 → 隐患: a finding becomes a case (source 领导交办) through the ordinary 上报 service, so it runs the
    same loop, clock and rollups as any other, and is linked to the visit. Audited."""
    if not may_record_visit(actor, visit.region):
        raise NotFound("未找到该督导记录")
    if grid.level != RegionLevel.GRID or not grid.is_within(visit.region_path):
        raise ValidationFailed("网格不在本次督导对象的辖区内")
    case, _created = case_report(
        actor=actor,
        client_id=uuid.uuid4(),
        category_code=category.code,
        description=f"【督导发现 {visit.visited_on:%Y-%m-%d}】{description}",
        lon=grid.center_lon,
        lat=grid.center_lat,
        source=Source.LEADER,
    )
    with transaction.atomic():
        visit.cases.add(case)
        audit_record(
            actor=actor, action="oversight_visit.case_added", target=f"oversight_visit:{visit.pk}",
            payload={"case": case.pk},
        )  # fmt: skip
    return case


def visit_target(visit: OversightVisit) -> str:
    return visit.unit.name if visit.unit_id else visit.region.name


def visit_cases(visit: OversightVisit) -> list[Case]:
    return list(visit.cases.select_related("category", "region", "holder_unit").order_by("pk"))


def visits_for_report(region: Region, period: Period) -> list[dict]:
    """The visits of a quarter inside `region`, with their follow-up cases fixed so far: the 督导 report's table.
    Two queries."""
    visits = list(
        OversightVisit.objects.filter(_subtree(region.path), visited_on__gte=period.start, visited_on__lte=period.end)
        .select_related("region", "unit")
        .annotate(
            n_cases=Count("cases", distinct=True),
            n_resolved=Count("cases", filter=Q(cases__state=State.CLOSED, cases__closure="resolved"), distinct=True),
        )
        .order_by("visited_on", "pk")
    )
    return [
        {
            "id": v.pk,
            "visited_on": v.visited_on.isoformat(),
            "target": visit_target(v),
            "leader_name": v.leader_name,
            "team": v.team,
            "places": v.places,
            "findings": v.findings,
            "requirements": v.requirements,
            "rectify_by": v.rectify_by.isoformat() if v.rectify_by else "",
            "cases": v.n_cases,
            "cases_resolved": v.n_resolved,
        }
        for v in visits
    ]


def quarter_coverage(region: Region, period: Period) -> list[dict]:
    """Which children of `region` (townships under the county) had a 督导 visit in the quarter. Two queries."""
    children = list(Region.objects.filter(parent=region, is_active=True).only("pk", "name", "path").order_by("code"))
    visited: dict[str, int] = {}
    for path in OversightVisit.objects.filter(
        _subtree(region.path), visited_on__gte=period.start, visited_on__lte=period.end
    ).values_list("region_path", flat=True):
        for child in children:
            if path == child.path or path.startswith(child.path + "."):
                visited[child.path] = visited.get(child.path, 0) + 1
    return [{"name": c.name, "path": c.path, "visits": visited.get(c.path, 0)} for c in children]


# ---------------------------------------------------------------- forms


class VisitForm(InputForm):
    region = forms.ChoiceField(label="督导对象（区划）")
    unit = forms.ChoiceField(label="督导的县直部门（可选）", required=False)
    visited_on = forms.DateField(label="督导日期", widget=forms.DateInput(attrs={"type": "date"}))
    leader_name = forms.CharField(label="带队领导", max_length=60)
    team = forms.CharField(label="督导组成员", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    places = forms.CharField(
        label="督导地点/点位", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    findings = forms.CharField(label="发现问题", max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    requirements = forms.CharField(
        label="整改要求", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    rectify_by = forms.DateField(label="整改期限", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        q = Q(pk__in=[])
        for path in jurisdiction_of(user).paths:
            q |= _subtree(path, "path")
        regions = Region.objects.filter(q, is_active=True, level__lte=RegionLevel.VILLAGE).defer("geometry")
        indent = {1: "", 2: "\u3000", 3: "\u3000\u3000"}
        self.fields["region"].choices = [
            (r.code, f"{indent.get(r.level, '')}{r.name}") for r in regions.order_by("path")
        ]
        units = Unit.objects.filter(kind=UnitKind.DEPARTMENT, is_active=True, region__in=regions.filter(level=1))
        self.fields["unit"].choices = [("", "—")] + [(str(u.pk), u.name) for u in units.order_by("code")]
        if not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localtime(clock.now()).date())
            self.initial.setdefault("leader_name", user.display_name)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        unit_id = data.get("unit")
        return {
            "region": Region.objects.get(code=data["region"]),
            "unit": Unit.objects.select_related("region").get(pk=unit_id) if unit_id else None,
            "visited_on": data["visited_on"],
            "leader_name": data["leader_name"],
            "team": data.get("team") or "",
            "places": data.get("places") or "",
            "findings": data["findings"],
            "requirements": data.get("requirements") or "",
            "rectify_by": data.get("rectify_by"),
        }


class LinkCaseForm(InputForm):
    case_id = forms.IntegerField(label="隐患编号", min_value=1)


class VisitFindingForm(InputForm):
    category = forms.ModelChoiceField(label="隐患类别", queryset=Category.objects.none())
    grid = forms.ModelChoiceField(label="网格", queryset=Region.objects.none(), to_field_name="code")
    description = forms.CharField(label="隐患描述", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, visit: OversightVisit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related("domain")
        self.fields["grid"].queryset = (
            Region.objects.filter(_subtree(visit.region_path, "path"), level=RegionLevel.GRID)
            .defer("geometry")
            .order_by("path")
        )
