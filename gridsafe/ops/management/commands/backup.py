"""`gridsafe backup [--out FILE]` — database snapshot, then media, in one tar archive (ops/backup.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from gridsafe.core import clock
from gridsafe.ops.backup import backup_create


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) and the media files into one archive."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="archive path (default: $GRIDSAFE_DATA/backups/gridsafe-<time>.tar)")

    def handle(self, *args, out=None, **options):
        if out is None:
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            out = Path(settings.DATA_DIR) / "backups" / f"gridsafe-{stamp}.tar"
        manifest = backup_create(Path(out))
        self.stdout.write(
            f"backup written: {out} ({manifest['vendor']} database, {manifest['media_files']} media files, "
            f"audit head {manifest['audit_head'][0] if manifest['audit_head'] else '-'})"
        )
