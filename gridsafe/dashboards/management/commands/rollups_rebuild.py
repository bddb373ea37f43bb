from datetime import date

from django.core.management.base import BaseCommand

from gridsafe.dashboards.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the KPI rollups (cells, gauges, red lists) from the Case and CaseEvent rows; report the drift."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, help="only periods from this month on (YYYY-MM-DD)")

    def handle(self, *args, since, **options):
        corrected = rollups_rebuild(since=since)
        self.stdout.write(f"rollups rebuilt; drift corrected: {corrected}")
