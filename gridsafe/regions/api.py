from typing import Literal

from ninja import Router, Schema

from gridsafe.accounts.jurisdiction import jurisdiction_of
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.input import Number
from gridsafe.core.problem import Problem
from gridsafe.regions.coords import to_wgs84
from gridsafe.regions.locate import locate_grid
from gridsafe.regions.models import Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None
    path: str
    urban_class: str
    center_lon: float | None
    center_lat: float | None
    geometry: dict | None = None


class LocateOut(Schema):
    lon: float
    lat: float
    grid: RegionOut
    ancestors: list[RegionOut]
    inside: bool


def region_out(region: Region, *, geometry: bool) -> dict:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.path.rsplit(".", 1)[0].replace(".", "") if "." in region.path else None,
        "path": region.path,
        "urban_class": region.urban_class,
        "center_lon": region.center_lon,
        "center_lat": region.center_lat,
        "geometry": region.geometry if geometry else None,
    }


def _visible_region(request, code: str) -> Region:
    """A node inside my 辖区, or one of its ancestors (a village needs its township's name); else 404."""
    # A code is at most 15 ASCII digits; anything else is as unknown as a code that does not exist (and never reaches
    # the database, which cannot compare text holding U+0000).
    is_code = code.isascii() and code.isdigit() and len(code) <= 15
    region = Region.objects.filter(code=code, is_active=True).first() if is_code else None
    scope = jurisdiction_of(request.user)
    if region is None or not _may_see(scope, region.path):
        raise NotFound("未找到该区划")
    return region


def _may_see(scope, path: str) -> bool:
    if scope.department_id is not None:
        return True  # a county department works anywhere in the county it is dispatched to
    return scope.covers_path(path) or any(p.startswith(path + ".") for p in scope.paths)


@router.get("/locate", response={200: LocateOut, 401: Problem, 422: Problem}, operation_id="region_locate")
def locate(request, lon: Number, lat: Number, crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"):
    """Point → unit grid and its ancestors. GCJ-02 (高德/腾讯) and BD-09 (百度) are converted to WGS-84.
    A point outside the county is 422."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("经纬度超出范围")
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    hit = locate_grid(wgs_lon, wgs_lat)
    grid = Region.objects.get(pk=hit.region_id)
    ancestors = Region.objects.filter(path__in=grid.ancestor_paths()[:-1]).order_by("level")
    return {
        "lon": wgs_lon,
        "lat": wgs_lat,
        "grid": region_out(grid, geometry=False),
        "ancestors": [region_out(r, geometry=False) for r in ancestors],
        "inside": hit.inside,
    }


@router.get("/{code}", response={200: RegionOut, 401: Problem, 404: Problem}, operation_id="region_detail")
def region_detail(request, code: str, geometry: bool = True):
    """One region node (GeoJSON boundary in WGS-84)."""
    return region_out(_visible_region(request, code), geometry=geometry)


@router.get(
    "/{code}/children", response={200: list[RegionOut], 401: Problem, 404: Problem}, operation_id="region_children"
)
def region_children(request, code: str, geometry: bool = False):
    """The children of a node that I may see."""
    region = _visible_region(request, code)
    scope = jurisdiction_of(request.user)
    children = [c for c in Region.objects.filter(parent=region, is_active=True) if _may_see(scope, c.path)]
    return [region_out(c, geometry=geometry) for c in children]
