"""The generated 仙游县 region tree, coordinate conversion and GeoJSON checks. No database needed."""

import json
import math
import random
from collections import Counter, defaultdict

import pytest
import shapely
from shapely.geometry import Point, shape

from gridsafe.core.errors import ValidationFailed
from gridsafe.demo.geography import RegionSpec, build_xianyou, county_outline, load_townships, sample_point
from gridsafe.regions.coords import CRS_CHOICES, from_wgs84, to_wgs84
from gridsafe.regions.geometry import parse_geometry, to_geojson

TOWNSHIPS = {
    "001": "鲤城街道",
    "100": "枫亭镇",
    "101": "榜头镇",
    "102": "郊尾镇",
    "103": "度尾镇",
    "104": "鲤南镇",
    "105": "赖店镇",
    "106": "盖尾镇",
    "107": "园庄镇",
    "108": "大济镇",
    "109": "龙华镇",
    "110": "钟山镇",
    "111": "游洋镇",
    "200": "西苑乡",
    "201": "石苍乡",
    "202": "社硎乡",
    "203": "书峰乡",
    "204": "菜溪乡",
}
BANGTOU = "350322101"


@pytest.fixture(scope="module")
def specs() -> list[RegionSpec]:
    return build_xianyou()


@pytest.fixture(scope="module")
def by_code(specs) -> dict[str, RegionSpec]:
    return {s.code: s for s in specs}


@pytest.fixture(scope="module")
def geoms(specs) -> dict:
    return {s.code: shape(s.geometry) for s in specs}


@pytest.fixture(scope="module")
def children(specs) -> dict[str, list[str]]:
    kids = defaultdict(list)
    for s in specs:
        if s.parent_code:
            kids[s.parent_code].append(s.code)
    return kids


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320 * math.cos(lat), (a[1] - b[1]) * 110_574)


# --- counts and codes ---------------------------------------------------------------------------------------------


def test_counts(specs, children):
    assert Counter(s.level for s in specs) == {1: 1, 2: 18, 3: 325, 4: 711}
    assert len(children[BANGTOU]) == 39
    bangtou_grids = [len(children[v]) for v in children[BANGTOU]]
    assert sum(bangtou_grids) == 158
    assert min(bangtou_grids) >= 3 and max(bangtou_grids) <= 6
    assert all(len(children[s.code]) >= 1 for s in specs if s.level == 3)


def test_county_and_townships(by_code, children):
    county = by_code["350322"]
    assert (county.name, county.level, county.parent_code, county.path, county.urban_class) == (
        "仙游县",
        1,
        None,
        "350322",
        "",
    )
    assert {by_code[c].code[6:]: by_code[c].name for c in children["350322"]} == TOWNSHIPS
    for code in children["350322"]:
        assert by_code[code].urban_class == ""
        assert by_code[code].official


def test_codes_and_paths(specs, by_code):
    assert len(by_code) == len(specs)
    assert [s.path for s in specs] == sorted(s.path for s in specs)
    lengths = {1: 6, 2: 9, 3: 12, 4: 15}
    seen = set()
    for s in specs:
        assert len(s.code) == lengths[s.level] and s.code.isdigit(), s.code
        assert s.path.split(".") == [s.code[:6], *[s.code[i : i + 3] for i in range(6, len(s.code), 3)]]
        if s.level > 1:
            parent = by_code[s.parent_code]
            assert parent.level == s.level - 1
            assert s.code.startswith(parent.code)
            assert parent.code in seen, "parents come before children"
        seen.add(s.code)


def test_village_rules(specs, by_code, children):
    villages = [s for s in specs if s.level == 3]
    names = [v.name for v in villages]
    assert len(set(names)) == len(names), "village names are unique in the county (personas look them up by name)"
    for v in villages:
        number = int(v.code[9:])
        town = v.parent_code[6:]
        if town == "001":
            assert 1 <= number <= 99 and v.name.endswith("社区") and v.urban_class == "111"
        elif number < 200:
            assert v.name.endswith("社区") and v.urban_class == "121"
        else:
            assert 201 <= number <= 399 and v.name.endswith("村")
            assert v.urban_class in {"121", "210", "220"}
    for town in children["350322"]:
        seats = [by_code[v] for v in children[town] if by_code[v].urban_class in {"111", "121", "210"}]
        if town[6] == "2":  # 乡: one 乡中心区 seat village
            assert [s.urban_class for s in seats] == ["210"]
        elif town[6] == "1":  # 镇: the seat (and any 社区) are 镇中心区
            assert seats and all(s.urban_class == "121" for s in seats)
    in_town = {v.name: v.parent_code for v in villages}
    assert in_town["城内社区"] == "350322001"
    assert in_town["南溪村"] == BANGTOU and in_town["泉山村"] == BANGTOU
    youyang = by_code["350322111201"]
    assert (youyang.name, youyang.urban_class) == ("游洋村", "121")


def test_grid_rules(specs, by_code, children):
    for village in (s for s in specs if s.level == 3):
        grids = sorted(children[village.code])
        assert [g[12:] for g in grids] == [f"{i:03d}" for i in range(1, len(grids) + 1)]
        for code in grids:
            grid = by_code[code]
            assert grid.name == f"{village.name}第{int(code[12:])}网格"
            assert grid.urban_class == village.urban_class


def test_grids_numbered_north_rows_first(by_code, children, geoms):
    village = children[BANGTOU][0]
    first, last = geoms[children[village][0]], geoms[children[village][-1]]
    assert first.centroid.y > last.centroid.y


# --- geometry -----------------------------------------------------------------------------------------------------


def test_geometries_are_valid_polygons_with_six_decimals(specs, geoms):
    for s in specs:
        assert s.geometry["type"] in {"Polygon", "MultiPolygon"}
        assert geoms[s.code].is_valid, s.code
        assert parse_geometry(s.geometry).equals(geoms[s.code])
        coords = shapely.get_coordinates(geoms[s.code])
        assert (abs(coords * 1e6 - (coords * 1e6).round()) < 1e-3).all(), s.code


def test_total_size_is_small(specs):
    size = sum(len(json.dumps(s.geometry, separators=(",", ":"))) for s in specs)
    assert size < 6_000_000


def test_children_within_parent(specs, geoms):
    for s in specs:
        if s.parent_code:
            assert geoms[s.parent_code].buffer(1e-7).contains(geoms[s.code]), s.code


def test_siblings_do_not_overlap(children, geoms):
    for kids in children.values():
        shapes = [geoms[k] for k in kids]
        assert shapely.coverage_is_valid(shapes), "siblings share identical edges"
        tree = shapely.STRtree(shapes)
        for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
            if i < j:
                assert shapes[i].intersection(shapes[j]).area < 1e-12, (kids[i], kids[j])


def test_children_cover_parent(children, geoms):
    for parent, kids in children.items():
        union = shapely.union_all([geoms[k] for k in kids])
        assert abs(union.area - geoms[parent].area) <= 1e-3 * geoms[parent].area, parent
        assert shapely.symmetric_difference(union, geoms[parent]).area <= 1e-3 * geoms[parent].area, parent


def test_county_is_the_real_outline(geoms):
    county = geoms["350322"]
    assert county.hausdorff_distance(county_outline()) < 1e-5
    km2 = county.area * 111.32 * math.cos(math.radians(25.44)) * 110.57
    assert 1_700 < km2 < 1_950  # the county is 1,835 km²


def test_centers_lie_inside(specs, geoms):
    for s in specs:
        assert geoms[s.code].contains(Point(s.center_lon, s.center_lat)), s.code


def test_township_centres_are_the_seats(by_code):
    for row in load_townships():
        assert (by_code[row.code].center_lon, by_code[row.code].center_lat) == row.seat


def test_sample_point(specs, geoms):
    nanxi = next(s for s in specs if s.name == "南溪村")
    lon, lat = sample_point(specs, nanxi.code)
    assert geoms[nanxi.code].contains(Point(lon, lat))
    with pytest.raises(KeyError):
        sample_point(specs, "350322999999")


def test_deterministic(specs):
    assert build_xianyou() == specs


# --- coordinates --------------------------------------------------------------------------------------------------


def test_crs_choices():
    assert [code for code, _label in CRS_CHOICES] == ["wgs84", "cgcs2000", "gcj02", "bd09"]


@pytest.mark.parametrize("crs", ["wgs84", "WGS84", "cgcs2000", "CGCS2000"])
def test_wgs84_and_cgcs2000_are_unchanged(crs):
    assert to_wgs84(118.69, 25.36, crs) == (118.69, 25.36)
    assert from_wgs84(118.69, 25.36, crs) == (118.69, 25.36)


def test_unknown_crs_is_rejected():
    with pytest.raises(ValueError):
        to_wgs84(118.69, 25.36, "epsg:3857")
    with pytest.raises(ValueError):
        from_wgs84(118.69, 25.36, "mars")


@pytest.mark.parametrize("crs", ["gcj02", "GCJ02", "bd09", "BD09"])
def test_round_trip_within_one_metre(crs, specs):
    rng = random.Random(7)
    points = [(s.center_lon, s.center_lat) for s in specs[:200]]
    points += [(rng.uniform(74, 134), rng.uniform(4, 53)) for _ in range(300)]
    for point in points:
        shown = from_wgs84(*point, crs)
        assert metres(shown, point) > 50, "the obfuscated systems really are offset"
        assert metres(to_wgs84(*shown, crs), point) < 1.0


def test_published_reference_values():
    # wandergis/coordtransform, test/app.js: wgs84togcj02 and gcj02tobd09 of (116.404, 39.915)
    gcj = from_wgs84(116.404, 39.915, "gcj02")
    assert gcj == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)
    bd_of_gcj = from_wgs84(*to_wgs84(116.404, 39.915, "gcj02"), "bd09")
    assert bd_of_gcj == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-7)


# --- GeoJSON input ------------------------------------------------------------------------------------------------

SQUARE = [[118.6, 25.3], [118.7, 25.3], [118.7, 25.4], [118.6, 25.4], [118.6, 25.3]]


def test_parse_accepts_polygon_feature_and_multipolygon():
    assert parse_geometry({"type": "Polygon", "coordinates": [SQUARE]}).area == pytest.approx(0.01)
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    assert parse_geometry(feature).geom_type == "Polygon"
    assert parse_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE]]}).geom_type == "MultiPolygon"


def test_parse_rejects_unclosed_ring():
    with pytest.raises(ValidationFailed, match="未闭合"):
        parse_geometry({"type": "Polygon", "coordinates": [SQUARE[:-1] + [[118.6, 25.35]]]})


def test_parse_rejects_self_intersection():
    bowtie = [[118.6, 25.3], [118.7, 25.4], [118.7, 25.3], [118.6, 25.4], [118.6, 25.3]]
    with pytest.raises(ValidationFailed, match="自相交"):
        parse_geometry({"type": "Polygon", "coordinates": [bowtie]})


def test_parse_rejects_latitude_out_of_range():
    swapped = [[lat, lon] for lon, lat in SQUARE]
    with pytest.raises(ValidationFailed, match="纬度"):
        parse_geometry({"type": "Polygon", "coordinates": [swapped]})


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Point", "coordinates": [118.6, 25.3]},
        {"type": "Feature", "geometry": None},
        {"type": "Polygon", "coordinates": [[[118.6, 25.3], [118.7, 25.3], [118.6, 25.3]]]},
        {"type": "Polygon", "coordinates": [[[118.6, 25.3], [118.7, "25.3"], [118.7, 25.4], [118.6, 25.3]]]},
        {"type": "Polygon", "coordinates": [[[200, 25.3], [118.7, 25.3], [118.7, 25.4], [200, 25.3]]]},
        {"type": "Polygon", "coordinates": [[[118.6, 25.3], [118.7, 25.4], [118.8, 25.5], [118.6, 25.3]]]},
        "not a dict",
    ],
)
def test_parse_rejects_other_problems(obj):
    with pytest.raises(ValidationFailed):
        parse_geometry(obj)


def test_to_geojson_rounds_and_orients():
    geom = shapely.Polygon([(118.6000004, 25.3), (118.6, 25.4), (118.7, 25.4), (118.7, 25.3)])  # clockwise
    out = to_geojson(geom)
    ring = out["coordinates"][0]
    assert out["type"] == "Polygon" and ring[0] == [118.6, 25.3]
    assert shapely.is_ccw(shapely.LinearRing(ring))
