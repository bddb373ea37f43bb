"""The imports by kind — the one table the command line (`gridsafe import`) and the admin's upload pages use, so
both run the same code. `regions` (GeoJSON, zipped Shapefile, KML/KMZ) is regions.importer's; the XLSX kinds are
accounts.importer's and places.importer's. Load order for a new county: regions → units → people → teams → places
(docs/onboarding.md)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from gridsafe.accounts.importer import (
    import_people,
    import_teams,
    import_units,
    template_people,
    template_teams,
    template_units,
)
from gridsafe.places.importer import import_places, template_places


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: str  # Chinese, for the admin and the command's output
    run: Callable
    template: Callable[[], bytes] | None
    suffixes: tuple[str, ...] = (".xlsx",)
    # deactivate_missing: people missing from a new list are stopped only when asked
    deactivates: bool = True


def _regions() -> ImportKind | None:
    try:
        module = importlib.import_module("gridsafe.regions.importer")
    except ImportError:
        return None
    run = getattr(module, "import_regions", None)
    if run is None:
        return None

    def regions(source, *, dry_run, deactivate_missing=False, progress=None, actor=None, ip=None):
        return run(source, dry_run=dry_run, progress=progress)

    return ImportKind(
        "regions", "区划（乡镇、村居、网格）", regions, None, (".geojson", ".json", ".zip", ".kml", ".kmz"), False
    )


def kinds() -> dict[str, ImportKind]:
    table = {
        "units": ImportKind("units", "单位", import_units, template_units),
        "people": ImportKind("people", "人员（网格员等）", import_people, template_people),
        "teams": ImportKind("teams", "巡逻队及队员", import_teams, template_teams),
        "places": ImportKind("places", "监管对象（场所）", import_places, template_places),
    }
    regions = _regions()
    if regions is not None:
        table = {"regions": regions, **table}
    return table
