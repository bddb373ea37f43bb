import uuid

from gridsafe.regions.models import Region


def grid_point(user) -> tuple[float, float]:
    """A point inside the user's first grid (its stored representative point)."""
    grid = user.grids.order_by("code").first()
    return grid.center_lon, grid.center_lat


def village_grid_point(village_name: str, township_prefix: str = "350322.101") -> tuple[float, float]:
    grid = Region.objects.filter(level=4, parent__name=village_name, path__startswith=township_prefix).first()
    return grid.center_lon, grid.center_lat


def report(api, *, category="fire-ebike-indoor", point=None, **extra):
    lon, lat = point or grid_point(api.user)
    body = {
        "client_id": str(uuid.uuid4()),
        "category": category,
        "description": "楼道内有电动车充电",
        "lon": lon,
        "lat": lat,
        **extra,
    }
    return api.post("/api/v1/cases", body)
