"""备份与恢复 — one archive holding a consistent database snapshot and the media files (domain.md §10.10).

Order makes it consistent: the database snapshot is taken first, then the media. An attachment's file is written
and fsynced before its row commits, and files are never changed afterwards, so every file a row in the snapshot
names is already on disk when the media are read (later files are harmless extras). SQLite is copied with the
online backup API (a consistent copy while the app keeps writing, WAL included); PostgreSQL with pg_dump's custom
format (one transaction snapshot). Restore puts both back and then checks every attachment's SHA-256 against the
restored rows, and walks the audit chain.

With S3 media (GRIDSAFE_S3_BUCKET) the archive holds the database only: the bucket's versioning and replication
are its backup, and restore still verifies every object's hash."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, connections

from gridsafe.cases.models import Attachment
from gridsafe.core import clock
from gridsafe.core.audit import audit_head, audit_verify

FORMAT = 1


def _local_media() -> bool:
    return not settings.GRIDSAFE_S3_BUCKET


def _pg_env_args(db: dict) -> tuple[dict, list[str]]:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return env, args


def _snapshot_database(workdir: Path) -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        target = workdir / "database.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            connection.connection.backup(dest)
        finally:
            dest.close()
        return target.name
    if connection.vendor == "postgresql":
        target = workdir / "database.pgdump"
        env, args = _pg_env_args(db)
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args, "-f", str(target), db["NAME"]],
            env=env,
            check=True,
        )
        return target.name
    raise RuntimeError(f"backup does not know the {connection.vendor} database")


def backup_create(out: Path) -> dict:
    """Write one tar archive at `out`: manifest.json, the database snapshot, media/<files>. Returns the manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        workdir = Path(tmp)
        head = audit_head()
        database = _snapshot_database(workdir)  # first: see the module docstring
        manifest = {
            "format": FORMAT,
            "created_at": clock.now().isoformat(),
            "vendor": connection.vendor,
            "database": database,
            "media": "local" if _local_media() else "s3",
            "audit_head": list(head) if head else None,
        }
        partial = out.with_suffix(out.suffix + ".partial")
        media_files = 0
        with tarfile.open(partial, "w") as archive:
            archive.add(workdir / database, arcname=database)
            if _local_media() and Path(settings.MEDIA_ROOT).is_dir():
                root = Path(settings.MEDIA_ROOT)
                for path in sorted(root.rglob("*")):
                    if path.is_file() and not path.name.endswith(".partial"):
                        archive.add(path, arcname=f"media/{path.relative_to(root).as_posix()}")
                        media_files += 1
            manifest["media_files"] = media_files
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        partial.replace(out)
    return manifest


@dataclass
class RestoreReport:
    manifest: dict
    attachments: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _restore_database(archive: tarfile.TarFile, manifest: dict, workdir: Path) -> None:
    if manifest["vendor"] != connection.vendor:
        raise RuntimeError(f"the archive holds a {manifest['vendor']} database, this site uses {connection.vendor}")
    member = archive.getmember(manifest["database"])
    archive.extract(member, workdir, filter="data")
    source = workdir / member.name
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        src = sqlite3.connect(source)
        try:
            src.backup(connection.connection)  # page by page into the live file, WAL-safe
        finally:
            src.close()
        return
    db = connection.settings_dict
    for conn in connections.all():
        conn.close()
    env, args = _pg_env_args(db)
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            *args,
            "-d",
            db["NAME"],
            str(source),
        ],
        env=env,
        check=True,
    )


def _restore_media(archive: tarfile.TarFile) -> int:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    count = 0
    for member in archive.getmembers():
        if member.isfile() and member.name.startswith("media/"):
            member.name = member.name[len("media/") :]
            archive.extract(member, root, filter="data")  # 'data' refuses absolute paths, .. and links out
            count += 1
    return count


def attachments_verify() -> tuple[int, list[str]]:
    """Every attachment's file exists in storage and has the SHA-256 its row recorded. Reads every file."""
    problems, checked = [], 0
    for att in Attachment.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=500):
        checked += 1
        if not default_storage.exists(att.file.name):
            problems.append(f"attachment {att.pk}: file {att.file.name} is missing")
            continue
        digest = hashlib.sha256()
        with default_storage.open(att.file.name, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != att.sha256:
            problems.append(f"attachment {att.pk}: file {att.file.name} does not match its SHA-256")
    return checked, problems


def backup_restore(path: Path) -> RestoreReport:
    """Put the database and media of `path` back, then verify attachments and the audit chain."""
    with tarfile.open(path, "r") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise RuntimeError(f"unknown backup format {manifest.get('format')}")
        with tempfile.TemporaryDirectory() as tmp:
            _restore_database(archive, manifest, Path(tmp))
        if manifest["media"] == "local":
            if not _local_media():
                raise RuntimeError("the archive holds local media but this site stores media on S3")
            _restore_media(archive)
    report = RestoreReport(manifest=manifest)
    report.attachments, report.problems = attachments_verify()
    audit = audit_verify(anchors=[tuple(manifest["audit_head"])] if manifest.get("audit_head") else [])
    report.problems += [f"audit: {p}" for p in audit.problems]
    return report


def media_clear() -> None:
    """Tests and drills: empty MEDIA_ROOT before a restore, to prove the archive alone brings the files back."""
    root = Path(settings.MEDIA_ROOT)
    if root.is_dir():
        shutil.rmtree(root)
