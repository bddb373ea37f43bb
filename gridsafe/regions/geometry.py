"""GeoJSON in and out for region polygons (WGS-84 longitude/latitude, RFC 7946).

`parse_geometry` is the one place where uploaded boundaries are checked; every problem becomes a
`ValidationFailed` whose message a county GIS clerk can act on. `to_geojson` writes rounded coordinates with the
exterior ring counter-clockwise.
"""

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from gridsafe.core.errors import ValidationFailed

POLYGONAL = ("Polygon", "MultiPolygon")
MIN_AREA = 1e-10  # square degrees, about 1 m²: a smaller polygon is a slip of the pen, not a boundary

_REASONS = (  # GEOS is_valid_reason prefixes, most specific first
    ("Ring Self-intersection", "环自相交（边界线自己打结或回头）"),
    ("Self-intersection", "边界自相交（边与边交叉，或多个部分互相重叠）"),
    ("Hole lies outside shell", "内环（洞）不在外环之内"),
    ("Holes are nested", "内环（洞）互相嵌套"),
    ("Interior is disconnected", "内部被内环分割成互不相连的几块"),
    ("Nested shells", "多个多边形互相嵌套"),
    ("Duplicate Rings", "存在重复的环"),
    ("Too few points", "环的顶点太少"),
    ("Invalid Coordinate", "坐标值无效"),
    ("Ring is not closed", "环未闭合"),
)
_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)")


def parse_geometry(obj: Mapping) -> Polygon | MultiPolygon:
    """Check a GeoJSON Polygon or MultiPolygon (bare, or wrapped in a Feature) and return it as a shapely geometry."""
    if not isinstance(obj, Mapping):
        raise ValidationFailed("边界数据必须是 GeoJSON 对象（Polygon、MultiPolygon 或包含它们的 Feature）")
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
        if not isinstance(obj, Mapping):
            raise ValidationFailed("GeoJSON Feature 缺少 geometry（几何）内容")
    gtype = obj.get("type")
    if gtype not in POLYGONAL:
        raise ValidationFailed(f"边界的几何类型必须是 Polygon 或 MultiPolygon（面），收到的是 {gtype!r}")
    coordinates = obj.get("coordinates")
    if gtype == "Polygon":
        geom = _polygon(coordinates, "多边形")
    else:
        if not _is_list(coordinates) or not coordinates:
            raise ValidationFailed("MultiPolygon 的 coordinates 必须是非空的多边形列表")
        geom = MultiPolygon([_polygon(part, f"第{i}个多边形") for i, part in enumerate(coordinates, 1)])
    if not geom.is_valid:
        raise ValidationFailed(f"边界无效：{_reason(shapely.is_valid_reason(geom))}")
    if geom.is_empty or min(part.area for part in shapely.get_parts(geom)) < MIN_AREA:
        raise ValidationFailed("边界面积为零或几乎为零：顶点不能全部落在（或几乎落在）一条线上")
    return geom


def to_geojson(geom, precision: int = 6) -> dict:
    """GeoJSON dict of `geom` with coordinates rounded to `precision` decimals (6 ≈ 0.1 m), exterior rings CCW.

    If plain rounding would make the geometry invalid (a very thin part collapsing), it is snapped to the grid with
    `shapely.set_precision` instead, which keeps it valid.
    """
    rounded = shapely.transform(geom, lambda xy: np.round(xy, precision))
    if not rounded.is_valid and geom.is_valid:
        rounded = shapely.set_precision(geom, 10.0**-precision)
    if rounded.geom_type in POLYGONAL:
        rounded = shapely.orient_polygons(rounded)
    return _rounded(mapping(rounded), precision)


def _rounded(value, precision: int):
    if isinstance(value, Mapping):
        return {key: _rounded(item, precision) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_rounded(item, precision) for item in value]
    if isinstance(value, float):
        return round(value, precision)
    return value


def _polygon(rings, label: str) -> Polygon:
    if not _is_list(rings) or not rings:
        raise ValidationFailed(f"{label}的 coordinates 必须是非空的环列表（先外环，后内环）")
    parsed = [_ring(ring, f"{label}的外环" if i == 0 else f"{label}的第{i}个内环") for i, ring in enumerate(rings)]
    return Polygon(parsed[0], parsed[1:])


def _ring(ring, label: str) -> list[tuple[float, float]]:
    if not _is_list(ring):
        raise ValidationFailed(f"{label}必须是坐标点列表")
    points = [_position(position, f"{label}第{i}个坐标点") for i, position in enumerate(ring, 1)]
    if len(points) < 4:
        raise ValidationFailed(f"{label}至少需要 4 个坐标点（含与起点相同的终点），现在只有 {len(points)} 个")
    if points[0] != points[-1]:
        raise ValidationFailed(f"{label}未闭合：最后一个坐标点必须与第一个相同")
    return points


def _position(position, label: str) -> tuple[float, float]:
    if not _is_list(position) or len(position) not in (2, 3) or not all(_is_number(v) for v in position):
        raise ValidationFailed(f"{label}必须是 [经度, 纬度] 两个数字")
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValidationFailed(f"{label}含有无效数字")
    if not -180.0 <= lon <= 180.0:
        raise ValidationFailed(f"{label}的经度 {lon} 超出范围 [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        hint = "（GeoJSON 的顺序是 [经度, 纬度]，是否写反了？）" if -90.0 <= lon <= 90.0 and lat <= 180.0 else ""
        raise ValidationFailed(f"{label}的纬度 {lat} 超出范围 [-90, 90]{hint}")
    return lon, lat


def _reason(reason: str) -> str:
    text = next((chinese for prefix, chinese in _REASONS if reason.startswith(prefix)), f"几何错误（{reason}）")
    match = _LOCATION.search(reason)
    if match:
        text += f"，位置约在经度 {float(match[1]):.6f}、纬度 {float(match[2]):.6f}"
    return text


def _is_list(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
