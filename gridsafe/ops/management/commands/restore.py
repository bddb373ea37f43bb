"""`gridsafe restore FILE --yes` — put a backup back, then verify every attachment's SHA-256 and the audit chain;
exit 1 if anything does not match. Stop the app and the worker first."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridsafe.ops.backup import backup_restore


class Command(BaseCommand):
    help = "Restore a `gridsafe backup` archive (replaces the database and media), then verify it."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="really replace the current database and media")

    def handle(self, *args, archive, yes, **options):
        if not yes:
            raise CommandError("restore replaces the current database and media: stop the services, then add --yes")
        try:
            report = backup_restore(Path(archive))
        except (RuntimeError, KeyError) as exc:
            raise CommandError(str(exc)) from None
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        self.stdout.write(f"restored {archive}: {report.attachments} attachments checked")
        if not report.ok:
            sys.exit(1)
        self.stdout.write("restore verified OK")
