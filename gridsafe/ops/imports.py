"""The imports by kind — the one table the command line (`gridsafe import`) and the admin's upload pages use, so
both run the same code. `regions` (GeoJSON, zipped Shapefile, KML/KMZ) is regions.importer's; the XLSX kinds are
accounts.importer's and places.importer's. Load order for a new county: regions → units → people → teams → places
(docs/onboarding.md)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from gridsafe.accounts.importer import (
    import_people,
    import_teams,
    import_units,
    template_people,
    template_teams,
    template_units,
)
from gridsafe.core import clock
from gridsafe.core.errors import InvalidTransition, ValidationFailed
from gridsafe.core.jobs import progress_cache, progress_cached
from gridsafe.ops.models import ImportRun, ImportStatus
from gridsafe.places.importer import import_places, template_places
from gridsafe.video.importer import import_cameras, template_cameras


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
        return run(source, dry_run=dry_run, progress=progress, actor=actor)

    return ImportKind(
        "regions", "区划（乡镇、村居、网格）", regions, None, (".geojson", ".json", ".zip", ".kml", ".kmz"), False
    )


def kinds() -> dict[str, ImportKind]:
    table = {
        "units": ImportKind("units", "单位", import_units, template_units),
        "people": ImportKind("people", "人员（网格员等）", import_people, template_people),
        "teams": ImportKind("teams", "巡逻队及队员", import_teams, template_teams),
        "places": ImportKind("places", "监管对象（场所）", import_places, template_places),
        "cameras": ImportKind("cameras", "摄像机台账", import_cameras, template_cameras),
    }
    regions = _regions()
    if regions is not None:
        table = {"regions": regions, **table}
    return table


# ---------------------------------------------------------------- the admin's runs: check → preview → confirm → import

PROGRESS_KEY = "gridsafe:import-run:{}"
MAX_UPLOAD = 10 * 1024 * 1024  # bytes: a county's largest sheet (5 000 places) is well under 2 MB


def run_start(*, actor, kind: str, file_name: str, data: bytes, deactivate_missing: bool, ip: str | None):
    """An upload: kept in an ImportRun and checked (a dry run) by a background task after the commit."""
    spec = kinds().get(kind)
    if spec is None:
        raise ValidationFailed("请选择导入类型")
    if not file_name.lower().endswith(spec.suffixes):
        raise ValidationFailed(f"{spec.label}导入需要 {'、'.join(spec.suffixes)} 文件")
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed("文件超过 10 MB，请拆分后导入")
    run = ImportRun.objects.create(
        kind=kind,
        file_name=file_name[:200],
        data=data,
        deactivate_missing=deactivate_missing and spec.deactivates,
        created_by=actor,
        ip=ip,
    )
    from gridsafe.ops.tasks import import_check  # tasks.py imports this module: the one import left inside

    transaction.on_commit(lambda: import_check.enqueue(run_id=run.pk))
    return run


def _progress_for(run_id: int):
    # The cache, not the row: a real run writes inside one transaction, which no other request can see into.
    return progress_cache(PROGRESS_KEY.format(run_id))


def run_progress(run) -> tuple[int, int]:
    return progress_cached(PROGRESS_KEY.format(run.pk), (run.done, run.total))


def _execute(run, *, dry_run: bool):
    import tempfile
    from pathlib import Path

    spec = kinds()[run.kind]
    kwargs = {"dry_run": dry_run, "progress": _progress_for(run.pk), "actor": run.created_by}
    if spec.deactivates:
        kwargs.update(deactivate_missing=run.deactivate_missing, ip=run.ip)
    if spec.name != "regions":
        return spec.run(bytes(run.data), **kwargs)
    # The GIS readers take a file whose suffix says its format.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(run.file_name).suffix.lower()}"
        path.write_bytes(bytes(run.data))
        return spec.run(path, **kwargs)


def run_check(run_id: int) -> None:
    """The dry run behind the preview: every problem and every change, nothing written."""

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    try:
        report = _execute(run, dry_run=True)
    except Exception as exc:  # an unreadable file: say so, keep nothing half-done
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED, report={"error": _unreadable(exc)}, finished_at=clock.now()
        )
        return
    status = ImportStatus.CHECKED if report.ok else ImportStatus.REJECTED
    done = report.created + report.updated + report.unchanged + report.deactivated
    ImportRun.objects.filter(pk=run.pk).update(
        status=status, report=report.as_dict(), done=done, total=done, finished_at=clock.now()
    )


def run_confirm(*, actor, run) -> None:
    """确认导入: only a checked run without problems, once; the import itself runs in a background task."""
    moved = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.IMPORTING, done=0
    )
    if not moved:
        raise InvalidTransition("这次导入不能确认（已导入、有问题或仍在检查）")
    from gridsafe.ops.tasks import import_apply  # tasks.py imports this module

    transaction.on_commit(lambda: import_apply.enqueue(run_id=run.pk))


def run_apply(run_id: int) -> None:
    """The real run of a confirmed upload: all or nothing; if the data changed since the check so that the file
    now has problems, nothing is written and the run shows them."""

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if run.status != ImportStatus.IMPORTING:
        return  # a repeated delivery of the task
    try:
        report = _execute(run, dry_run=False)
    except Exception as exc:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED, report={**run.report, "error": _unreadable(exc)}, finished_at=clock.now()
        )
        return
    done = report.created + report.updated + report.unchanged + report.deactivated
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.DONE if report.ok else ImportStatus.REJECTED,
        report=report.as_dict(),
        done=done,
        total=done,
        finished_at=clock.now(),
    )


def _unreadable(exc: Exception) -> str:
    return f"无法读取文件（{type(exc).__name__}），请确认是用模板填写的 .xlsx 文件"
