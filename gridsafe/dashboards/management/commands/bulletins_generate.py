from django.core.management.base import BaseCommand

from gridsafe.dashboards.bulletins import bulletin_generate
from gridsafe.dashboards.periods import parse_period
from gridsafe.dashboards.schedule import JOB_LABELS, oversight_tick


class Command(BaseCommand):
    help = (
        "Generate a 月度通报/季度督导 (--kind monthly|quarterly --period 2026-10|2026-Q3), or run what the oversight"
        " calendar has due (the worker does this by itself on every tick)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["monthly", "quarterly"])
        parser.add_argument("--period")

    def handle(self, *args, kind, period, **options):
        if kind:
            bulletin = bulletin_generate(kind=kind, period=parse_period(period))
            self.stdout.write(f"{bulletin.doc_no} {bulletin.title}: {bulletin.docx.name}, {bulletin.xlsx.name}")
            return
        runs = oversight_tick()
        self.stdout.write(
            f"ran {len(runs)}: " + ", ".join(f"{JOB_LABELS.get(r.job, r.job)} {r.period} {r.status}" for r in runs)
        )
