"""导入监管对象 — the supervised places of the pilot domains from one XLSX workbook, one sheet per domain with its own
columns (出租房 have a management class, 液化气 and 烟花爆竹 points a licence, …). Same rules as every import
(core.importing): every problem by sheet, row and column, nothing written unless there is none, all or nothing,
and idempotent — a place is matched by its 场所编号, so the same file twice changes nothing.

A place must lie in the grid it names (the point → grid index, with its edge tolerance). A new place's first
inspection is owed within the weekly grid walk (places.schedule). A changed place gets a new `version`, so an
offline edit based on the old one is merged or refused as any concurrent edit is (places.services)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from gridsafe.accounts.models import User
from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.core.errors import DomainError
from gridsafe.core.importing import (
    Column,
    ImportReport,
    Progress,
    Sheet,
    audit_import,
    open_workbook,
    read_rows,
    template_workbook,
)
from gridsafe.places.models import FACTS_MODELS, Enterprise, Place, PlaceKind, RentalClass, RiskLevel
from gridsafe.places.registers import FACTS, clean_facts, facts_apply, uscc_valid
from gridsafe.places.schedule import schedule_for
from gridsafe.regions.locate import locate_grid
from gridsafe.regions.models import Region, RegionLevel

# Every imported place's client_id is uuid5(IMPORT_NS, 场所编号): the key a re-import finds it by.
IMPORT_NS = uuid.UUID("6f1c0c9e-3d2b-4f7a-9a51-0d7b1e5c2a63")
RISKS = {"红": RiskLevel.RED, "橙": RiskLevel.ORANGE, "黄": RiskLevel.YELLOW, "蓝": RiskLevel.BLUE}
RENTAL_CLASSES = {"严管类": RentalClass.STRICT, "关注类": RentalClass.WATCH}
STATUS = {"在用": True, "停用": False}
FIRE_KINDS = {"人员密集场所": PlaceKind.CROWDED_PLACE, "三合一场所": PlaceKind.CROWDED_PLACE, "其他": PlaceKind.OTHER}
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def _common(example_name: str, example_code: str) -> list[Column]:
    return [
        Column("code", "场所编号", True, example=example_code, note="本县唯一，重新导入时据此匹配", width=18),
        Column("name", "名称", True, example=example_name, width=28),
        Column("grid", "网格编码", True, example="350322101201001", note="15 位网格编码", width=18),
        Column("address", "地址", example="榜头镇南溪村 12 号", width=28),
        Column("lon", "经度", True, example=119.05, note="WGS-84（GPS）十进制度"),
        Column("lat", "纬度", True, example=25.38, note="WGS-84（GPS）十进制度"),
        Column("contact_name", "负责人", example="陈国强"),
        Column("contact_phone", "联系电话", example="13800000000", note="加密保存"),
        Column("risk", "风险等级", choices=list(RISKS), example="黄", note="空为黄"),
    ]


_STATUS_COLUMN = Column("status", "状态", choices=list(STATUS), example="在用", note="空为在用")


@dataclass(frozen=True)
class DomainSheet:
    domain: str
    kind: str
    sheet: Sheet


SHEETS = [
    DomainSheet(
        "fire",
        PlaceKind.CROWDED_PLACE,
        Sheet(
            "消防安全",
            [
                *_common("南溪家具加工作坊", "XF-0001"),
                Column(
                    "fire_kind", "场所类型", choices=list(FIRE_KINDS), example="三合一场所", note="空为人员密集场所"
                ),
                _STATUS_COLUMN,
            ],
        ),
    ),
    DomainSheet(
        "rental",
        PlaceKind.RENTAL_HOUSING,
        Sheet(
            "出租房",
            [
                *_common("南溪村 12 号出租房", "CZ-0001"),
                Column(
                    "rental_class",
                    "管理类别",
                    True,
                    choices=list(RENTAL_CLASSES),
                    example="关注类",
                    note="严管类每周、关注类每月检查",
                ),
                _STATUS_COLUMN,
            ],
        ),
    ),
    DomainSheet(
        "lpg",
        PlaceKind.LPG_POINT,
        Sheet(
            "液化气",
            [
                *_common("陈记液化气供应点", "YH-0001"),
                Column("licence", "燃气经营许可证号", True, example="闽莆燃 20230001", width=20),
                _STATUS_COLUMN,
            ],
        ),
    ),
    DomainSheet(
        "fireworks",
        PlaceKind.FIREWORKS_SELLER,
        Sheet(
            "烟花爆竹",
            [
                *_common("林氏烟花爆竹零售点", "YB-0001"),
                Column("licence", "经营（零售）许可证号", True, example="闽莆烟零 2024-001", width=20),
                _STATUS_COLUMN,
            ],
        ),
    ),
    DomainSheet(
        "venue",
        PlaceKind.ENTERTAINMENT_VENUE,
        Sheet(
            "文化娱乐场所",
            [
                *_common("南溪欢乐KTV", "WY-0001"),
                Column("licence", "娱乐经营许可证号", example="", width=20),
                _STATUS_COLUMN,
            ],
        ),
    ),
    DomainSheet(
        "elevator",
        PlaceKind.ELEVATOR,
        Sheet(
            "电梯",
            [
                *_common("安居小区 3 号楼电梯", "DT-0001"),
                Column("licence", "使用登记证编号", example="梯 11 闽 B 00001", width=20),
                _STATUS_COLUMN,
            ],
        ),
    ),
    DomainSheet(
        "road",
        PlaceKind.ROAD_SECTION,
        Sheet("道路交通", [*_common("南溪村道 2 段", "DL-0001"), _STATUS_COLUMN]),
    ),
]


def _fact_columns(domain: str) -> list[Column]:
    """The domain's own facts (places.registers.FACTS), after the common columns. Optional as a block: a row with
    none of them filled keeps the object's facts as they are; a row with any of them is checked in full."""
    columns = [
        Column(
            f"f_{fact.name}",
            fact.label,
            choices=list(fact.choices) if fact.kind in ("choice", "bool") else (),
            example=fact.example,
            note="；".join(x for x in ("台账信息" + ("，必填" if fact.required else ""), fact.note) if x),
            width=16,
        )
        for fact in FACTS.get(domain, [])
    ]
    columns.append(
        Column(
            "uscc", "统一社会信用代码", example="", note="经营单位填写；按此关联企业，负责人为企业安全管理员", width=20
        )
    )
    return columns


SHEETS = [
    DomainSheet(s.domain, s.kind, Sheet(s.sheet.name, [*s.sheet.columns, *_fact_columns(s.domain)])) for s in SHEETS
]


def template_places() -> bytes:
    return template_workbook([s.sheet for s in SHEETS])


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def import_places(
    source: Path | bytes,
    *,
    dry_run: bool,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    ip: str | None = None,
) -> ImportReport:
    """监管对象, one sheet per domain. `deactivate_missing` stops the imported places of the sheets present that the
    file no longer lists."""
    report = ImportReport(kind="places", dry_run=dry_run)
    wb = open_workbook(source)
    present = [s for s in SHEETS if s.sheet.name in wb.sheetnames]
    if not present:
        report.problem("", None, None, "文件中没有可识别的工作表，应为：" + "、".join(s.sheet.name for s in SHEETS))
        return report
    domains = {d.code: d for d in Domain.objects.filter(is_active=True)}
    rows = [(spec, row) for spec in present for row in read_rows(wb, spec.sheet, report)]
    total = len(rows)
    if progress:
        progress(0, total)
    grid_codes = {row["grid"] for _spec, row in rows}
    grids = (
        {
            g.code: g
            for g in Region.objects.filter(code__in=list(grid_codes), level=RegionLevel.GRID).only(
                "id", "code", "path", "is_active", "name"
            )
        }
        if len(grid_codes) <= 900
        else {
            g.code: g
            for g in Region.objects.filter(level=RegionLevel.GRID).only("id", "code", "path", "is_active", "name")
        }
    )
    existing = {p.client_id: p for p in Place.objects.filter(client_id__isnull=False).select_related("domain")}
    seen: dict[str, tuple[str, int]] = {}
    by_client: dict[uuid.UUID, str] = {}
    plan: list[tuple[uuid.UUID, Place | None, dict[str, Any]]] = []
    extras: dict[str, tuple[dict[str, Any] | None, str, Region, str]] = {}
    now = clock.now()
    for done, (spec, row) in enumerate(rows, start=1):
        sheet = spec.sheet.name
        code = row["code"]
        if code in seen:
            other_sheet, other_row = seen[code]
            report.problem(sheet, row.number, "场所编号", f"场所编号「{code}」与「{other_sheet}」第 {other_row} 行重复")
            continue
        seen[code] = (sheet, row.number)
        if len(row["name"]) > 100:
            report.problem(sheet, row.number, "名称", "名称不能超过 100 个字")
        domain = domains.get(spec.domain)
        if domain is None:
            report.problem(sheet, row.number, None, f"领域「{spec.domain}」未启用，请先在领域中启用")
            continue
        grid = grids.get(row["grid"])
        if row["grid"] and (grid is None or not grid.is_active):
            report.problem(sheet, row.number, "网格编码", f"网格「{row['grid']}」不存在")
            grid = None
        lon, lat = _float(row["lon"]), _float(row["lat"])
        if lon is None or not 73 <= lon <= 136:
            report.problem(sheet, row.number, "经度", f"经度「{row['lon']}」无效，应为 73–136 之间的十进制度")
        if lat is None or not 3 <= lat <= 54:
            report.problem(sheet, row.number, "纬度", f"纬度「{row['lat']}」无效，应为 3–54 之间的十进制度")
        if grid is not None and lon is not None and lat is not None and 73 <= lon <= 136 and 3 <= lat <= 54:
            try:
                hit = locate_grid(lon, lat)
            except DomainError:
                report.problem(sheet, row.number, "经度", "坐标不在本县范围内")
            else:
                if hit.code != grid.code:
                    report.problem(
                        sheet, row.number, "网格编码", f"坐标位于网格「{hit.code}」（{hit.name}），不在所填网格内"
                    )
        phone = row["contact_phone"].replace(" ", "")
        if phone and not PHONE.match(phone):
            report.problem(sheet, row.number, "联系电话", f"「{phone}」不是有效的手机号或固定电话")
        kind = spec.kind
        if spec.domain == "fire" and row["fire_kind"]:
            kind = FIRE_KINDS.get(row["fire_kind"], kind)
        facts = _row_facts(spec.domain, row, report, licence_no=row["licence"][:60])
        uscc = row["uscc"].strip().upper()
        if uscc and not uscc_valid(uscc):
            report.problem(
                sheet, row.number, "统一社会信用代码", f"统一社会信用代码「{uscc}」无效（应为 18 位，末位为校验码）"
            )
        if grid is None or lon is None or lat is None:
            continue
        extras[code] = (facts, uscc, grid, spec.domain)
        values = {
            "name": row["name"],
            "kind": kind,
            "domain_id": domain.pk,
            "region_id": grid.pk,
            "region_path": grid.path,
            "address": row["address"][:200],
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "contact_name": row["contact_name"][:40],
            "contact_phone": phone,
            "licence_no": row["licence"][:60],
            "risk_level": RISKS.get(row["risk"], RiskLevel.YELLOW),
            "rental_class": RENTAL_CLASSES.get(row["rental_class"], "") if spec.domain == "rental" else "",
            "is_active": STATUS.get(row["status"], True),
        }
        client_id = uuid.uuid5(IMPORT_NS, code)
        plan.append((client_id, existing.get(client_id), values))
        by_client[client_id] = code
        if progress and done % 200 == 0:
            progress(done, total * 2 if not dry_run else total)
    listed = {client_id for client_id, _p, _v in plan}
    present_domains = {domains[s.domain].pk for s in present if s.domain in domains}
    missing = (
        [
            p
            for cid, p in existing.items()
            if cid not in listed and p.is_active and p.domain_id in present_domains and _imported(p)
        ]
        if deactivate_missing
        else []
    )
    changes = []
    facts_now = _facts_rows([(p.pk, extras[by_client[cid]][3]) for cid, p, _v in plan if p is not None])
    for client_id, place, values in plan:
        if place is None:
            changes.append(("created", client_id, place, values, []))
        else:
            changed = [k for k, v in values.items() if getattr(place, k) != v]
            facts, _uscc, _grid, domain = extras[by_client[client_id]]
            changed_facts = _facts_diff(domain, facts_now.get(place.pk), facts)
            what = "updated" if changed or changed_facts else "unchanged"
            changes.append((what, client_id, place, values, changed + changed_facts))
    if not report.ok or dry_run:
        for what, _cid, _place, values, changed in changes:
            report.change(what, values["name"], _names(changed))
        for place in missing:
            report.change("deactivated", place.name)
        return report
    audit_rows: list = []
    with transaction.atomic():
        new: list[Place] = []
        domain_by_pk = {d.pk: d for d in domains.values()}
        for done, (what, client_id, place, values, changed) in enumerate(changes, start=1):
            if what == "created":
                place = Place(client_id=client_id, created_by=actor, **values)
                place.domain = domain_by_pk[values["domain_id"]]
                for key, value in schedule_for(place, None, now).items():
                    setattr(place, key, value)
                new.append(place)
                audit_rows.append(["created", str(client_id), values["name"]])
            elif what == "updated":
                assert place is not None
                for key in changed:
                    if key in values:  # the others are domain facts, written by _write_facts
                        setattr(place, key, values[key])
                place.domain = domain_by_pk[values["domain_id"]]
                place.version += 1
                # save(), not bulk_update: the phone's pre_save seals it and fills its blind index.
                place.save()
                audit_rows.append(["updated", str(client_id), changed])
            report.change(what, values["name"], _names(changed))
            if progress and (done % 200 == 0 or done == len(changes)):
                progress(total + done, total * 2)
        Place.objects.bulk_create(new, batch_size=500)
        facts_changed = _write_facts(changes, extras, by_client, actor)
        if facts_changed:
            audit_rows.append(["facts", facts_changed])
        for place in missing:
            Place.objects.filter(pk=place.pk).update(is_active=False, version=place.version + 1)
            report.change("deactivated", place.name)
            audit_rows.append(["deactivated", str(place.client_id), ["is_active"]])
        audit_import("places", source, report, audit_rows, actor=actor, ip=ip)
    return report


def _row_facts(domain: str, row, report: ImportReport, *, licence_no: str) -> dict[str, Any] | None:
    """The row's domain facts, checked; None when the row fills none of them (the facts stay as they are)."""
    facts = FACTS.get(domain, [])
    raw = {f.name: row[f"f_{f.name}"] for f in facts}
    if not any(raw.values()):
        return None
    clean, errors = clean_facts(domain, raw, licence_no=licence_no)
    for label, message in errors:
        report.problem(row.sheet, row.number, label or None, message)
    return clean


def _facts_rows(pairs: list[tuple[int, str]]) -> dict[int, Any]:
    """The current facts rows of these (place id, domain) pairs: one query per domain."""
    by_domain: dict[str, list[int]] = {}
    for place_id, domain in pairs:
        by_domain.setdefault(domain, []).append(place_id)
    out: dict[int, Any] = {}
    for domain, ids in by_domain.items():
        model = FACTS_MODELS.get(domain)
        if model is not None:
            out.update({row.place_id: row for row in model.objects.filter(place_id__in=ids)})
    return out


def _facts_diff(domain: str, row: Any, facts: dict[str, Any] | None) -> list[str]:
    """The facts (by key f_<name>) the file changes on an existing place."""
    if facts is None:
        return []
    return [f"f_{k}" for k, v in facts.items() if row is None or getattr(row, k) != v]


def _write_facts(changes, extras, by_client, actor) -> int:
    """Each row's facts and enterprise, after its place exists. Returns how many facts rows changed."""

    ids = dict(Place.objects.filter(client_id__in=list(by_client)).values_list("client_id", "pk"))
    changed = 0
    for _what, client_id, _place, values, _changed in changes:
        code = by_client[client_id]
        facts, uscc, grid, domain = extras[code]
        place_id = ids[client_id]
        if facts is not None:
            model = FACTS_MODELS[domain]
            row = model.objects.filter(place_id=place_id).first() or model(place_id=place_id)
            if facts_apply(row, facts) or row._state.adding:
                row.save()
                changed += 1
        if uscc:
            enterprise = Enterprise.objects.filter(uscc=uscc).first()
            if enterprise is None:
                enterprise = Enterprise(uscc=uscc, name=values["name"], region=grid, region_path=grid.path)
            enterprise.safety_officer_name = values["contact_name"] or enterprise.safety_officer_name
            enterprise.safety_officer_phone = values["contact_phone"] or enterprise.safety_officer_phone
            enterprise.address = enterprise.address or values["address"]
            enterprise.save()
            Place.objects.filter(pk=place_id).exclude(enterprise=enterprise).update(enterprise=enterprise)
    return changed


FIELD_NAMES = {
    **{f"f_{fact.name}": fact.label for facts in FACTS.values() for fact in facts},
    "name": "名称",
    "kind": "场所类型",
    "domain_id": "领域",
    "region_id": "网格",
    "region_path": "网格",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "contact_name": "负责人",
    "contact_phone": "联系电话",
    "licence_no": "许可证号",
    "risk_level": "风险等级",
    "rental_class": "管理类别",
    "is_active": "状态",
}


def _names(fields: list[str]) -> str:
    """The changed fields as the preview shows them: 风险等级、联系电话."""
    return "、".join(dict.fromkeys(FIELD_NAMES.get(f, f) for f in fields))


def _imported(place: Place) -> bool:
    """Only places this import made (their client_id is not a field app's random one) are ever deactivated by it:
    we cannot tell from the uuid5 alone which code it came from, so places carry no 场所编号 column; a place made
    in the field app has a uuid4 (version 4), an imported one uuid5."""
    return place.client_id is not None and place.client_id.version == 5
