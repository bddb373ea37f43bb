"""Point → grid, through an in-memory STRtree over the grid polygons (no query per call)."""

from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import prep

from gridsafe.core.cache import VersionedCache
from gridsafe.core.errors import OutsideCounty
from gridsafe.regions.models import Region, RegionLevel

# ~50 m in degrees at 25°N: a point just outside the county edge (GPS noise) still finds its nearest grid.
EDGE_BUFFER_DEG = 0.0005


@dataclass(frozen=True)
class GridHit:
    region_id: int
    code: str
    path: str
    name: str
    geometry_version: int
    inside: bool  # False when matched only through the edge buffer


@dataclass
class _GridIndex:
    tree: STRtree
    prepared: list
    geoms: list
    hits: list[GridHit]


def _build() -> _GridIndex:
    geoms, hits = [], []
    rows = Region.objects.filter(level=RegionLevel.GRID, is_active=True, geometry__isnull=False).values_list(
        "id", "code", "path", "name", "geometry_version", "geometry"
    )
    for region_id, code, path, name, version, geometry in rows:
        geoms.append(shape(geometry))
        hits.append(GridHit(region_id, code, path, name, version, True))
    return _GridIndex(STRtree(geoms), [prep(g) for g in geoms], geoms, hits)


grid_index = VersionedCache("grid_index", _build, check_seconds=60)


def locate_grid(lon: float, lat: float) -> GridHit:
    """The grid containing (lon, lat) in WGS-84, or the nearest one within the edge buffer; else OutsideCounty."""
    index = grid_index.get()
    point = Point(lon, lat)
    for i in index.tree.query(point):
        if index.prepared[i].covers(point):
            return index.hits[i]
    nearest = index.tree.query_nearest(point, max_distance=EDGE_BUFFER_DEG)
    if len(nearest):
        hit = index.hits[int(nearest[0])]
        return GridHit(hit.region_id, hit.code, hit.path, hit.name, hit.geometry_version, False)
    raise OutsideCounty(f"坐标 ({lon:.6f}, {lat:.6f}) 不在本县范围内")


def grid_distance_m(region_id: int, lon: float, lat: float) -> float:
    """Approximate distance from the point to the grid polygon in metres (0 inside)."""
    index = grid_index.get()
    for i, hit in enumerate(index.hits):
        if hit.region_id == region_id:
            return index.geoms[i].distance(Point(lon, lat)) * 111_000
    return float("inf")
