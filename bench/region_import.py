"""Time `gridsafe import regions` on the demo county's 711-grid tree (1 061 regions with the 6 管委会) in a fresh
database of its own.

    DATABASE_URL=postgres://root@127.0.0.1:5432/gs_bench_regions bench/region_import.py [--rounds 3]

The database named in DATABASE_URL is dropped and created again (PostgreSQL; without DATABASE_URL a fresh SQLite file
under a temporary GRIDSAFE_DATA). Prints, per round: the dry run on an empty table (read + every check), the first
real import, the same file again (nothing to change) and a re-import with every grid's boundary moved (a new version
for 711 grids and their villages, townships and county)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        os.environ["GRIDSAFE_DATA"] = tempfile.mkdtemp(prefix="gs-bench-regions-")
        return
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = [
        "psql",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "root",
    ]
    subprocess.run([*admin, "-d", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run([*admin, "-d", "postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    fresh_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gridsafe.demo.world import REGIONS_FILE
    from gridsafe.regions.importer import import_regions
    from gridsafe.regions.models import Region, RegionGeometryVersion

    call_command("migrate", verbosity=0)
    moved = Path(tempfile.mkdtemp()) / "moved.geojson"
    data = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    for feature in data["features"]:  # the whole county 20 m east: every boundary changes, nothing else
        feature["geometry"]["coordinates"] = _shift(feature["geometry"]["coordinates"], 0.0002)
        feature["properties"].pop("center_lon", None)
        feature["properties"].pop("center_lat", None)
    moved.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    print(f"database: {connection.vendor}; file: {REGIONS_FILE.name} ({REGIONS_FILE.stat().st_size / 1e3:.0f} kB)")
    figures: dict[str, list[float]] = {
        "dry run": [],
        "first import": [],
        "same file again": [],
        "every boundary moved": [],
    }
    for round_ in range(args.rounds):
        RegionGeometryVersion.objects.all().delete()
        Region.objects.filter(level=4).delete()
        Region.objects.filter(level=3).delete()
        Region.objects.filter(level=2).delete()
        Region.objects.all().delete()
        for label, source, dry in (
            ("dry run", REGIONS_FILE, True),
            ("first import", REGIONS_FILE, False),
            ("same file again", REGIONS_FILE, False),
            ("every boundary moved", moved, False),
        ):
            start = time.perf_counter()
            report = import_regions(source, dry_run=dry)
            figures[label].append(time.perf_counter() - start)
            assert report.ok, report.problems[:3]
            print(f"round {round_ + 1}: {label:<22} {figures[label][-1]:6.2f} s  {report.summary()}")
    print("medians: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in figures.items()))


def _shift(coords, dx: float):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0] + dx, 6), coords[1]]
    return [_shift(c, dx) for c in coords]


if __name__ == "__main__":
    main()
