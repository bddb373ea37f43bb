import sys

from django.core.management.base import BaseCommand

from gridsafe.dashboards.rollups import direct_counts, rollups_diff


class Command(BaseCommand):
    help = "Compare the KPI rollups with a recount from the Case and CaseEvent rows and with a plain ORM count; exit 1 on drift."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20, help="differences to print per table")

    def handle(self, *args, limit, **options):
        diff = rollups_diff()
        direct = [row for level in (1, 2) for row in direct_counts(level=level)]
        drift = False
        for name, rows in (*diff.items(), ("direct", direct)):
            self.stdout.write(f"{name}: {len(rows)} difference(s)")
            for row in rows[:limit]:
                self.stdout.write(f"  {row}")
            drift = drift or bool(rows)
        if drift:
            self.stderr.write("drift found: run `manage.py rollups_rebuild`")
            sys.exit(1)
        self.stdout.write("rollups agree with the direct count")
