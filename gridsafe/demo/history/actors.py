"""The world a plan runs in: people, units and grids of the demo county, loaded once per process so every
actor object (and the jurisdiction cached on it) is reused by every case."""

from __future__ import annotations

import random
from dataclasses import dataclass

from shapely.geometry import Point, shape
from shapely.prepared import prep

from gridsafe.accounts.models import Role, Unit, User
from gridsafe.catalog.models import Category
from gridsafe.demo.world import COUNTY
from gridsafe.regions.models import Region, RegionLevel

# ---------------------------------------------------------------- the world the plan runs in


@dataclass
class Grid:
    id: int
    code: str
    name: str
    village: str
    village_name: str
    township: str
    township_name: str
    center: tuple[float, float]
    geometry: dict
    shape: object = None


class World:
    """People, units and grids, loaded once: every actor object is reused, so its jurisdiction is cached on it."""

    def __init__(self):
        self.Role = Role
        names = dict(Region.objects.filter(level__in=[2, 3]).values_list("code", "name"))
        self.grids: dict[str, Grid] = {}
        for row in Region.objects.filter(level=RegionLevel.GRID, is_active=True).values(
            "id", "code", "name", "center_lon", "center_lat", "geometry"
        ):
            code = row["code"]
            self.grids[code] = Grid(
                id=row["id"],
                code=code,
                name=row["name"],
                village=code[:12],
                village_name=names.get(code[:12], ""),
                township=code[:9],
                township_name=names.get(code[:9], ""),
                center=(row["center_lon"], row["center_lat"]),
                geometry=row["geometry"],
            )
        self.units = {u.code: u for u in Unit.objects.select_related("region")}
        self.units_by_pk = {u.pk: u for u in self.units.values()}
        self.users = {u.pk: u for u in User.objects.filter(is_active=True).select_related("unit__region")}
        self.members: dict[tuple[int, str], list] = {}
        for user in sorted(self.users.values(), key=lambda u: u.username):
            if user.unit_id:
                self.members.setdefault((user.unit_id, user.role), []).append(user)
        self.worker_of: dict[int, object] = {}
        links = User.grids.through.objects.values_list("region_id", "user_id").order_by("region_id", "user_id")
        for region_id, user_id in links:
            user = self.users.get(user_id)
            if user is not None and user.role == Role.GRID_WORKER:
                self.worker_of.setdefault(region_id, user)
        self.leaders = [u for u in sorted(self.users.values(), key=lambda u: u.username) if u.role == Role.LEADER]
        self.categories = {c.code: c for c in Category.objects.select_related("domain")}
        self.county_departments = sorted(
            (u for u in self.units.values() if u.kind == "department" and u.region.code == COUNTY),
            key=lambda u: u.code,
        )

    def unit(self, code: str):
        return self.units[code]

    def people(self, unit, *roles) -> list:
        return [u for role in roles for u in self.members.get((unit.pk, role), [])]

    def point_in(self, grid: Grid, rng: random.Random) -> tuple[float, float]:
        """A point inside the grid polygon: its representative point, jittered by up to ~150 m."""
        if grid.shape is None:
            polygon = shape(grid.geometry)
            grid.shape = (prep(polygon), polygon.bounds)
        prepared, (x0, y0, x1, y1) = grid.shape
        lon, lat = grid.center
        reach = min(0.0015, (x1 - x0) / 4, (y1 - y0) / 4)
        for _ in range(8):
            x, y = lon + rng.uniform(-reach, reach), lat + rng.uniform(-reach, reach)
            if prepared.contains(Point(x, y)):
                return round(x, 6), round(y, 6)
        return lon, lat
