"""月度通报 and 季度督导: "每季度一督导、每月一通报" (domain.md §1.7). (Over 600 lines: one document's figures and its
two layouts, docx and xlsx, change together.)

`bulletin_compile` gathers the figures (rankings of townships and departments from the rollups, red cards and
overdue cases, patrol coverage, leaders' inspection compliance, 信息材料), `render_docx` and `render_xlsx` lay
them out, `bulletin_generate` stores both files on a Bulletin row (regenerating replaces them), and
the worker generates them on schedule (dashboards.schedule: the first working day of a month or quarter)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Supervision
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.transitions import state_text
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.dashboards import selectors as sel
from gridsafe.dashboards.access import departments_visible_at
from gridsafe.dashboards.documents import render_docx, render_xlsx
from gridsafe.dashboards.inforeports import report_status
from gridsafe.dashboards.inspections import compliance
from gridsafe.dashboards.models import Bulletin, BulletinKind
from gridsafe.dashboards.oversight import visits_for_report
from gridsafe.dashboards.periods import Period, month_period, next_month, parse_period, quarter_period
from gridsafe.field.models import Patrol
from gridsafe.regions.cities import subtree_paths
from gridsafe.regions.models import Region, RegionLevel

log = logging.getLogger("gridsafe.bulletins")

KIND_TITLES = {BulletinKind.MONTHLY: "月度通报", BulletinKind.QUARTERLY: "季度督导报告"}
GENERATORS = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.LEADER, Role.ADMIN})
ISSUER = "安全生产网格化管理领导小组办公室"  # 发文机关: the office of the county's leading group (domain.md §1.1)


def county_region() -> Region:
    return Region.objects.get(code=settings.GRIDSAFE_COUNTY_CODE)


def kpi_row(row: dict) -> dict:
    """A region report, ranking row or department row as the flat figures of a ranking table (bulletins, 考评)."""
    kpis = row["kpis"]
    return {
        "rank": row.get("rank"),
        "name": row["name"],
        "valid": row["counts"]["valid"],
        "handled": row["counts"]["handled"],
        "handling_rate": kpis["handling_rate"]["value"],
        "handling_on_time": kpis["handling_on_time"]["value"],
        "closure_rate": kpis["closure_rate"]["value"],
        "closure_on_time": kpis["closure_on_time"]["value"],
        "rework_rate": kpis["rework_rate"]["value"],
        "overdue": row["gauges"]["overdue"],
        "score": row["score"],
        "grade": row["grade"],
        "grade_capped": bool(row.get("grade_capped")),
    }


def _case_line(case, *, extra: str = "") -> dict:
    return {
        "id": case.pk,
        "category": case.category.name,
        "region": case.region.name,
        "holder": case.holder_unit.name,
        "state": state_text(case.state, case.closure),
        "due_at": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "",
        "note": extra,
    }


def patrol_coverage(region: Region, period: Period) -> dict | None:
    """巡查覆盖率: grid-weeks with at least one finished patrol meeting the patrol rule / grid-weeks in the period,
    per child node. None when the field app's Patrol table is not there (not migrated)."""
    try:
        grids = list(
            Region.objects.filter(level=RegionLevel.GRID, is_active=True)
            .filter(Q(path=region.path) | Q(path__startswith=region.path + "."))
            .values_list("path", flat=True)
        )
        weeks = sorted(
            {(period.start + timedelta(days=i)).isocalendar()[:2] for i in range((period.end - period.start).days + 1)}
        )
        done = set()
        for path, ended in (
            Patrol.objects.in_subtree(region.path)
            .ended_between(period.start_at(), period.end_before())
            .counted()  # only patrols meeting the county's patrol rule (field.PatrolRule)
            .values_list("grid_path", "ended_at")
            .iterator()
        ):
            done.add((path, timezone.localtime(ended).isocalendar()[:2]))
    except DatabaseError:
        return None
    children = dict(Region.objects.filter(parent=region, is_active=True).values_list("path", "name"))
    rows = []
    for child_path, name in sorted(children.items()):
        child_grids = [g for g in grids if g == child_path or g.startswith(child_path + ".")]
        due = len(child_grids) * len(weeks)
        covered = sum(1 for g in child_grids for w in weeks if (g, w) in done)
        rows.append(
            {"name": name, "grids": len(child_grids), "due": due, "covered": covered, "rate": _percent(covered, due)}
        )
    total_due = len(grids) * len(weeks)
    total_covered = sum(1 for g in grids for w in weeks if (g, w) in done)
    return {
        "weeks": len(weeks),
        "grids": len(grids),
        "due": total_due,
        "covered": total_covered,
        "rate": _percent(total_covered, total_due),
        "rows": rows,
    }


def _percent(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def bulletin_compile(*, kind: str, period: Period, region: Region, doc_no: str = "") -> dict:
    """Every figure of a bulletin, as plain data (also stored on the Bulletin: its page shows the same tables)."""
    report = sel.region_report(region, period)
    departments = sel.department_rows(list(departments_visible_at(region)), period)
    subtree = Q(case__region_path=region.path) | Q(case__region_path__startswith=region.path + ".")
    red_cards = list(
        Supervision.objects.filter(
            subtree, level="red", issued_at__gte=period.start_at(), issued_at__lt=period.end_before()
        )
        .select_related("case__category", "case__region", "case__holder_unit")
        .order_by("issued_at")[:200]
    )
    # Overdue as the bulletin is made: a bulletin generated late (catch-up, the demo's past months) lists none of the
    # cases reported after its moment.
    overdue = [c for c in sel.watched_cases(path=region.path, kind="overdue", limit=300) if c.created_at <= clock.now()]
    overdue = overdue[:100]
    months = []
    cursor = period.start
    while cursor <= period.end:
        months.append(month_period(cursor))
        cursor = next_month(cursor)
    monthly = [sel.region_report(region, m, children=False) for m in months] if kind == BulletinKind.QUARTERLY else []
    inspections = compliance(region, period.start, period.end)
    reports = [report_status(region, m) for m in months]
    title = f"{region.name}安全生产网格化管理工作{KIND_TITLES[kind]}（{period.label}）"
    return {
        "kind": kind,
        "title": title,
        "doc_no": doc_no,
        "issuer": f"{region.name}{ISSUER}",
        "region": region.name,
        "period": {"key": period.key, "label": period.label, "start": period.start, "end": period.end},
        "generated_at": timezone.localtime(clock.now()),
        "totals": kpi_row(report),
        "counts": dict(report["counts"]),
        "count_labels": dict(sel.LABELS["counts"]),
        "domains": [
            {
                "name": d["name"],
                "reported": d["counts"]["reported"],
                "handled": d["counts"]["handled"],
                "handling_rate": d["kpis"]["handling_rate"]["value"],
                "closure_rate": d["kpis"]["closure_rate"]["value"],
            }
            for d in report["domains"]
        ],
        "townships": [kpi_row(r) for r in report["children"]],
        "departments": [kpi_row(r) for r in departments],
        "red_cards": [
            _case_line(s.case, extra=f"{timezone.localtime(s.issued_at):%m-%d} 红牌：{s.instruction or '系统自动督办'}")
            for s in red_cards
        ],
        "overdue": [_case_line(c) for c in overdue],
        "patrol": patrol_coverage(region, period),
        "inspections": inspections,
        "reports": reports,
        "monthly": [
            {
                "label": m.label,
                "reported": r["counts"]["reported"],
                "handling_rate": r["kpis"]["handling_rate"]["value"],
                "closure_rate": r["kpis"]["closure_rate"]["value"],
            }
            for m, r in zip(months, monthly, strict=False)
        ],
        "visits": visits_for_report(region, period) if kind == BulletinKind.QUARTERLY else None,
    }


# ---------------------------------------------------------------- generate, schedule, read


BULLETIN_STEPS = 4  # compile the figures, the DOCX, the XLSX, store them


def _check_period(kind: str, period: Period) -> None:
    if kind == BulletinKind.MONTHLY and month_period(period.start or clock.now().date()) != period:
        raise ValidationFailed("月度通报的周期应为一个月，如 2026-10")
    if kind == BulletinKind.QUARTERLY and quarter_period(period.start or clock.now().date()) != period:
        raise ValidationFailed("季度督导的周期应为一个季度，如 2026-Q3")
    if kind not in BulletinKind.values:
        raise ValidationFailed("通报类型应为 monthly 或 quarterly")


def bulletin_check(kind: str, period: Period) -> None:
    """What the generate button may ask for (ValidationFailed otherwise): checked before its job is queued."""
    if kind not in BulletinKind.values:
        raise ValidationFailed("通报类型应为 monthly 或 quarterly")
    _check_period(kind, period)


def bulletin_generate(
    *, kind: str, period: Period, actor: User | None = None, region: Region | None = None, progress=None
) -> Bulletin:
    """Compile, render and store a bulletin (on demand as a background job — dashboards/downloads.py — or from the
    schedule with actor None). Regenerating the same kind and period replaces the files. Raises
    charts.CjkFontMissing when no Chinese font is installed. `progress(done, total)` counts its BULLETIN_STEPS."""
    step = progress or (lambda done, total: None)
    bulletin_check(kind, period)
    step(0, BULLETIN_STEPS)
    region = region or county_region()
    existing = Bulletin.objects.filter(kind=kind, region=region, period_start=period.start).first()
    year, number = _doc_number(region, existing)
    doc_no = f"{settings.GRIDSAFE_DOC_PREFIX}〔{year}〕{number}号"
    data = bulletin_compile(kind=kind, period=period, region=region, doc_no=doc_no)
    step(1, BULLETIN_STEPS)
    docx_bytes = render_docx(data)
    step(2, BULLETIN_STEPS)
    xlsx_bytes = render_xlsx(data)
    step(3, BULLETIN_STEPS)
    stem = f"{kind}-{region.code}-{period.key}"
    summary = {
        "townships": [
            {"rank": r["rank"], "name": r["name"], "score": r["score"], "grade": r["grade"]} for r in data["townships"]
        ],
        "departments": [
            {"rank": r["rank"], "name": r["name"], "score": r["score"], "grade": r["grade"]}
            for r in data["departments"]
        ],
        "totals": data["totals"],
        "red_cards": len(data["red_cards"]),
        "overdue": len(data["overdue"]),
        # The document as issued, for its page: the same tables as the DOCX (long lists cut as in the DOCX).
        "doc": {**data, "inspections": {**data["inspections"], "missed": data["inspections"]["missed"][:60]}},
    }
    try:
        with transaction.atomic():
            bulletin, _created = Bulletin.objects.select_for_update().get_or_create(
                kind=kind,
                region=region,
                period_start=period.start,
                defaults={"period_end": period.end, "title": data["title"], "generated_at": clock.now()},
            )
            old = [f.name for f in (bulletin.docx, bulletin.xlsx) if f]
            bulletin.docx.save(f"{stem}.docx", ContentFile(docx_bytes), save=False)
            bulletin.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx_bytes), save=False)
            bulletin.title = data["title"]
            bulletin.period_end = period.end
            bulletin.summary = _jsonable(summary)
            bulletin.generated_at = clock.now()
            bulletin.generated_by = actor
            bulletin.doc_year, bulletin.doc_number = year, number
            bulletin.save()
            storage = bulletin.docx.storage
            transaction.on_commit(
                lambda: [storage.delete(n) for n in old if n not in (bulletin.docx.name, bulletin.xlsx.name)]
            )
    except IntegrityError as exc:  # another bulletin took the same 文号 in the meantime
        raise ValidationFailed("文号已被同时生成的另一份通报占用，请重新生成") from exc
    return bulletin


def _doc_number(region: Region, existing: Bulletin | None) -> tuple[int, int]:
    """The bulletin's 文号 (year, number): kept when regenerating, else the next number of the year of issue."""
    if existing is not None and existing.doc_number:
        return existing.doc_year, existing.doc_number
    year = timezone.localtime(clock.now()).year
    last = (
        Bulletin.objects.filter(region=region, doc_year=year)
        .order_by("-doc_number")
        .values_list("doc_number", flat=True)
        .first()
    )
    return year, (last or 0) + 1


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def may_generate(user: User) -> bool:
    return (
        user.is_authenticated
        and (user.role in GENERATORS or user.is_superuser)
        and jurisdiction_of(user).covers_path(settings.GRIDSAFE_COUNTY_CODE)
    )


def bulletins_visible_to(user: User) -> QuerySet[Bulletin]:
    """A bulletin is distributed to the staff of the units it ranks: every unit inside its region (townships,
    stations, departments), and whoever's 辖区 covers it. Grid workers are not on the list."""
    qs = Bulletin.objects.select_related("region").order_by("-period_start", "kind")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return qs
    if user.role == Role.GRID_WORKER or user.unit_id is None:
        return qs.none()
    unit_path = user.unit.region.path
    ancestors = Region(path=unit_path).ancestor_paths()
    return qs.filter(region__path__in=[*ancestors, *subtree_paths(unit_path)])  # a city: its counties' too


def bulletin_for_user(user: User, bulletin_id: int) -> Bulletin:
    bulletin = bulletins_visible_to(user).filter(pk=bulletin_id).first()
    if bulletin is None:
        raise NotFound("未找到该通报")
    return bulletin


__all__ = ["bulletin_generate", "parse_period"]
