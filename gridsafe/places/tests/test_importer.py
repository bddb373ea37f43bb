"""导入监管对象: one sheet per pilot domain with its own columns; each check on its sheet, row and column; all or
nothing; the same file twice changes nothing; a changed row updates (new version); missing ones stop only when
asked; the template comes back in."""

import io

import pytest
from django.db import connection
from openpyxl import load_workbook
from shapely.geometry import shape

from gridsafe.core.models import AuditEvent
from gridsafe.places.importer import SHEETS, import_places, template_places
from gridsafe.places.models import Place, PlaceKind, RentalClass, RiskLevel
from gridsafe.regions.models import Region, RegionLevel

SHEET = {s.domain: s.sheet for s in SHEETS}


def xlsx(rows_by_domain: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for domain, rows in rows_by_domain.items():
        spec = SHEET[domain]
        ws = wb.create_sheet(spec.name)
        ws.append([c.header for c in spec.columns])
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _grid(n: int = 0) -> Region:
    return Region.objects.filter(level=RegionLevel.GRID, path__startswith="350322.101.").order_by("code")[n]


def _inside(grid: Region) -> tuple[float, float]:
    point = shape(grid.geometry).representative_point()
    return round(point.x, 6), round(point.y, 6)


def _rental(code="T-1", name="测试出租房", grid=None, phone="13912345678", klass="严管类", risk="橙", status=""):
    grid = grid or _grid()
    lon, lat = _inside(grid)
    return [code, name, grid.code, "某村 1 号", lon, lat, "陈某", phone, risk, klass, status]


def _lpg(code="L-1", licence="闽莆燃 001"):
    grid = _grid(1)
    lon, lat = _inside(grid)
    return [code, "某液化气点", grid.code, "", lon, lat, "", "", "", licence, ""]


def _where(report) -> set[tuple]:
    return {(p.sheet, p.row, p.column) for p in report.problems}


@pytest.mark.django_db
def test_places_created_per_domain_sheet_with_their_own_columns():
    report = import_places(xlsx({"rental": [_rental()], "lpg": [_lpg()]}), dry_run=False)
    assert report.ok, report.problems
    assert report.created == 2
    rental = Place.objects.get(name="测试出租房")
    assert (rental.kind, rental.domain.code, rental.rental_class, rental.risk_level) == (
        PlaceKind.RENTAL_HOUSING,
        "rental",
        RentalClass.STRICT,
        RiskLevel.ORANGE,
    )
    assert rental.region == _grid() and rental.region_path == _grid().path
    assert rental.next_due_at is not None  # owed within the weekly walk
    assert Place.objects.get(name="某液化气点").licence_no == "闽莆燃 001"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM places_place WHERE id = %s", [rental.pk])
        assert "13912345678" not in cursor.fetchone()[0]
    assert AuditEvent.objects.filter(action="import.places").latest("seq").payload["created"] == 2


@pytest.mark.django_db
def test_every_place_check_names_sheet_row_and_column():
    grid, other = _grid(), _grid(5)
    lon, lat = _inside(other)
    rows = [
        _rental("A"),  # 2 fine
        _rental("A"),  # 3 duplicate code
        [*_rental("B")[:2], "350322000000000", *_rental("B")[3:]],  # 4 grid
        [*_rental("C")[:4], "abc", *_rental("C")[5:]],  # 5 longitude
        [*_rental("D")[:5], 99.0, *_rental("D")[6:]],  # 6 latitude
        [*_rental("E")[:2], grid.code, "", lon, lat, *_rental("E")[6:]],  # 7 point in another grid
        _rental("F", phone="110"),  # 8 phone
        _rental("G", klass=""),  # 9 rental class required
        _rental("H", risk="紫"),  # 10 risk level
    ]
    before = Place.objects.count()
    report = import_places(xlsx({"rental": rows, "lpg": [_lpg("L-9", licence="")]}), dry_run=False)
    expected = {
        ("出租房", 3, "场所编号"),
        ("出租房", 4, "网格编码"),
        ("出租房", 5, "经度"),
        ("出租房", 6, "纬度"),
        ("出租房", 7, "网格编码"),
        ("出租房", 8, "联系电话"),
        ("出租房", 9, "管理类别"),
        ("出租房", 10, "风险等级"),
        ("液化气", 2, "燃气经营许可证号"),
    }
    assert expected <= _where(report), [str(p) for p in report.problems]
    assert Place.objects.count() == before  # all or nothing


@pytest.mark.django_db
def test_dry_run_idempotent_update_and_deactivate_missing():
    file = xlsx({"rental": [_rental("A"), _rental("B", name="第二出租房")]})
    before = Place.objects.count()
    dry = import_places(file, dry_run=True)
    assert dry.ok and dry.created == 2 and Place.objects.count() == before
    assert import_places(file, dry_run=False).created == 2
    again = import_places(file, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = xlsx({"rental": [_rental("A", risk="红"), _rental("B", name="第二出租房")]})
    report = import_places(changed, dry_run=False)
    assert (report.updated, report.unchanged) == (1, 1)
    assert report.changes == [("修改", "测试出租房", "风险等级")]
    place = Place.objects.get(name="测试出租房")
    assert (place.risk_level, place.version) == (RiskLevel.RED, 2)
    only_a = xlsx({"rental": [_rental("A", risk="红")]})
    assert import_places(only_a, dry_run=False).deactivated == 0
    assert import_places(only_a, dry_run=False, deactivate_missing=True).deactivated >= 1
    assert not Place.objects.get(name="第二出租房").is_active


@pytest.mark.django_db
def test_places_template_round_trip():
    data = template_places()
    wb = load_workbook(io.BytesIO(data))
    assert [s.sheet.name for s in SHEETS] == [n for n in wb.sheetnames if n != "选项"]
    assert wb["出租房"]["J1"].value == "管理类别"
    report = import_places(data, dry_run=True)
    assert report.ok and report.created == 0, report.problems


def _elevator(code="E-1", **facts):
    grid = _grid(2)
    lon, lat = _inside(grid)
    spec = SHEET["elevator"]
    row = {c.key: "" for c in spec.columns}
    row.update(code=code, name="安居小区 3 号楼电梯", grid=grid.code, lon=lon, lat=lat, licence="梯11闽B00001(22)")
    row.update(
        f_registration_code="梯11闽B00001(22)", f_user_unit="安居小区物业服务中心", f_maintenance_company="安达电梯",
        f_last_inspection_on="2026-01-10", f_next_inspection_on="2027-01-09", f_rescue_code="35012",
    )  # fmt: skip
    row.update(facts)
    return [row[c.key] for c in spec.columns]


@pytest.mark.django_db
def test_domain_facts_round_trip_through_the_import(capsysbinary):
    from django.core.management import call_command

    from gridsafe.places.models import ElevatorFacts

    # `gridsafe import template places` writes the domain columns, each sheet its own.
    call_command("import", "template", "places")
    wb = load_workbook(io.BytesIO(capsysbinary.readouterr().out))
    headers = [c.value for c in wb["电梯"][1]]
    assert {"使用登记证编号", "维保单位", "下次定期检验", "96333救援码", "统一社会信用代码"} <= set(headers)
    assert {"承租人数", "三合一·仓储", "电动车充电"} <= {c.value for c in wb["出租房"][1]}
    assert {"限存量（箱）", "储存场所"} <= {c.value for c in wb["烟花爆竹"][1]}

    report = import_places(xlsx({"elevator": [_elevator()]}), dry_run=False)
    assert report.ok, [str(p) for p in report.problems]
    place = Place.objects.get(name="安居小区 3 号楼电梯")
    facts = ElevatorFacts.objects.get(place=place)
    assert (facts.registration_code, facts.user_unit, str(facts.next_inspection_on), facts.rescue_code) == (
        "梯11闽B00001(22)", "安居小区物业服务中心", "2027-01-09", "35012",
    )  # fmt: skip
    again = import_places(xlsx({"elevator": [_elevator()]}), dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    moved = import_places(xlsx({"elevator": [_elevator(f_next_inspection_on="2027-02-01")]}), dry_run=False)
    assert moved.changes == [("修改", "安居小区 3 号楼电梯", "下次定期检验")]
    facts.refresh_from_db()
    assert str(facts.next_inspection_on) == "2027-02-01"

    # Bad facts: each on its sheet, row and column, in Chinese; nothing written.
    bad = import_places(
        xlsx({"elevator": [_elevator("E-2", f_user_unit="", f_next_inspection_on="2025-13-01", f_rescue_code="12ab")]}),
        dry_run=False,
    )
    assert {("电梯", 2, "使用单位"), ("电梯", 2, "下次定期检验"), ("电梯", 2, "96333救援码")} <= _where(bad)
    assert any("不是有效日期" in p.message for p in bad.problems)
    assert Place.objects.filter(name="安居小区 3 号楼电梯").count() == 1
