from datetime import timedelta

from django.core.management.base import BaseCommand

from gridsafe.core.media_sweep import ORPHAN_MIN_AGE, orphan_files, orphan_files_sweep


class Command(BaseCommand):
    help = "Delete files in the upload folders that no row names (left by a process killed mid-upload)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=float,
            default=ORPHAN_MIN_AGE.total_seconds() / 60,
            help="only files at least this old (an upload in flight has its file before its row) [60]",
        )
        parser.add_argument("--dry-run", action="store_true", help="list, do not delete")

    def handle(self, *args, older_than_minutes, dry_run, **options):
        age = timedelta(minutes=older_than_minutes)
        names = orphan_files(older_than=age) if dry_run else orphan_files_sweep(older_than=age)
        for name in names:
            self.stdout.write(name)
        self.stdout.write(f"{len(names)} orphan file(s) {'found' if dry_run else 'deleted'}")
