from datetime import date

from django.core.management.base import BaseCommand

from gridsafe.core.jobs import TerminalProgress
from gridsafe.dashboards.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the KPI rollups (cells, gauges, red lists) from the Case and CaseEvent rows; report the drift."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, help="only periods from this month on (YYYY-MM-DD)")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度")

    def handle(self, *args, since, quiet_progress, **options):
        # The same progress line as `gridsafe export`/`gridsafe import`, on stderr: the source rows recounted.
        progress = None if quiet_progress else TerminalProgress(self.stderr._out, "重建统计汇总")
        try:
            corrected = rollups_rebuild(since=since, progress=progress)
        finally:
            if progress is not None:
                progress.end()
        self.stdout.write(f"rollups rebuilt; drift corrected: {corrected}")
