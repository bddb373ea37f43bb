"""区划导入 — the region tree (市 → 县 → 乡镇/街道/管委会 → 村居 → 网格) from a county's GIS files.

Reads GeoJSON, a zipped Shapefile (.zip with one or more .shp) and KML/KMZ through pyogrio (GDAL's readers, bundled
in its wheel). Each feature is one region; its attributes (any of the aliases in `FIELDS`, in any case):

    code   区划代码: 6 digits (a 市 ends in 00, else a 县/区, GB/T 2260), 9 (乡镇), 12 (村居), 15 (网格)
    name   名称
    urban_class, grid_kind, official, center_lon, center_lat, crs   (optional)

The level and the parent come from the code (a 9-digit code's parent is its first 6 digits, …). Township segments
900–999 are the internal codes of the 管委会 (domain.md §7) and are stored `official=False`.

Everything is checked before anything is written (`validate`): codes, names, parents, geometry, containment in the
parent, overlaps and gaps between siblings, and the coordinate system. The CRS is read from the file: CGCS2000 and
WGS-84 (or none: GeoJSON and KML are WGS-84 by definition) are taken as they are; a projected CRS is refused; GCJ-02
or BD-09 are converted to WGS-84 (`coords.to_wgs84`) only when the file says so in a `crs` attribute. A dry run stops
there; a real run writes in one transaction, only what changed, so the same file twice changes nothing. A changed
boundary closes the region's current `RegionGeometryVersion` and opens the next one; cases keep their grid version.
"""

from __future__ import annotations

import math
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from shapely.geometry import Point, mapping
from shapely.ops import polylabel

from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import ValidationFailed
from gridsafe.core.importing import ImportReport, Progress
from gridsafe.regions import coords
from gridsafe.regions.geometry import parse_geometry, to_geojson
from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import Region, RegionGeometryVersion, RegionLevel

PRECISION = 6  # decimals kept (about 0.1 m), as the demo's files and the admin store them
# Tolerances, as a share of the smaller polygon's area: GIS exports rarely share edges to the last vertex.
OUTSIDE_TOLERANCE = 0.005  # of a region's area may lie outside its parent
OVERLAP_TOLERANCE = 0.005  # of the smaller of two siblings may overlap the other
GAP_TOLERANCE = 0.005  # of a parent's area may be covered by none of its children
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)  # lon/lat: coordinates outside are not 经纬度 of China (projected metres?)

LEVEL_BY_LENGTH = {9: RegionLevel.TOWNSHIP, 12: RegionLevel.VILLAGE, 15: RegionLevel.GRID}
LEVEL_NAMES = {
    RegionLevel.CITY: "市",
    RegionLevel.COUNTY: "县（区）",
    RegionLevel.TOWNSHIP: "乡镇（街道、管委会）",
    RegionLevel.VILLAGE: "村（居）",
    RegionLevel.GRID: "网格",
}
URBAN_CLASSES = ("111", "112", "121", "122", "123", "210", "220")
GRID_KINDS = ("standard", "market", "park", "enterprise")
INTERNAL_TOWNSHIPS = range(900, 1000)  # 管委会: township-level, no statistical code (domain.md §7)

# Attribute aliases (lower-cased): GIS exports name them in English, Chinese or pinyin initials; a Shapefile (DBF)
# cuts names at 10 characters.
FIELDS = {
    "code": ("code", "区划代码", "代码", "编码", "网格编码", "dm", "qhdm"),
    "name": ("name", "名称", "mc", "qhmc"),
    "urban_class": ("urban_class", "urban_clas", "urban", "城乡分类代码", "城乡分类", "cxfl"),
    "grid_kind": ("grid_kind", "kind", "网格类型"),
    "official": ("official", "正式代码"),
    "center_lon": ("center_lon", "中心经度"),
    "center_lat": ("center_lat", "中心纬度"),
    "crs": ("crs", "坐标系"),
}
ACCEPTED_CRS = ("EPSG:4326", "EPSG:4490", "OGC:CRS84", "EPSG:4610", "EPSG:4214")  # WGS-84, CGCS2000 (and kin)


@dataclass
class Feature:
    sheet: str  # the layer (GeoJSON file, Shapefile or KML folder)
    row: int  # 1-based, in the layer
    values: dict[str, str]
    geom: object = None  # shapely geometry in WGS-84 after conversion, None when missing
    code: str = ""
    level: int = 0
    parent_code: str | None = None
    geometry: dict | None = None  # the GeoJSON as stored
    center: tuple[float, float] | None = None


@dataclass
class _Plan:
    features: list[Feature] = field(default_factory=list)
    by_code: dict[str, Feature] = field(default_factory=dict)


def import_regions(source: Path, *, dry_run: bool, progress: Progress | None = None, actor=None) -> ImportReport:
    """Check `source` and, unless `dry_run` or a problem was found, write it (all or nothing, idempotent)."""
    source = Path(source)
    report = ImportReport(kind="regions", dry_run=dry_run)
    plan = _Plan()
    features = read_features(source, report)
    existing = {r.code: r for r in Region.objects.filter(code__in=_codes_and_parents(features))}
    _check_rows(features, existing, plan, report)
    _check_geometry(plan, existing, report, progress)
    if report.problems:
        return report
    _apply(plan, existing, report, dry_run=dry_run, progress=progress, actor=actor, source=source)
    return report


# ---------------------------------------------------------------- reading


def read_features(source: Path, report: ImportReport) -> list[Feature]:
    """Every feature of every layer, in WGS-84; problems of the file itself (format, CRS) go to `report`."""
    import pyogrio
    from pyogrio.errors import DataSourceError

    sheet = source.name
    if not source.exists():
        report.problem(sheet, None, None, "文件不存在")
        return []
    suffix = source.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(source) as archive:
                shapefiles = sorted(n for n in archive.namelist() if n.lower().endswith(".shp"))
        except zipfile.BadZipFile:
            report.problem(sheet, None, None, "不是有效的 ZIP 压缩包")
            return []
        if not shapefiles:
            report.problem(sheet, None, None, "压缩包里没有 .shp 文件（Shapefile 须连同 .shx、.dbf、.prj 一起压缩）")
            return []
        targets = [(f"/vsizip/{source}/{name}", name, None) for name in shapefiles]
    elif suffix in (".geojson", ".json", ".kml", ".kmz"):
        try:
            layers = [str(row[0]) for row in pyogrio.list_layers(str(source))]
        except DataSourceError:
            report.problem(sheet, None, None, _unreadable(suffix))
            return []
        targets = [(str(source), layer if len(layers) > 1 else sheet, layer) for layer in layers]
    else:
        report.problem(
            sheet, None, None, "不支持的文件类型：请上传 GeoJSON（.geojson）、压缩的 Shapefile（.zip）或 KML/KMZ"
        )
        return []

    features: list[Feature] = []
    for path, label, layer in targets:
        try:
            meta, _fids, geometries, columns = pyogrio.raw.read(path, layer=layer, encoding=_encoding(path))
        except (DataSourceError, ValueError) as exc:
            report.problem(label, None, None, f"{_unreadable(suffix)}（{exc}）")
            continue
        names = [str(n) for n in meta["fields"]]
        rows = [
            Feature(sheet=label, row=i + 1, values=_values(names, [column[i] for column in columns]))
            for i in range(len(geometries))
        ]
        shapes = shapely.from_wkb(np.array(geometries, dtype=object), on_invalid="ignore")
        declared = _declared_crs(rows, label, report)
        if not _crs_accepted(meta.get("crs"), label, report, shapes):
            continue
        for feature, geom in zip(rows, shapes, strict=True):
            feature.geom = _to_wgs84(shapely.force_2d(geom), declared) if geom is not None else None
        features += rows
    return features


def _unreadable(suffix: str) -> str:
    kind = {".kml": "KML", ".kmz": "KMZ", ".zip": "Shapefile"}.get(suffix, "GeoJSON")
    return f"无法读取文件：不是有效的 {kind} 文件"


def _encoding(path: str) -> str | None:
    """Shapefiles without a .cpg are usually GBK from Chinese GIS software; with one, GDAL knows."""
    if path.startswith("/vsizip/") and path.lower().endswith(".shp"):
        archive, _sep, member = path.removeprefix("/vsizip/").partition(".zip/")
        with zipfile.ZipFile(archive + ".zip") as handle:
            stem = member[:-4]
            if not any(n.lower() == (stem + ".cpg").lower() for n in handle.namelist()):
                return "GBK"
    return None


def _values(names: list[str], values: list) -> dict[str, str]:
    raw = {name.strip().lower(): value for name, value in zip(names, values, strict=True)}
    out: dict[str, str] = {}
    for key, aliases in FIELDS.items():
        for alias in aliases:
            if alias in raw and raw[alias] is not None and str(raw[alias]).strip() != "":
                value = raw[alias]
                if isinstance(value, float) and value.is_integer() and key == "code":
                    value = int(value)
                out[key] = str(value).strip()
                break
    return out


def _declared_crs(rows: list[Feature], sheet: str, report: ImportReport) -> str:
    """The `crs` attribute: one value for the whole layer (gcj02/bd09 are converted; wgs84/cgcs2000 kept)."""
    declared = {f.values["crs"] for f in rows if f.values.get("crs")}
    codes = set()
    for value in declared:
        try:
            codes.add(coords.normalize_crs(value))
        except ValueError:
            row = next(f.row for f in rows if f.values.get("crs") == value)
            report.problem(sheet, row, "crs", f"不认识的坐标系「{value}」，应为 WGS84、CGCS2000、GCJ02 或 BD09")
            return coords.WGS84
    if len(codes) > 1:
        report.problem(sheet, None, "crs", f"同一文件只能用一种坐标系，现在有：{'、'.join(sorted(codes))}")
        return coords.WGS84
    return codes.pop() if codes else coords.WGS84


def _crs_accepted(crs: str | None, sheet: str, report: ImportReport, shapes) -> bool:
    """CGCS2000/WGS-84 (or none) as they are; a projected CRS or coordinates that are not 经纬度 are refused."""
    if crs and crs.upper() not in ACCEPTED_CRS:
        text = crs.upper()
        if text.startswith(("PROJCS", "PROJCRS")) or "EPSG:45" in text or "EPSG:2" in text or "EPSG:3857" in text:
            report.problem(
                sheet,
                None,
                None,
                "文件使用投影坐标系（单位为米），请在 GIS 软件中导出为 CGCS2000 或 WGS-84 经纬度后再导入",
            )
            return False
    valid = [g for g in shapes if g is not None and not g.is_empty]
    if valid:
        minx, miny, maxx, maxy = shapely.total_bounds(np.array(valid, dtype=object))
        west, south, east, north = CHINA_BOUNDS
        if not (west <= minx and maxx <= east and south <= miny and maxy <= north):
            report.problem(
                sheet,
                None,
                None,
                f"坐标范围（经度 {minx:.3f}–{maxx:.3f}，纬度 {miny:.3f}–{maxy:.3f}）不在中国境内的经纬度范围："
                "文件可能是投影坐标或经纬度写反了，请导出为 CGCS2000 或 WGS-84 经纬度",
            )
            return False
    return True


def _to_wgs84(geom, crs: str):
    if crs in (coords.WGS84, coords.CGCS2000):
        return geom
    convert = np.vectorize(lambda x, y: coords.to_wgs84(x, y, crs), otypes=[float, float])
    return shapely.transform(geom, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1])))


# ---------------------------------------------------------------- checking


def _codes_and_parents(features: list[Feature]) -> set[str]:
    codes = set()
    for f in features:
        code = f.values.get("code", "")
        codes |= {code, code[:6], code[:9], code[:12], code[:4] + "00"}
    return codes


def _parent_code(code: str) -> str | None:
    if len(code) == 6:
        return None if code.endswith("00") else code[:4] + "00"
    return code[:6] if len(code) == 9 else code[:-3]


def _check_rows(features: list[Feature], existing: dict[str, Region], plan: _Plan, report: ImportReport) -> None:
    for f in features:
        code, name = f.values.get("code", ""), f.values.get("name", "")
        if not code:
            report.problem(f.sheet, f.row, "code", "缺少区划代码（code）")
            continue
        if not (code.isascii() and code.isdigit()) or len(code) not in (6, 9, 12, 15):
            report.problem(f.sheet, f.row, "code", f"区划代码「{code}」应为 6、9、12 或 15 位数字")
            continue
        if code in plan.by_code:
            other = plan.by_code[code]
            report.problem(f.sheet, f.row, "code", f"区划代码 {code} 重复（与「{other.sheet}」第 {other.row} 行相同）")
            continue
        f.code = code
        f.level = (
            (RegionLevel.CITY if code.endswith("00") else RegionLevel.COUNTY)
            if len(code) == 6
            else LEVEL_BY_LENGTH[len(code)]
        )
        f.parent_code = _parent_code(code)
        plan.by_code[code] = f
        plan.features.append(f)
        if not name:
            report.problem(f.sheet, f.row, "name", "缺少名称（name）")
        elif len(name) > 60:
            report.problem(f.sheet, f.row, "name", f"名称太长（{len(name)} 个字，最多 60 个）")
        _check_segment(f, report)
        urban = f.values.get("urban_class", "")
        if urban and urban not in URBAN_CLASSES:
            report.problem(
                f.sheet, f.row, "urban_class", f"城乡分类代码「{urban}」无效，应为 {'、'.join(URBAN_CLASSES)} 之一"
            )
        kind = f.values.get("grid_kind", "")
        if kind and (f.level != RegionLevel.GRID or kind not in GRID_KINDS):
            report.problem(
                f.sheet, f.row, "grid_kind", f"网格类型「{kind}」无效：只有网格可填，应为 {'、'.join(GRID_KINDS)}"
            )
        for key in ("center_lon", "center_lat"):
            if f.values.get(key) and not _is_float(f.values[key]):
                report.problem(f.sheet, f.row, key, f"「{f.values[key]}」不是数字")
    for f in plan.features:
        if f.parent_code is None or f.parent_code in plan.by_code or f.parent_code in existing:
            continue
        if f.level == RegionLevel.COUNTY:
            continue  # a county may stand alone (no city above it)
        report.problem(
            f.sheet,
            f.row,
            "code",
            f"找不到上级区划 {f.parent_code}：{LEVEL_NAMES[RegionLevel(f.level)]}「{f.values.get('name', '')}」的代码"
            "须以上级的代码开头，且上级须在本文件中或已导入",
        )
    for code, region in existing.items():
        f = plan.by_code.get(code)
        if f is not None and region.level != f.level:
            report.problem(f.sheet, f.row, "code", f"区划代码 {code} 已作为其他层级导入，不能改变层级")


def _check_segment(f: Feature, report: ImportReport) -> None:
    """GB/T 10114 township ranges, non-zero village and grid numbers; 9xx townships are 管委会 (internal)."""
    code = f.code
    if f.level == RegionLevel.TOWNSHIP:
        segment = int(code[6:9])
        if segment == 0 or 600 <= segment < 900:
            report.problem(
                f.sheet,
                f.row,
                "code",
                f"乡镇级代码段 {code[6:9]} 无效：001–099 街道、100–199 镇、200–399 乡、400–599 政企合一单位、"
                "900–999 管委会（内部代码）",
            )
        official = f.values.get("official", "")
        if segment in INTERNAL_TOWNSHIPS and official.lower() in ("1", "true", "是", "yes"):
            report.problem(f.sheet, f.row, "official", f"代码段 {code[6:9]} 是内部代码（管委会），不能标为正式代码")
    elif f.level in (RegionLevel.VILLAGE, RegionLevel.GRID) and int(code[-3:]) == 0:
        report.problem(f.sheet, f.row, "code", f"代码最后三位不能是 000：{code}")


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _check_geometry(plan: _Plan, existing: dict[str, Region], report: ImportReport, progress) -> None:
    total = len(plan.features)
    shapes: dict[str, object] = {}
    for i, f in enumerate(plan.features, 1):
        if f.geom is None:
            report.problem(f.sheet, f.row, "geometry", "缺少边界（几何）")
        else:
            try:
                geom = parse_geometry(mapping(f.geom))
            except ValidationFailed as exc:
                report.problem(f.sheet, f.row, "geometry", exc.detail)
            else:
                f.geometry = to_geojson(geom, PRECISION)
                f.geom = shapely.geometry.shape(f.geometry)
                shapes[f.code] = f.geom
                f.center = _center(f)
        if progress and i % 100 == 0:
            progress(i, total * 2)
    for code, region in existing.items():
        if code not in shapes and region.geometry:
            shapes[code] = shapely.geometry.shape(region.geometry)

    children: dict[str, list[Feature]] = defaultdict(list)
    for f in plan.features:
        if f.parent_code and f.code in shapes:
            children[f.parent_code].append(f)
    # siblings already in the database that the file leaves as they are: checked against the file's for overlaps
    # and counted for gaps, so a file may bring one village's grids alone
    kept: dict[str, list[tuple[str, object]]] = defaultdict(list)
    rows = (
        Region.objects.filter(parent__code__in=list(children), is_active=True, geometry__isnull=False)
        .exclude(code__in=list(plan.by_code))
        .values_list("parent__code", "code", "geometry")
    )
    for parent_code, code, geometry in rows:
        kept[parent_code].append((code, shapely.geometry.shape(geometry)))
    for parent_code, kids in children.items():
        parent = shapes.get(parent_code)
        parent_feature = plan.by_code.get(parent_code)
        parent_name = parent_feature.values.get("name", parent_code) if parent_feature else parent_code
        if parent is not None:
            shapely.prepare(parent)
            for f in kids:
                geom = shapes[f.code]
                if parent.covers(geom):
                    continue
                outside = geom.difference(parent).area
                if outside > OUTSIDE_TOLERANCE * geom.area:
                    report.problem(
                        f.sheet,
                        f.row,
                        "geometry",
                        f"有 {outside / geom.area:.1%} 的面积在上级「{parent_name}」（{parent_code}）之外"
                        f"（容差 {OUTSIDE_TOLERANCE:.1%}）",
                    )
        _check_siblings(kids, kept[parent_code], shapes, report)
        level = kids[0].level
        if parent is not None and level != RegionLevel.COUNTY:  # a city is rarely loaded whole: no gap check
            pieces = [shapes[f.code] for f in kids] + [geom for _code, geom in kept[parent_code]]
            covered = shapely.union_all(pieces).intersection(parent).area
            gap = parent.area - covered
            if gap > GAP_TOLERANCE * parent.area:
                where = parent_feature or kids[0]
                report.problem(
                    where.sheet,
                    where.row,
                    "geometry",
                    f"「{parent_name}」（{parent_code}）有 {gap / parent.area:.1%} 的面积不属于任何下级"
                    f"（{LEVEL_NAMES[RegionLevel(level)]}之间有空隙，容差 {GAP_TOLERANCE:.1%}）",
                )
    if progress:
        progress(total, total * 2)


def _check_siblings(kids: list[Feature], kept: list[tuple[str, object]], shapes: dict, report: ImportReport) -> None:
    geoms = [shapes[f.code] for f in kids] + [geom for _code, geom in kept]
    labels = [(f.values.get("name", f.code), f.code, f"第 {f.row} 行") for f in kids]
    labels += [(code, code, "已导入") for code, _geom in kept]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j or i >= len(kids):
            continue  # each pair once, and at least one side from the file (the kept ones come last)
        a, b = geoms[i], geoms[j]
        overlap = a.intersection(b).area
        if overlap > OVERLAP_TOLERANCE * min(a.area, b.area):
            at, other = (kids[j], labels[i]) if j < len(kids) else (kids[i], labels[j])  # the later row of the two
            name, code, where = other
            report.problem(
                at.sheet,
                at.row,
                "geometry",
                f"与「{name}」（{code}，{where}）重叠 {overlap / min(a.area, b.area):.1%}（容差 {OVERLAP_TOLERANCE:.1%}）",
            )


def _center(f: Feature) -> tuple[float, float]:
    """The file's centre if it is inside the boundary, else a point well inside its largest part."""
    geom = f.geom
    lon, lat = f.values.get("center_lon"), f.values.get("center_lat")
    if lon and lat and _is_float(lon) and _is_float(lat):
        point = (round(float(lon), PRECISION), round(float(lat), PRECISION))
        if geom.contains(Point(point)):
            return point
    largest = max(shapely.get_parts(geom), key=lambda p: p.area)
    for candidate in (polylabel(largest, tolerance=1e-5), largest.point_on_surface()):
        point = (round(candidate.x, PRECISION), round(candidate.y, PRECISION))
        if geom.contains(Point(point)):
            return point
    candidate = largest.point_on_surface()
    return candidate.x, candidate.y


# ---------------------------------------------------------------- writing


def _attributes(f: Feature, parent: Region | None) -> dict:
    segment_internal = f.level == RegionLevel.TOWNSHIP and int(f.code[6:9]) in INTERNAL_TOWNSHIPS
    official = f.values.get("official", "").lower()
    return {
        "name": f.values["name"],
        "level": f.level,
        "parent": parent,
        "urban_class": f.values.get("urban_class", ""),
        "grid_kind": f.values.get("grid_kind", "standard" if f.level == RegionLevel.GRID else ""),
        "official": not segment_internal and official not in ("0", "false", "否", "no"),
        "geometry": f.geometry,
        "center_lon": f.center[0] if f.center else None,
        "center_lat": f.center[1] if f.center else None,
        "is_active": True,
    }


def _path(f: Feature, parent: Region | None) -> str:
    if f.level in (RegionLevel.CITY, RegionLevel.COUNTY) or parent is None:
        return f.code  # a county keeps its own code as path under a city (see Region)
    return f"{parent.path}.{f.code[-3:]}"


def _apply(plan: _Plan, existing: dict[str, Region], report: ImportReport, *, dry_run, progress, actor, source):
    now = clock.now()
    total = len(plan.features)
    ordered = sorted(plan.features, key=lambda f: (f.level, f.code))
    with transaction.atomic():
        regions = dict(existing)
        if not dry_run:
            # lock the rows this import may change, so two imports of the same tree run one after the other
            list(Region.objects.select_for_update().filter(code__in=list(existing)).values_list("pk"))
        new_versions: list[RegionGeometryVersion] = []
        closing: list[int] = []
        for level in sorted({f.level for f in ordered}):
            batch = [f for f in ordered if f.level == level]
            to_create: list[Region] = []
            to_update: list[tuple[Region, list[str]]] = []
            for f in batch:
                parent = regions.get(f.parent_code) if f.parent_code else None
                attrs = _attributes(f, parent)
                region = existing.get(f.code)
                label = f"{LEVEL_NAMES[RegionLevel(f.level)]} {f.code} {attrs['name']}"
                if region is None:
                    region = Region(code=f.code, path=_path(f, parent), **attrs)
                    to_create.append(region)
                    report.change("created", label)
                else:
                    changed = [k for k, v in attrs.items() if _differs(_current(region, k), v)]
                    if not changed:
                        report.change("unchanged", label)
                        continue
                    if "geometry" in changed:
                        closing.append(region.pk)
                        region.geometry_version += 1
                        new_versions.append(
                            RegionGeometryVersion(
                                region=region, version=region.geometry_version, geometry=f.geometry, valid_from=now
                            )
                        )
                    for key in changed:
                        setattr(region, key, attrs[key])
                    to_update.append((region, changed + (["geometry_version"] if "geometry" in changed else [])))
                    report.change("updated", label, "、".join(_FIELD_LABELS.get(k, k) for k in changed))
                regions[f.code] = region
            if not dry_run:
                Region.objects.bulk_create(to_create, batch_size=500)
                for region in to_create:
                    new_versions.append(
                        RegionGeometryVersion(region=region, version=1, geometry=region.geometry, valid_from=now)
                    )
                for region, fields in to_update:  # one UPDATE of the changed columns each: far quicker than
                    # bulk_update's CASE per column once boundaries are in it (17 s → 2 s for 1 055 regions)
                    Region.objects.filter(pk=region.pk).update(**{k: getattr(region, k) for k in fields})
            if progress:
                progress(total + sum(1 for f in ordered if f.level <= level), total * 2)
        if dry_run:
            return
        for f in ordered:
            if f.level == RegionLevel.CITY:  # counties loaded before their city hang under it now
                orphans = Region.objects.filter(
                    level=RegionLevel.COUNTY, parent__isnull=True, code__startswith=f.code[:4]
                )
                report.updated += orphans.update(parent=regions[f.code])
        RegionGeometryVersion.objects.filter(region_id__in=closing, valid_to__isnull=True).update(valid_to=now)
        RegionGeometryVersion.objects.bulk_create(new_versions, batch_size=500)
        if report.created or report.updated:
            grid_index.invalidate()
            audit_record(
                actor=actor,
                action="regions.imported",
                target=source.name[:200],
                payload={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )


_FIELD_LABELS = {
    "name": "名称",
    "parent": "上级",
    "urban_class": "城乡分类",
    "grid_kind": "网格类型",
    "official": "正式代码",
    "geometry": "边界",
    "center_lon": "中心点",
    "center_lat": "中心点",
    "is_active": "启用",
}


def _current(region: Region, key: str):
    if key == "parent":  # without loading the parent row
        return ("parent", region.parent_id)
    return getattr(region, key)


def _differs(old, new) -> bool:
    if isinstance(old, tuple) and old[0] == "parent":
        new_id = new.pk if new is not None else None
        return old[1] != new_id or (new is not None and new.pk is None)
    if old is None or new is None:
        return old is not new
    if isinstance(old, float) or isinstance(new, float):
        return abs(float(old) - float(new)) > 10.0**-PRECISION / 2
    return old != new
