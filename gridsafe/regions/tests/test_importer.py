"""gridsafe import regions: the same small hand-made tree as GeoJSON, zipped Shapefile, KML and KMZ; each check a
county clerk can trip over, reported by file, row and field in Chinese; dry runs write nothing; a second run changes
nothing; a changed boundary opens a new version while an old case keeps its own; GCJ-02/BD-09 converted only when
the file says so."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from django.db.models import Count
from shapely.geometry import box, mapping, shape

from gridsafe.core.audit import AuditEvent
from gridsafe.regions import coords
from gridsafe.regions.importer import import_regions
from gridsafe.regions.models import Region, RegionGeometryVersion, RegionLevel

pytestmark = pytest.mark.django_db

FORMATS = ["geojson", "zip", "kml", "kmz"]
COUNTY = "350399"  # not the demo's county: a small county of our own next to it


def tree() -> list[dict]:
    """测试县: two townships side by side, a village in each, two grids in the first village and one in the second."""
    west, south = 119.60, 25.60
    return [
        _f(COUNTY, "测试县", box(west, south, west + 0.2, south + 0.1)),
        _f(COUNTY + "100", "甲镇", box(west, south, west + 0.1, south + 0.1)),
        _f(COUNTY + "101", "乙镇", box(west + 0.1, south, west + 0.2, south + 0.1)),
        _f(COUNTY + "100201", "甲村", box(west, south, west + 0.1, south + 0.1), urban_class="220"),
        _f(COUNTY + "101201", "乙村", box(west + 0.1, south, west + 0.2, south + 0.1), urban_class="220"),
        _f(COUNTY + "100201001", "甲村第1网格", box(west, south, west + 0.05, south + 0.1)),
        _f(COUNTY + "100201002", "甲村第2网格", box(west + 0.05, south, west + 0.1, south + 0.1)),
        _f(COUNTY + "101201001", "乙村第1网格", box(west + 0.1, south, west + 0.2, south + 0.1)),
    ]


def _f(code, name, geom, **props) -> dict:
    return {"code": code, "name": name, "geom": geom, **props}


def write(folder: Path, features: list[dict], fmt: str, *, crs_field: str | None = None) -> Path:
    """The features as a file of format `fmt` (written with GDAL through pyogrio, as GIS software would)."""
    keys = ["code", "name", "urban_class"] + (["crs"] if crs_field else [])
    if fmt == "geojson":
        path = folder / "regions.geojson"
        data = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {k: f.get(k, crs_field if k == "crs" else "") for k in keys},
                    "geometry": mapping(f["geom"]),
                }
                for f in features
            ],
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path
    geometries = np.array([shapely.to_wkb(f["geom"]) for f in features], dtype=object)
    columns = [np.array([f.get(k, crs_field if k == "crs" else "") for f in features], dtype=object) for k in keys]
    if fmt == "zip":
        shp = folder / "regions.shp"
        pyogrio.raw.write(
            str(shp), geometries, columns, keys, driver="ESRI Shapefile", geometry_type="Polygon",
            crs="EPSG:4490", encoding="UTF-8",
        )  # fmt: skip
        path = folder / "regions.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in folder.glob("regions.*"):
                if part.suffix != ".zip":
                    archive.write(part, part.name)
        return path
    # KML as Google Earth and 奥维 write it: <name>, attributes in ExtendedData, coordinates as lon,lat pairs
    placemarks = []
    for f, geom in zip(features, geometries, strict=True):
        data = "".join(
            f'<Data name="{k}"><value>{f.get(k, crs_field if k == "crs" else "")}</value></Data>'
            for k in keys
            if k != "name"
        )
        rings = [shapely.from_wkb(geom).exterior]
        text = " ".join(f"{x!r},{y!r}" for x, y in rings[0].coords)
        placemarks.append(
            f"<Placemark><name>{f['name']}</name><ExtendedData>{data}</ExtendedData><Polygon><outerBoundaryIs>"
            f"<LinearRing><coordinates>{text}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        )
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>regions</name>{''.join(placemarks)}</Document></kml>"
    )
    if fmt == "kml":
        path = folder / "regions.kml"
        path.write_text(kml, encoding="utf-8")
        return path
    path = folder / "regions.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("doc.kml", kml)
    return path


def problems(report) -> list[str]:
    return [str(p) for p in report.problems]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tree_imports_from_every_format_with_paths_and_versions(tmp_path, fmt):
    report = import_regions(write(tmp_path, tree(), fmt), dry_run=False)

    assert problems(report) == []
    assert (report.created, report.updated, report.unchanged) == (8, 0, 0)
    grid = Region.objects.get(code=COUNTY + "100201002")
    assert (grid.name, grid.level, grid.path, grid.parent.code) == (
        "甲村第2网格",
        RegionLevel.GRID,
        "350399.100.201.002",
        COUNTY + "100201",
    )
    assert grid.grid_kind == "standard" and grid.geometry_version == 1
    assert shape(grid.geometry).equals(box(119.65, 25.60, 119.70, 25.70))
    assert shape(grid.geometry).contains(shapely.Point(grid.center_lon, grid.center_lat))
    assert Region.objects.get(code=COUNTY + "100201").urban_class == "220"
    assert Region.objects.get(code=COUNTY).parent is None  # no 莆田市 in this database: the county stands alone
    version = RegionGeometryVersion.objects.get(region=grid)
    assert (version.version, version.valid_to, version.geometry) == (1, None, grid.geometry)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_dry_run_reports_what_would_change_and_writes_nothing(tmp_path, fmt):
    regions, versions, audits = (
        Region.objects.count(),
        RegionGeometryVersion.objects.count(),
        AuditEvent.objects.count(),
    )

    report = import_regions(write(tmp_path, tree(), fmt), dry_run=True)

    assert report.ok and report.dry_run and report.created == 8
    assert ("新增", "网格 350399100201001 甲村第1网格", "") in report.changes
    assert (Region.objects.count(), RegionGeometryVersion.objects.count()) == (regions, versions)
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_file_twice_changes_nothing(tmp_path, fmt):
    source = write(tmp_path, tree(), fmt)
    import_regions(source, dry_run=False)
    versions = RegionGeometryVersion.objects.count()

    again = import_regions(source, dry_run=False)

    assert (again.created, again.updated, again.unchanged, again.problems) == (0, 0, 8, [])
    assert RegionGeometryVersion.objects.count() == versions


def _bad(features: list[dict], which: str, **change) -> list[dict]:
    return [dict(f, **change) if f["code"] == which else f for f in features]


BOWTIE = shapely.Polygon([(119.60, 25.60), (119.65, 25.70), (119.65, 25.60), (119.60, 25.70), (119.60, 25.60)])
RULES = {
    # name: (features, row, field, words in the message)
    "code_length": (_bad(tree(), COUNTY + "100201002", code="3503991002010"), 7, "code", "6、9、12 或 15 位数字"),
    "duplicate_code": (_bad(tree(), COUNTY + "100201002", code=COUNTY + "100201001"), 7, "code", "重复"),
    "parent_missing": (_bad(tree(), COUNTY + "100201002", code=COUNTY + "100202002"), 7, "code", "找不到上级区划"),
    "name_missing": (_bad(tree(), COUNTY + "101", name=""), 3, "name", "缺少名称"),
    "township_range": (
        [f for f in tree() if not f["code"].startswith(COUNTY + "101")]
        + [_f(COUNTY + "700", "错段镇", box(119.70, 25.60, 119.80, 25.70))],
        6,
        "code",
        "900–999 管委会",
    ),
    "urban_class": (_bad(tree(), COUNTY + "101201", urban_class="999"), 5, "urban_class", "城乡分类代码「999」无效"),
    "invalid_geometry": (_bad(tree(), COUNTY + "100201001", geom=BOWTIE), 6, "geometry", "自相交"),
    "grid_outside_village": (
        _bad(tree(), COUNTY + "101201001", geom=box(119.70, 25.60, 119.85, 25.70)),
        8,
        "geometry",
        "在上级「乙村」",
    ),
    "overlap": (
        _bad(tree(), COUNTY + "100201002", geom=box(119.62, 25.60, 119.70, 25.70)),
        7,
        "geometry",
        "重叠",
    ),
    "gap": (_bad(tree(), COUNTY + "100201002", geom=box(119.65, 25.60, 119.70, 25.66)), 4, "geometry", "空隙"),
    "not_lon_lat": (
        [dict(f, geom=shapely.affinity.translate(f["geom"], 400_000, 2_800_000)) for f in tree()],
        None,
        None,
        "不在中国境内的经纬度范围",
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rule", RULES)
def test_every_check_names_the_row_and_field_in_chinese_and_nothing_is_written(tmp_path, fmt, rule):
    features, row, field, words = RULES[rule]
    before = Region.objects.count()

    report = import_regions(write(tmp_path, features, fmt), dry_run=False)

    assert not report.ok
    hits = [p for p in report.problems if words in p.message]
    assert hits, problems(report)
    assert (hits[0].row, hits[0].column) == (row, field)
    assert hits[0].sheet.startswith("regions.")
    assert Region.objects.count() == before  # all or nothing: the good rows were not written either


def test_a_management_committee_gets_an_internal_township_code(tmp_path):
    features = tree() + [
        _f(COUNTY + "901", "测试工业园区管委会", box(119.80, 25.60, 119.90, 25.70)),
    ]
    features[0] = _f(COUNTY, "测试县", box(119.60, 25.60, 119.90, 25.70))
    report = import_regions(write(tmp_path, features, "geojson"), dry_run=False)

    assert problems(report) == []
    committee = Region.objects.get(code=COUNTY + "901")
    assert (committee.level, committee.official, committee.path) == (RegionLevel.TOWNSHIP, False, "350399.901")
    assert Region.objects.get(code=COUNTY + "100").official is True


def test_a_management_committee_cannot_claim_an_official_code(tmp_path):
    path = tmp_path / "regions.geojson"
    geom = mapping(box(119.60, 25.60, 119.70, 25.70))
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": COUNTY, "name": "测试县"}, "geometry": geom},
                    {
                        "type": "Feature",
                        "properties": {"code": COUNTY + "901", "name": "园区管委会", "official": "是"},
                        "geometry": geom,
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    report = import_regions(path, dry_run=True)
    assert [(p.row, p.column) for p in report.problems] == [(2, "official")]
    assert "内部代码" in report.problems[0].message


def test_an_unreadable_or_unsupported_file_is_refused_in_chinese(tmp_path):
    broken = tmp_path / "regions.geojson"
    broken.write_text("{ not json", encoding="utf-8")
    assert "无法读取文件" in problems(import_regions(broken, dry_run=True))[0]
    csv = tmp_path / "regions.csv"
    csv.write_text("code,name\n", encoding="utf-8")
    assert "不支持的文件类型" in problems(import_regions(csv, dry_run=True))[0]
    empty_zip = tmp_path / "regions.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    assert "没有 .shp 文件" in problems(import_regions(empty_zip, dry_run=True))[0]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("crs", [coords.GCJ02, coords.BD09])
def test_gcj02_and_bd09_are_converted_only_when_the_file_says_so(tmp_path, fmt, crs):
    """The same WGS-84 tree written in the obfuscated system: with crs=… it comes back where it was (to 1e-6°)."""

    def shifted(geom):
        return shapely.transform(geom, lambda xy: np.array([coords.from_wgs84(x, y, crs) for x, y in xy]))

    features = [dict(f, geom=shifted(f["geom"])) for f in tree()]
    declared = tmp_path / "declared"
    declared.mkdir()
    report = import_regions(write(declared, features, fmt, crs_field=crs.upper()), dry_run=False)

    assert problems(report) == []
    grid = shape(Region.objects.get(code=COUNTY + "100201001").geometry)
    assert grid.equals_exact(box(119.60, 25.60, 119.65, 25.70), tolerance=2e-6)


def test_undeclared_coordinates_are_taken_as_they_are(tmp_path):
    """No crs attribute: the file is CGCS2000/WGS-84 and nothing is moved (a GCJ-02 file must say so)."""
    features = [
        dict(f, geom=shapely.transform(f["geom"], lambda xy: xy + [0.005, -0.003])) for f in tree()
    ]  # fmt: skip
    import_regions(write(tmp_path, features, "geojson"), dry_run=False)
    grid = shape(Region.objects.get(code=COUNTY + "100201001").geometry)
    assert grid.equals_exact(box(119.605, 25.597, 119.655, 25.697), tolerance=1e-9)


def test_an_unknown_declared_crs_is_a_problem(tmp_path):
    report = import_regions(write(tmp_path, tree(), "geojson", crs_field="mars"), dry_run=True)
    assert [(p.row, p.column) for p in report.problems] == [(1, "crs")]
    assert "不认识的坐标系「mars」" in report.problems[0].message


def test_a_changed_boundary_opens_a_new_version_and_an_old_case_keeps_its_own(tmp_path, api_as):
    """The county moves the line between 南溪村's first two grids; a case reported before keeps grid version 1."""
    from gridsafe.cases.models import Case
    from gridsafe.cases.tests.helpers import grid_point, report

    worker = api_as("nanxi_worker")
    response = report(worker, point=grid_point(worker.user))
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    grid = case.region
    assert case.grid_version == grid.geometry_version == 1

    neighbours = Region.objects.filter(parent=grid.parent).exclude(pk=grid.pk)
    own = shape(grid.geometry)
    neighbour = next(n for n in neighbours if shape(n.geometry).intersection(own).length > 0)
    other = shape(neighbour.geometry)
    slice_ = other.intersection(own.buffer(0.0005))  # a strip of the neighbour along the shared edge
    features = [
        {"code": grid.code, "name": grid.name, "geom": shapely.set_precision(own.union(slice_), 1e-6)},
        {"code": neighbour.code, "name": neighbour.name, "geom": shapely.set_precision(other.difference(slice_), 1e-6)},
    ]
    result = import_regions(write(tmp_path, features, "geojson"), dry_run=False)

    assert problems(result) == []
    assert result.updated == 2
    grid.refresh_from_db()
    assert grid.geometry_version == 2
    old, new = RegionGeometryVersion.objects.filter(region=grid).order_by("version")
    assert (old.version, new.version) == (1, 2)
    assert old.valid_to is not None and old.valid_to == new.valid_from and new.valid_to is None
    assert new.geometry == grid.geometry and old.geometry != grid.geometry
    case.refresh_from_db()
    assert case.grid_version == 1 and case.region_id == grid.pk

    again = import_regions(write(tmp_path, features, "geojson"), dry_run=False)
    assert (again.updated, again.unchanged) == (0, 2)
    assert RegionGeometryVersion.objects.filter(region=grid).count() == 2


def test_the_demo_region_file_is_the_whole_county_and_small(settings):
    from gridsafe.demo.world import CITY_REGIONS_FILE, REGIONS_FILE

    for path in sorted(Path(REGIONS_FILE).parent.glob("*.geojson")):
        assert path.stat().st_size < 1_000_000, f"{path.name} is over 1 MB: split it per township"
    report = import_regions(REGIONS_FILE, dry_run=True)  # the world was built from it: nothing left to do
    assert (report.created, report.updated, report.unchanged, report.problems) == (0, 0, 1061, [])
    counts = dict(Region.objects.filter(path__startswith="350322").values_list("level").annotate(n=Count("id")))
    assert counts == {RegionLevel.COUNTY: 1, RegionLevel.TOWNSHIP: 24, RegionLevel.VILLAGE: 325, RegionLevel.GRID: 711}
    committees = Region.objects.filter(level=RegionLevel.TOWNSHIP, official=False).order_by("code")
    assert [c.code for c in committees] == [f"350322{n}" for n in range(901, 907)]  # 17 乡镇 + 1 街道 + 6 管委会
    assert all(c.name.endswith("管委会") and c.children.count() == 2 for c in committees)
    assert import_regions(CITY_REGIONS_FILE, dry_run=True).ok


def test_a_city_import_puts_the_county_under_the_city_without_moving_its_paths(tmp_path):
    from gridsafe.demo.world import CITY_REGIONS_FILE

    county = Region.objects.get(code="350322")
    report = import_regions(CITY_REGIONS_FILE, dry_run=False)

    assert problems(report) == []
    city = Region.objects.get(code="350300")
    assert (city.level, city.path, city.parent) == (RegionLevel.CITY, "350300", None)
    county.refresh_from_db()
    assert (county.parent, county.path) == (city, "350322")
    district = Region.objects.get(code="350304")
    assert (district.parent, district.path, district.name) == (city, "350304", "荔城区")
    assert Region.objects.filter(path__startswith="350304.", level=RegionLevel.GRID).count() > 20
    assert import_regions(CITY_REGIONS_FILE, dry_run=False).unchanged == report.created


def test_gridsafe_import_regions_checks_then_writes(tmp_path):
    """The command line: a dry run prints what would change and writes nothing; a bad file fails with its problems."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    source = write(tmp_path, tree(), "geojson")
    out, err = StringIO(), StringIO()
    call_command("import", "regions", str(source), "--dry-run", stdout=out, stderr=err)
    assert "新增 8" in out.getvalue() + err.getvalue()
    assert not Region.objects.filter(code=COUNTY).exists()

    bad = tmp_path / "bad"
    bad.mkdir()
    problems = StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command(
            "import", "regions", str(write(bad, RULES["overlap"][0], "zip")), stdout=problems, stderr=StringIO()
        )  # fmt: skip
    assert "「regions.shp」第 7 行「geometry」列：与「甲村第1网格」" in problems.getvalue()
    call_command("import", "regions", str(source), stdout=StringIO(), stderr=StringIO())
    assert Region.objects.get(code=COUNTY + "100201002").path == "350399.100.201.002"
