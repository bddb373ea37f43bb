"""领导带队检查 and 例会 (domain.md §1.6): records, findings that become hazard cases, photos, and the compliance
view that flags every missed cadence. The cadence itself is data (CadenceRule): county leaders monthly, townships
and villages weekly, one inspection and one meeting each."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case, Source
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.services import case_report
from gridsafe.cases.uploads import accept_upload
from gridsafe.catalog.models import Category
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.input import InputForm, check_day
from gridsafe.dashboards import config
from gridsafe.dashboards.models import ActivityKind, ActivityPhoto, Cadence, LeaderActivity
from gridsafe.dashboards.periods import next_month, quarter_period, today
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region, RegionLevel

LEVEL_NAMES = {level.value: level.label for level in RegionLevel}  # a rule's level, by the catalogue's name
RECORDERS = frozenset({Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.LEADER, Role.ADMIN})


def _subtree(path: str, field: str = "region_path") -> Q:
    return subtree_q(field, path)  # a city: its counties too (regions.cities)


# ---------------------------------------------------------------- records


def may_record(user: User, region: Region) -> bool:
    return user.role in RECORDERS and jurisdiction_of(user).covers_path(region.path)


@transaction.atomic
def activity_record(
    *,
    actor: User,
    kind: str,
    region: Region,
    title: str,
    held_at: datetime,
    leader_name: str,
    attendees: str = "",
    minutes: str = "",
    grids: list[Region] | tuple = (),
    photo=None,
) -> LeaderActivity:
    """记录 — one inspection or meeting of the unit at a county, township or village node."""
    if kind not in ActivityKind.values:
        raise ValidationFailed("类型应为 inspection（检查）或 meeting（例会）")
    if region.level > RegionLevel.VILLAGE:
        raise ValidationFailed("领导带队检查按县、乡镇(街道)、村(居)三级记录")
    if not may_record(actor, region):
        raise NotFound("未找到该区划")
    if held_at > clock.now() + timedelta(hours=1):
        raise ValidationFailed("检查/会议时间不能晚于现在")
    outside = [g.name for g in grids if not g.is_within(region.path) or g.level != RegionLevel.GRID]
    if outside:
        raise ValidationFailed(f"网格不在{region.name}辖区内：{'、'.join(outside)}")
    activity = LeaderActivity.objects.create(
        kind=kind,
        region=region,
        region_path=region.path,
        title=title.strip() or ("领导带队检查" if kind == ActivityKind.INSPECTION else "例会"),
        held_at=held_at,
        leader=actor if actor.role == Role.LEADER else None,
        leader_name=leader_name.strip() or actor.display_name or actor.username,
        attendees=attendees,
        minutes=minutes,
        created_by=actor,
        created_at=clock.now(),
    )
    if grids:
        activity.grids.set(grids)
    if photo is not None:
        activity_add_photo(activity=activity, actor=actor, upload=photo)
    return activity


def activity_add_photo(*, activity: LeaderActivity, actor: User, upload) -> ActivityPhoto:
    """One photo of an inspection or meeting: an image checked by its bytes, fingerprinted with SHA-256."""
    if not may_record(actor, activity.region):
        raise NotFound("未找到该记录")
    info, upload = accept_upload(upload)  # `upload` is now what is stored: without EXIF GPS, device or author
    if info.kind != "image":
        raise ValidationFailed("只能上传照片（JPEG、PNG、WebP、HEIC）")
    upload.seek(0)
    data = upload.read()
    photo = ActivityPhoto(
        activity=activity,
        original_name=getattr(upload, "name", "")[:200],
        content_type=info.content_type,
        size=info.size,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
        created_at=clock.now(),
    )
    photo.file.save(f"{uuid.uuid4()}{info.extension}", ContentFile(data), save=False)
    try:
        photo.save()
    except Exception:
        photo.file.storage.delete(photo.file.name)
        raise
    return photo


def activity_add_finding(
    *, activity: LeaderActivity, actor: User, category: Category, description: str, grid: Region
) -> Case:
    """A hazard found on a leader's inspection becomes a case (source 领导交办) through the normal 上报 service, so
    it runs the same loop, clock and rollups as any other; the activity keeps the link."""
    if activity.kind != ActivityKind.INSPECTION:
        raise ValidationFailed("只有检查记录可以登记发现的隐患")
    if not may_record(actor, activity.region):
        raise NotFound("未找到该记录")
    if not grid.is_within(activity.region_path) or grid.level != RegionLevel.GRID:
        raise ValidationFailed("网格不在本次检查的辖区内")
    case, _created = case_report(
        actor=actor,
        client_id=uuid.uuid4(),
        category_code=category.code,
        description=f"【{activity.title}】{description}",
        lon=grid.center_lon,
        lat=grid.center_lat,
        source=Source.LEADER,
    )
    activity.findings.add(case)
    if not activity.grids.filter(pk=grid.pk).exists():
        activity.grids.add(grid)
    return case


def activities_visible_to(user: User, region: Region):
    if not jurisdiction_of(user).covers_path(region.path):
        return LeaderActivity.objects.none()
    return (
        LeaderActivity.objects.filter(_subtree(region.path))
        .select_related("region")
        .prefetch_related("photos", "findings")
        .order_by("-held_at", "-id")
    )


def activity_for_user(user: User, activity_id: int) -> LeaderActivity:
    activity = (
        LeaderActivity.objects.select_related("region", "created_by")
        .prefetch_related("grids", "photos", "findings__category")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None or not jurisdiction_of(user).covers_path(activity.region_path):
        raise NotFound("未找到该记录")
    return activity


def photo_for_user(user: User, photo_id: int) -> ActivityPhoto:
    photo = ActivityPhoto.objects.select_related("activity").filter(pk=photo_id).first()
    if photo is None or not jurisdiction_of(user).covers_path(photo.activity.region_path):
        raise NotFound("未找到该照片")
    return photo


# ---------------------------------------------------------------- compliance


def default_window(start: date | None, end: date | None) -> tuple[date, date]:
    """Default: this quarter so far."""
    day = today()
    try:
        for given in (start, end):
            if given is not None:
                check_day(given, future=True)  # a year-9999 end would overflow the quarter below
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    end = end or day
    start = start or quarter_period(end).start
    if end < start:
        raise ValidationFailed("结束日期不能早于开始日期")
    if (end - start).days > 400:
        raise ValidationFailed("检查落实情况一次最多统计一年")
    return start, end


def _periods(cadence: str, start: date, end: date) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of every week (Monday–Sunday) or month that overlaps [start, end]."""
    out = []
    if cadence == Cadence.WEEK:
        cursor = start - timedelta(days=start.weekday())
        while cursor <= end:
            last = cursor + timedelta(days=6)
            year, week, _ = cursor.isocalendar()
            out.append((f"{year}年第{week}周({cursor:%m-%d}~{last:%m-%d})", cursor, last))
            cursor = last + timedelta(days=1)
    else:
        cursor = start.replace(day=1)
        while cursor <= end:
            last = next_month(cursor) - timedelta(days=1)
            out.append((f"{cursor.year}年{cursor.month}月", cursor, last))
            cursor = last + timedelta(days=1)
    return out


def compliance(region: Region, start: date, end: date, *, missed_limit: int = 1000) -> dict:
    """For every cadence rule and every node of its level in the subtree: the periods in the window, how many
    activities each needed and had. Periods not yet over are "in progress", never missed. Two queries plus the
    rules, whatever the window: one for the nodes, one for the activities."""
    rules = [r for r in config.cadence_rules() if r.region_level >= region.level]
    tz = timezone.get_current_timezone()
    now_day = today()
    nodes = {
        r.pk: r
        for r in Region.objects.filter(
            _subtree(region.path, "path"), is_active=True, level__in={r.region_level for r in rules}
        )
        .only("pk", "code", "name", "level", "path")
        .order_by("path")
    }
    begin = min((p[1] for r in rules for p in _periods(r.cadence, start, end)), default=start)
    finish = max((p[2] for r in rules for p in _periods(r.cadence, start, end)), default=end)
    held: Counter = Counter()
    rows = LeaderActivity.objects.filter(
        _subtree(region.path),
        held_at__gte=datetime.combine(begin, time.min, tz),
        held_at__lt=datetime.combine(finish + timedelta(days=1), time.min, tz),
    ).values_list("region_id", "kind", "held_at")
    # astimezone, not timezone.localtime: the same date at a tenth of the cost over a year of village rows.
    dated = [(region_id, kind, at.astimezone(tz).date()) for region_id, kind, at in rows]
    summary, missed = [], []
    for rule in rules:
        periods = _periods(rule.cadence, start, end)
        level_nodes = [n for n in nodes.values() if n.level == rule.region_level]
        held.clear()
        # day → its period, built once per rule: a year of village activities is thousands of rows, and a scan of
        # every period for each of them made a township's 考评表 take most of a second.
        label_of = {
            first + timedelta(days=d): label for label, first, last in periods for d in range((last - first).days + 1)
        }
        for region_id, kind, day in dated:
            if kind == rule.kind and (label := label_of.get(day)) is not None:
                held[(region_id, label)] += 1
        due = done = lacking = in_progress = 0
        for label, _first, last in periods:
            over = last < now_day
            for node in level_nodes:
                count = held[(node.pk, label)]
                if not over:
                    in_progress += 1
                    continue
                due += 1
                if count >= rule.times:
                    done += 1
                else:
                    lacking += 1
                    if len(missed) < missed_limit:
                        missed.append(
                            {
                                "region": node.name,
                                "code": node.code,
                                "path": node.path,
                                "period": label,
                                "rule": rule.title,
                                "held": count,
                            }
                        )
        summary.append(
            {
                "level": rule.region_level,
                "level_name": str(LEVEL_NAMES.get(rule.region_level, "")),
                "kind": rule.kind,
                "rule": f"{rule.title}（每{'周' if rule.cadence == Cadence.WEEK else '月'}{rule.times}次）",
                "nodes": len(level_nodes),
                "due": due,
                "done": done,
                "missed": lacking,
                "in_progress": in_progress,
                "rate": round(100.0 * done / due, 2) if due else None,
            }
        )
    by_child: Counter = Counter()
    depth = region.path.count(".") + 1
    for m in missed:
        parts = m["path"].split(".")
        by_child[".".join(parts[: depth + 1]) if len(parts) > depth else m["path"]] += 1
    child_names = dict(Region.objects.filter(parent=region).values_list("path", "name"))
    return {
        "region": region.name,
        "start": start,
        "end": end,
        "summary": summary,
        "missed": missed,
        "missed_total": sum(s["missed"] for s in summary),
        "by_child": sorted(
            ({"name": child_names.get(p, region.name), "missed": n} for p, n in by_child.items()),
            key=lambda r: -r["missed"],
        ),
    }


# ---------------------------------------------------------------- forms


class ActivityForm(InputForm):
    kind = forms.ChoiceField(label="类型", choices=ActivityKind.choices)
    region = forms.ChoiceField(label="单位（区划）")
    title = forms.CharField(label="标题", max_length=120, required=False)
    held_at = forms.DateTimeField(label="时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    leader_name = forms.CharField(label="带队领导/主持人", max_length=60)
    grids = forms.MultipleChoiceField(
        label="检查的网格（按乡镇分组，可输入村名筛选；按住 Ctrl 多选）",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12, "data-filter": "输入村名或网格名筛选"}),
    )
    attendees = forms.CharField(label="参加人员", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.CharField(
        label="检查情况/会议纪要", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    photo = forms.ImageField(label="照片（可在详情页继续上传）", required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = jurisdiction_of(user)
        q = Q(pk__in=[])
        for path in scope.paths:
            q |= _subtree(path, "path")
        regions = Region.objects.filter(q, is_active=True, level__lte=RegionLevel.VILLAGE).order_by("path")
        indent = {1: "", 2: "\u3000", 3: "\u3000\u3000"}
        self.fields["region"].choices = [(r.code, f"{indent.get(r.level, '')}{r.name}") for r in regions]
        self.fields["grids"].choices = grid_choices(q)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        region = Region.objects.get(code=data["region"])
        held = data["held_at"]
        if timezone.is_naive(held):
            held = timezone.make_aware(held)
        return {
            "kind": data["kind"],
            "region": region,
            "title": data.get("title") or "",
            "held_at": held,
            "leader_name": data["leader_name"],
            "attendees": data.get("attendees") or "",
            "minutes": data.get("minutes") or "",
            "grids": list(Region.objects.filter(code__in=data.get("grids") or [])),
            "photo": data.get("photo"),
        }


def grid_choices(scope: Q) -> list[tuple[str, list[tuple[str, str]]]]:
    """The active grids in `scope` as choices grouped by township, each named "村 · 网格": a county holds 700 grids,
    a flat list of names alone is unusable. Two queries (the grids with their village, the townships' names)."""
    grids = list(
        Region.objects.filter(scope, is_active=True, level=RegionLevel.GRID)
        .order_by("path")
        .values_list("code", "name", "path", "parent__name")
    )
    townships = {p.rsplit(".", 2)[0] for _c, _n, p, _v in grids if p.count(".") >= 3}
    names = dict(Region.objects.filter(path__in=townships).values_list("path", "name"))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, path, village in grids:
        township = names.get(path.rsplit(".", 2)[0], "")
        groups.setdefault(township, []).append((code, f"{village} · {name}" if village else name))
    return list(groups.items())


class GridSearchInput(forms.TextInput):
    """A grid typed or picked from a typeahead list (<datalist>): "村 · 网格" labels, the grid code as the value."""

    template_name = "dashboards/widgets/grid_search.html"

    def __init__(self, attrs=None):
        super().__init__({"placeholder": "输入村名或网格名", "autocomplete": "off", **(attrs or {})})
        self.options: list[tuple[str, str]] = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs'].get('id', name)}-options"
        context["widget"]["options"] = self.options
        return context


class FindingForm(InputForm):
    category = forms.ModelChoiceField(label="隐患类别", queryset=Category.objects.none())
    grid = forms.ModelChoiceField(
        label="网格", queryset=Region.objects.none(), to_field_name="code", widget=GridSearchInput()
    )
    description = forms.CharField(label="隐患描述", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, activity: LeaderActivity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related("domain")
        self.fields["grid"].queryset = Region.objects.filter(
            _subtree(activity.region_path, "path"), level=RegionLevel.GRID
        ).order_by("path")
        # The typeahead offers every grid of the unit's area, named "乡镇 · 村 · 网格".
        self.fields["grid"].widget.options = [
            (code, f"{township} · {label}")
            for township, options in grid_choices(_subtree(activity.region_path, "path"))
            for code, label in options
        ]
