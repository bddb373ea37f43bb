"""导入单位 — units from the county's XLSX (`import_units`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from gridsafe.accounts.importer.sheets import (
    STATUS,
    UNIT_CODE,
    UNIT_KINDS,
    UNIT_LEVELS,
    UNITS,
    checking,
    regions_by_code,
    tick,
    writing,
)
from gridsafe.accounts.models import Unit, UnitKind, User
from gridsafe.accounts.routing import unit_routing
from gridsafe.accounts.services import unit_save
from gridsafe.core.importing import (
    ImportReport,
    Progress,
    Row,
    audit_import,
    open_workbook,
    read_rows,
    split_list,
)

# ---------------------------------------------------------------- units


def import_units(
    source: Path | bytes,
    *,
    dry_run: bool,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    ip: str | None = None,
) -> ImportReport:
    """单位: code, name, kind, region, the domains of a department, status."""
    report = ImportReport(kind="units", dry_run=dry_run)
    wb = open_workbook(source)
    rows = list(read_rows(wb, UNITS, report))
    Domain = Unit._meta.get_field("domains").related_model  # catalog sits above accounts: no import of it
    domains = {d.code: d for d in Domain.objects.all()}
    domains_by_name = {d.name: d for d in domains.values()}
    regions = regions_by_code({r["region"] for r in rows})
    existing = {u.code: u for u in Unit.objects.prefetch_related("domains")}
    seen: dict[str, int] = {}
    plan: list[tuple[Row, Unit | None, dict[str, Any], list]] = []
    sheet = UNITS.name
    check = checking(progress, dry_run)
    for checked, row in enumerate(rows, start=1):
        tick(check, checked, len(rows))
        code = row["code"]
        if code and not UNIT_CODE.match(code):
            report.problem(
                sheet, row.number, "单位编码", f"「{code}」不是有效的编码：只能用字母、数字、短横线，最长 40 个字符"
            )
            continue
        if code in seen:
            report.problem(sheet, row.number, "单位编码", f"单位编码「{code}」与第 {seen[code]} 行重复")
            continue
        seen[code] = row.number
        if len(row["name"]) > 60:
            report.problem(sheet, row.number, "单位名称", "单位名称不能超过 60 个字")
        kind = UNIT_KINDS.get(row["kind"])
        region = regions.get(row["region"])
        if row["region"] and region is None:
            report.problem(sheet, row.number, "区划编码", f"区划「{row['region']}」不存在，请先导入区划")
        elif region is not None and kind is not None and region.level not in UNIT_LEVELS[kind]:
            report.problem(
                sheet, row.number, "区划编码", f"{row['kind']}不能设在{region.get_level_display()}「{region.name}」"
            )
        chosen = []
        for token in split_list(row["domains"]):
            domain = domains.get(token) or domains_by_name.get(token)
            if domain is None:
                report.problem(sheet, row.number, "负责领域", f"领域「{token}」不存在")
            else:
                chosen.append(domain)
        if chosen and kind is not None and kind != UnitKind.DEPARTMENT:
            report.problem(sheet, row.number, "负责领域", "只有职能部门可以负责领域")
        if kind is None or region is None:
            continue
        values = {
            "name": row["name"],
            "kind": kind,
            "region_id": region.pk,
            "is_active": STATUS.get(row["status"], True),
        }
        plan.append((row, existing.get(code), values, chosen))
    missing = [u for c, u in existing.items() if c not in seen and u.is_active] if deactivate_missing else []
    if not report.ok or dry_run:
        _preview_units(report, plan, missing)
        return report
    audit_rows: list = []
    new: list[tuple[Unit, list]] = []
    with transaction.atomic():
        total, write = len(plan) + len(missing), writing(progress)
        for done, (row, unit, values, chosen) in enumerate(plan, start=1):
            if unit is None:
                unit = Unit(code=row["code"], **values)
                new.append((unit, chosen))
                report.change("created", unit.code, unit.name)
                audit_rows.append(["created", unit.code, sorted(values)])
            else:
                changed = [k for k, v in values.items() if getattr(unit, k) != v]
                domains_changed = {d.pk for d in unit.domains.all()} != {d.pk for d in chosen}
                if changed or domains_changed:
                    for key in changed:
                        setattr(unit, key, values[key])
                    unit_save(unit, domains=chosen if domains_changed else None)
                    fields = changed + (["domains"] if domains_changed else [])
                    report.change("updated", unit.code, "、".join(UNIT_FIELD_NAMES.get(f, f) for f in fields))
                    audit_rows.append(["updated", unit.code, fields])
                else:
                    report.change("unchanged", unit.code)
            tick(write, done, total)
        # New units in bulk (a county's first import is hundreds), then unit_save's cache invalidation once.
        Unit.objects.bulk_create([u for u, _d in new], batch_size=500)
        through = Unit.domains.through
        through.objects.bulk_create([through(unit_id=u.pk, domain_id=d.pk) for u, ds in new for d in ds])
        unit_routing.invalidate()
        for unit in missing:
            unit.is_active = False
            unit_save(unit)
            report.change("deactivated", unit.code, unit.name)
            audit_rows.append(["deactivated", unit.code, ["is_active"]])
        audit_import("units", source, report, audit_rows, actor=actor, ip=ip)
    return report


UNIT_FIELD_NAMES = {"name": "单位名称", "kind": "类型", "region_id": "区划", "is_active": "状态", "domains": "负责领域"}


def _preview_units(report: ImportReport, plan: list, missing: list[Unit]) -> None:
    for row, unit, values, chosen in plan:
        if unit is None:
            report.change("created", row["code"], values["name"])
        elif [k for k, v in values.items() if getattr(unit, k) != v] or {d.pk for d in unit.domains.all()} != {
            d.pk for d in chosen
        }:
            changed = [k for k, v in values.items() if getattr(unit, k) != v]
            if {d.pk for d in unit.domains.all()} != {d.pk for d in chosen}:
                changed.append("domains")
            report.change("updated", row["code"], "、".join(UNIT_FIELD_NAMES.get(f, f) for f in changed))
        else:
            report.change("unchanged", row["code"])
    for unit in missing:
        report.change("deactivated", unit.code, unit.name)
