from django.core.management.base import BaseCommand

from gridsafe.dashboards.bulletins import bulletin_generate, bulletins_generate_due
from gridsafe.dashboards.periods import parse_period


class Command(BaseCommand):
    help = "Generate a 月度通报/季度督导 (--kind monthly|quarterly --period 2026-10|2026-Q3), or whatever is due."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["monthly", "quarterly"])
        parser.add_argument("--period")

    def handle(self, *args, kind, period, **options):
        if kind:
            bulletin = bulletin_generate(kind=kind, period=parse_period(period))
            self.stdout.write(f"{bulletin.title}: {bulletin.docx.name}, {bulletin.xlsx.name}")
            return
        made = bulletins_generate_due()
        self.stdout.write(f"generated {len(made)}: " + ", ".join(b.title for b in made))
