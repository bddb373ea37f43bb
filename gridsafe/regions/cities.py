"""A city (市) above several counties. Each county keeps its own path tree (350322.101.205.001) under a city, so a
city's subtree is not one path prefix but its own path plus its counties' paths: `subtree_paths`. Rollups count a
county's cases at the city too (`city_of`). Both read one small in-process map (no query on a hot path), rebuilt
when the region tree changes (it shares the grid index's name, which the importer and the admin invalidate)."""

from collections import defaultdict

from django.db.models import Q

from gridsafe.core.cache import VersionedCache
from gridsafe.regions.models import Region, RegionLevel


def _build() -> dict[str, tuple[str, ...]]:
    counties: dict[str, list[str]] = defaultdict(list)
    rows = Region.objects.filter(level=RegionLevel.COUNTY, parent__level=RegionLevel.CITY, is_active=True)
    for county, city in rows.values_list("path", "parent__path"):
        counties[city].append(county)
    return {city: tuple(sorted(paths)) for city, paths in counties.items()}


city_counties = VersionedCache("grid_index", _build, check_seconds=60)


def subtree_paths(path: str) -> tuple[str, ...]:
    """The path prefixes that make up the subtree at `path`: itself, and for a city its counties too. Only a city's
    path (GB/T 2260: six digits ending in 00) looks at the map, so other nodes never wait for it to be rebuilt."""
    if not (len(path) == 6 and path.endswith("00")):
        return (path,)
    return (path, *city_counties.get().get(path, ()))


def city_of(county_path: str) -> str | None:
    """The city path above a county's path tree, or None in a county-only deployment."""
    for city, counties in city_counties.get().items():
        if county_path in counties:
            return city
    return None


def subtree_q(field: str, path: str) -> Q:
    """`field` (a path column) inside the subtree at `path`, cities included."""
    query = Q(pk__in=[])
    for prefix in subtree_paths(path):
        query |= Q(**{field: prefix}) | Q(**{f"{field}__startswith": prefix + "."})
    return query
