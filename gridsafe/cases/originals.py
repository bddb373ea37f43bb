"""Originals already stored before uploads were stripped of identifying metadata at intake (cases.uploads).

`originals_strip_metadata` rewrites each such file once: the cleaned copy is saved under a new name, the row is moved
to it (with the new size and SHA-256 where the row keeps them) by a conditional UPDATE, an audit row records the old
and the new SHA-256 (so a hash burned into an old watermark or quoted in a case event still leads to the file), and
only then is the old file deleted. Files that carry nothing to remove are left alone, so a second run changes
nothing. Run by `gridsafe strip_photo_metadata` (docs/deploy.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.files import File
from django.db import transaction

from gridsafe.cases.uploads import sniff_content_type, strip_metadata
from gridsafe.core.audit import audit_record

# (model, audit target prefix, has size and sha256 columns). Every model that stores an uploaded original.
ORIGINAL_MODELS = (
    ("cases.Attachment", "attachment", True),
    ("field.PublicityPhoto", "publicity_photo", True),
    ("dashboards.ActivityPhoto", "activity_photo", True),
    ("dashboards.InfoReport", "info_report", False),
)


@dataclass
class StripCounts:
    checked: int = 0
    stripped: int = 0
    already_clean: int = 0  # nothing to remove (or a type without such metadata: PDF, .docx)
    missing: int = 0  # the row's file is not in storage (attachments_verify reports those too)


def originals_strip_metadata(
    *, dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None, every: int = 100
) -> dict[str, StripCounts]:
    """Strip EXIF GPS, device and author (and XMP, IPTC, comments, QuickTime location) from every stored original.
    Returns counts per model. `dry_run` only counts what would change. `progress(label, done, total)` is called
    every `every` rows and at the end of each model. Reads every file once; writes only the ones that change."""
    results: dict[str, StripCounts] = {}
    for model_label, prefix, has_digest in ORIGINAL_MODELS:
        model = apps.get_model(model_label)
        rows = model.objects.exclude(file="").order_by("pk")
        total = rows.count()
        counts = results[prefix] = StripCounts()
        for row in rows.iterator(chunk_size=200):
            counts.checked += 1
            storage, old_name = row.file.storage, row.file.name
            if not storage.exists(old_name):
                counts.missing += 1
            else:
                with storage.open(old_name, "rb") as fh:
                    content_type = getattr(row, "content_type", "") or sniff_content_type(fh)
                    cleaned = strip_metadata(fh, content_type) if content_type else None
                if cleaned is None:
                    counts.already_clean += 1
                elif dry_run:
                    counts.stripped += 1
                elif _replace(model, row, prefix, has_digest, cleaned):
                    counts.stripped += 1
            if progress and (counts.checked % every == 0 or counts.checked == total):
                progress(prefix, counts.checked, total)
        if progress and total == 0:
            progress(prefix, 0, 0)
    return results


def _replace(model, row, prefix: str, has_digest: bool, cleaned) -> bool:
    storage, old_name = row.file.storage, row.file.name
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: cleaned.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    cleaned.seek(0)
    new_name = storage.save(old_name, File(cleaned, name=old_name))  # the storage picks a free name next to it
    changes = {"file": new_name}
    if has_digest:
        changes.update(size=size, sha256=digest.hexdigest())
    with transaction.atomic():
        # Conditional on the old name: a concurrent run that moved the row first wins, this copy is discarded.
        moved = model.objects.filter(pk=row.pk, file=old_name).update(**changes)
        if moved:
            audit_record(
                action="upload.metadata_stripped",
                target=f"{prefix}:{row.pk}",
                payload={
                    "old_sha256": getattr(row, "sha256", None),
                    "new_sha256": digest.hexdigest(),
                    "old_file": old_name,
                    "new_file": new_name,
                },
            )
    storage.delete(old_name if moved else new_name)
    return bool(moved)
