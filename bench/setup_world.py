"""Set-up step of bench/intake, run in its own process against the benchmark database (DATABASE_URL):
build the 仙游县 demo world, pick the reporting user's grids, sample random points inside them (each point checked
to locate to its own grid) and write one template case per (grid, category) through the real `case_report`.
Prints one JSON object on stdout: {user, role, categories, templates: [case ids, grid-major], points: [[lon, lat,
grid index]]}."""

import argparse
import json
import os
import random
import sys
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor_settings")

import django

django.setup()

from shapely.geometry import Point, shape  # noqa: E402

from gridsafe.accounts.models import User  # noqa: E402
from gridsafe.cases.services import case_report  # noqa: E402
from gridsafe.demo.world import build_world  # noqa: E402
from gridsafe.regions.locate import locate_grid  # noqa: E402
from gridsafe.regions.models import Region, RegionLevel  # noqa: E402

DESCRIPTION = "楼道内有电动车充电，插线板从窗户拉出"


def grids_of(user: User, max_grids: int, rng: random.Random) -> list[Region]:
    own = list(user.grids.filter(is_active=True, geometry__isnull=False).order_by("code"))
    if own:
        return own
    # A county- or township-level user: grids inside the user's unit's region.
    prefix = user.unit.region.path if user.unit_id else ""
    qs = Region.objects.filter(level=RegionLevel.GRID, is_active=True, geometry__isnull=False)
    if prefix:
        qs = qs.filter(path__startswith=prefix + ".")
    grids = list(qs.order_by("code"))
    rng.shuffle(grids)
    return sorted(grids[:max_grids], key=lambda g: g.code)


def sample_points(grid: Region, n: int, rng: random.Random) -> list[tuple[float, float]]:
    poly = shape(grid.geometry)
    minx, miny, maxx, maxy = poly.bounds
    points, tries = [], 0
    while len(points) < n and tries < n * 200:
        tries += 1
        lon, lat = round(rng.uniform(minx, maxx), 7), round(rng.uniform(miny, maxy), 7)
        if not poly.contains(Point(lon, lat)):
            continue
        hit = locate_grid(lon, lat)
        if hit.region_id == grid.pk and hit.inside:
            points.append((lon, lat))
    if not points:
        raise SystemExit(f"no point found inside grid {grid.code}")
    return points


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", default="nanxi_worker")
    parser.add_argument("--categories", default="fire-ebike-indoor")
    parser.add_argument("--points-per-grid", type=int, default=500)
    parser.add_argument("--max-grids", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    build_world()
    user = User.objects.select_related("unit__region").get(username=args.user)
    categories = [c for c in args.categories.split(",") if c]
    grids = grids_of(user, args.max_grids, rng)
    points, templates = [], []
    for gi, grid in enumerate(grids):
        sampled = sample_points(grid, args.points_per_grid, rng)
        points += [(lon, lat, gi) for lon, lat in sampled]
        for category in categories:
            lon, lat = sampled[0]
            case, created = case_report(
                actor=user, client_id=uuid.uuid4(), category_code=category, description=DESCRIPTION, lon=lon, lat=lat
            )
            assert created
            templates.append(case.pk)
    rng.shuffle(points)
    json.dump(
        {
            "user": user.username,
            "role": user.role,
            "grids": [g.code for g in grids],
            "categories": categories,
            "templates": templates,
            "points": points,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
