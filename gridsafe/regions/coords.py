"""Coordinate systems used in the field, and conversion to the canonical WGS-84.

GridSafe stores WGS-84 (EPSG:4326); CGCS2000 (EPSG:4490, 天地图) is the same to sub-metre level and is taken as-is.
GCJ-02 (高德, 腾讯, WeChat ``gcj02``) and BD-09 (百度) are obfuscated systems. Convert on input with `to_wgs84`
(keep the raw value and its CRS next to the result) and convert back with `from_wgs84` only for display.

The forward GCJ-02 formula comes from `fast_geocn.coord` (it matches the published reference values of
wandergis/coordtransform). Its BD-09 functions are not used: fast-geocn 1.1.3 uses ``sin(lat * pi)`` where the
BD-09 formula has ``sin(lat * pi * 3000 / 180)``, which puts its results about 25 m off. There is no closed-form
inverse for either system, so both inverses iterate the forward formula until it reproduces the input to 1e-10°
(about 0.01 mm); the result is then as good as the forward formula itself (about 1 m against the real systems).
"""

import math

from fast_geocn.coord import wgs84_to_gcj02 as _wgs84_to_gcj02

WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
BD09 = "bd09"

CRS_CHOICES = (
    (WGS84, "WGS-84（GPS、国际地图）"),
    (CGCS2000, "CGCS2000（国家2000，天地图）"),
    (GCJ02, "GCJ-02（高德、腾讯、微信）"),
    (BD09, "BD-09（百度）"),
)

_KNOWN = frozenset(code for code, _label in CRS_CHOICES)
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE = 1e-10  # degrees
_MAX_ITERATIONS = 30


def normalize_crs(crs: str) -> str:
    """Return the canonical code ("wgs84", "cgcs2000", "gcj02", "bd09"); "GCJ-02" and " BD09 " are accepted too."""
    if not isinstance(crs, str):
        raise ValueError(f"unknown coordinate system: {crs!r}")
    code = crs.strip().lower().replace("-", "").replace("_", "")
    if code not in _KNOWN:
        raise ValueError(f"unknown coordinate system: {crs!r}; expected one of {', '.join(sorted(_KNOWN))}")
    return code


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a point given in `crs` to WGS-84. Raises ValueError for an unknown CRS or a point off the globe."""
    code = normalize_crs(crs)
    lon, lat = _checked(lon, lat)
    if code in (WGS84, CGCS2000):
        return lon, lat
    if code == GCJ02:
        return _invert(_wgs84_to_gcj02, lon, lat)
    return _invert(_wgs84_to_bd09, lon, lat)


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a WGS-84 point to `crs`, for display on a map that uses it."""
    code = normalize_crs(crs)
    lon, lat = _checked(lon, lat)
    if code in (WGS84, CGCS2000):
        return lon, lat
    if code == GCJ02:
        return _wgs84_to_gcj02(lon, lat)
    return _wgs84_to_bd09(lon, lat)


def _checked(lon: float, lat: float) -> tuple[float, float]:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValueError(f"coordinates must be numbers, got {lon!r}, {lat!r}")
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"coordinates must be finite, got {lon!r}, {lat!r}")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"longitude must be in [-180, 180] and latitude in [-90, 90], got {lon!r}, {lat!r}")
    return lon, lat


def _gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: float, lat: float) -> tuple[float, float]:
    """Solve forward(x, y) == (lon, lat). The offset changes slowly with position, so fixed-point steps converge."""
    x, y = lon, lat
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = lon - fx, lat - fy
        x, y = x + dx, y + dy
        if abs(dx) < _TOLERANCE and abs(dy) < _TOLERANCE:
            break
    return x, y
