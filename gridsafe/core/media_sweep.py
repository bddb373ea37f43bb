"""Files in storage that no row names (orphans). A file is written before its row commits (the upload is streamed
to storage, then the row is saved), so a process killed in between leaves the file behind; so does a storage
delete that failed. The worker removes such files once they are old enough that no upload can still be on its
way to committing them. Only the folders the models upload to are looked at, on the default storage (local
folder or S3 alike)."""

from datetime import datetime, timedelta

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from gridsafe.core import clock

ORPHAN_MIN_AGE = timedelta(hours=1)


def _file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and isinstance(field.upload_to, str)
    ]


def _roots(fields) -> set[str]:
    """Top folders of the upload_to paths ("cases/%Y/%m/" → "cases")."""
    return {field.upload_to.strip("/").split("/")[0] for _model, field in fields if field.upload_to.strip("/")}


def _walk(storage, folder: str):
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _walk(storage, f"{folder}/{sub}")


def orphan_files(*, older_than: timedelta = ORPHAN_MIN_AGE, now: datetime | None = None) -> list[str]:
    """Names of files under the upload folders that no row names and that are older than `older_than`."""
    now = now or clock.now()
    fields = _file_fields()
    named: set[str] = set()
    for model, field in fields:
        named.update(n for n in model._base_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True) if n)
    storage = default_storage
    found = []
    for root in sorted(_roots(fields)):
        for name in _walk(storage, root):
            if name in named:
                continue
            if older_than and storage.get_modified_time(name) > now - older_than:
                continue  # perhaps an upload whose row is about to commit
            found.append(name)
    return found


def orphan_files_sweep(*, older_than: timedelta = ORPHAN_MIN_AGE, now: datetime | None = None) -> list[str]:
    """Delete the orphans; returns their names."""
    found = orphan_files(older_than=older_than, now=now)
    for name in found:
        default_storage.delete(name)
    return found
