"""A county goes live: the demo county's own files through `gridsafe import`'s functions on a fresh database, in
the order docs/onboarding.md gives — regions (GeoJSON, 711 grids), units, people (~1 000), patrol teams, and a
places workbook of ~5 000 rows (7 per grid, every pilot domain) made here from the grid polygons. Each import is
timed as a dry run, a real run and a second real run of the same file (which must change nothing). Then the test
suite's world build (`build_world()`, what conftest.py runs once per worker) on another fresh database.

    bench/county_import                   # PostgreSQL at 127.0.0.1 (database gs_bench_county_import, recreated)
    bench/county_import --sqlite          # a SQLite file in a temporary folder
"""

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DB = "gs_bench_county_import"


def fresh_database(sqlite: bool, folder: Path, name: str) -> None:
    if sqlite:
        os.environ.pop("DATABASE_URL", None)
        os.environ["GRIDSAFE_DATA"] = str(folder / name)
        return
    import psycopg

    with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"postgres://root@127.0.0.1:5432/{name}"
    os.environ["GRIDSAFE_DATA"] = str(folder / name)


def places_workbook(per_grid: int, seed: int) -> bytes:
    from openpyxl import load_workbook
    from shapely.geometry import Point, shape

    from gridsafe.places.importer import SHEETS, template_places
    from gridsafe.regions.models import Region, RegionLevel

    rng = random.Random(seed)
    wb = load_workbook(io.BytesIO(template_places()))
    for spec in SHEETS:
        wb[spec.sheet.name].delete_rows(2, 1)
    n = 0
    for grid in Region.objects.filter(level=RegionLevel.GRID).order_by("code"):
        poly = shape(grid.geometry)
        inner = poly.buffer(-0.0003)
        inner = poly if inner.is_empty else inner
        minx, miny, maxx, maxy = inner.bounds
        for k in range(per_grid):
            spec = SHEETS[k % len(SHEETS)]
            for _ in range(50):
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if inner.contains(Point(x, y)):
                    break
            else:
                p = poly.representative_point()
                x, y = p.x, p.y
            n += 1
            row = [
                f"B-{n:05d}",
                f"{grid.name}场所{k + 1}",
                grid.code,
                "",
                round(x, 6),
                round(y, 6),
                "陈某",
                f"139{n:08d}",
                rng.choice("红橙黄蓝"),
            ]
            extra = {
                "fire": ["人员密集场所"],
                "rental": ["关注类"],
                "lpg": [f"闽莆燃{n}"],
                "fireworks": [f"闽莆烟{n}"],
                "venue": [""],
                "elevator": [""],
                "road": [],
            }[spec.domain]
            wb[spec.sheet.name].append(row + extra + ["在用"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    cpu = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--places-per-grid", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gs-bench-import-"))
    fresh_database(args.sqlite, folder, PG_DB)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gridsafe.accounts.importer import import_people, import_teams, import_units
    from gridsafe.demo.catalog import load_catalog
    from gridsafe.demo.world import COUNTY_DEPARTMENTS, DATA, REGIONS_FILE
    from gridsafe.places.importer import import_places
    from gridsafe.regions.importer import import_regions

    Path(os.environ["GRIDSAFE_DATA"]).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    load_catalog({})  # the domains (a county's catalog comes with the installation)
    steps = [
        ("regions", import_regions, REGIONS_FILE),
        ("units", import_units, DATA / "units.xlsx"),
        ("people", import_people, DATA / "people.xlsx"),
        ("teams", import_teams, DATA / "teams.xlsx"),
    ]
    print(f"{'import':<8} {'rows':>6} {'dry run s':>10} {'real s':>8} {'CPU s':>7} {'again s':>8}  again")
    total_real = 0.0
    places_file = folder / "places-5000.xlsx"
    for kind, run, path in [*steps, ("places", import_places, places_file)]:
        if kind == "places":
            places_file.write_bytes(places_workbook(args.places_per_grid, 350322))
        dry, dry_s, _ = timed(run, path, dry_run=True)
        assert dry.ok, [str(p) for p in dry.problems[:5]]
        real, real_s, real_cpu = timed(run, path, dry_run=False)
        again, again_s, _ = timed(run, path, dry_run=False)
        assert again.created == again.updated == 0, again.summary()
        rows = real.created + real.updated + real.unchanged
        total_real += real_s
        print(f"{kind:<8} {rows:>6} {dry_s:>10.2f} {real_s:>8.2f} {real_cpu:>7.2f} {again_s:>8.2f}  {again.summary()}")
        if kind == "units":
            from gridsafe.accounts.models import Unit

            load_catalog({d: Unit.objects.get(code=f"dept-{s}").pk for s, _n, ds in COUNTY_DEPARTMENTS for d in ds})
    print(f"full county import (real runs): {total_real:.1f} s")
    connection.close()

    # The suite's world build (conftest.py) on another fresh database: build_world() from empty.
    if not args.sqlite:
        from django.db import connections

        connections.close_all()
        fresh_database(False, folder, PG_DB + "_world")
        connections["default"].settings_dict["NAME"] = PG_DB + "_world"
    else:
        from django.db import connections

        connections.close_all()
        connections["default"].settings_dict["NAME"] = str(folder / "world.sqlite3")
    call_command("migrate", verbosity=0)
    from gridsafe.demo.world import build_world

    _, world_s, world_cpu = timed(build_world)
    print(f"world build (conftest's build_world from empty): {world_s:.1f} s wall, {world_cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
