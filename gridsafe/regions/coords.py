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

from django.db import models
from django.utils.translation import gettext_lazy as _
from fast_geocn.coord import wgs84_to_gcj02 as _wgs84_to_gcj02

# A fix worse than this is flagged (never refused, domain.md §8): case reports, patrol points, field photos. The field
# app gets it in its sync bundle (`poor_accuracy_m`) so the phone warns at the same figure the server flags.
POOR_ACCURACY_M = 50
EARTH_RADIUS_M = 6_371_000
M_PER_DEG_LAT = 111_320.0


class LocationFlag(models.TextChoices):
    """Flags on a reported location, stored in JSON lists (Case.location_flags, patrol points): add, never rename."""

    NO_LOCATION = "no_location", _("No location (无定位)")
    POOR_ACCURACY = "poor_accuracy", _("Poor accuracy (定位精度较差)")
    OUTSIDE_OWN_GRID = "outside_own_grid", _("Outside the reporter's grid (不在上报人网格内)")
    OUTSIDE_COUNTY_EDGE = "outside_county_edge", _("Near the county boundary (位于县界附近)")
    FAR_FROM_PLACE = "far_from_place", _("Far from the inspected place (距监管对象较远)")


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points: the one distance every feature uses."""
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = rlat2 - rlat1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bbox_around(lon: float, lat: float, radius_m: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """((lon_min, lon_max), (lat_min, lat_max)) of a box holding every point within `radius_m`: an indexed
    pre-filter on lon/lat before the exact `haversine_m`."""
    dlat = radius_m / M_PER_DEG_LAT
    dlon = radius_m / (M_PER_DEG_LAT * max(0.1, math.cos(math.radians(lat))))
    return (lon - dlon, lon + dlon), (lat - dlat, lat + dlat)


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
    for _step in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = lon - fx, lat - fy
        x, y = x + dx, y + dy
        if abs(dx) < _TOLERANCE and abs(dy) < _TOLERANCE:
            break
    return x, y
