from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridsafe.catalog.calendar import calendar_seed, library_years
from gridsafe.catalog.models import CalendarYear


def _this_year() -> int:
    return timezone.localdate().year


def _span(years: list[int]) -> str:
    """2004–2026 for a contiguous run, else a comma list."""
    if not years:
        return "none"
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


class Command(BaseCommand):
    help = (
        "Load the working calendar (statutory holidays and 调休 make-up days) from the chinese_calendar package. "
        "Rows edited in the admin (source 'admin') are kept. Warns when this or next year's schedule is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            dest="years",
            type=int,
            action="append",
            help="Year to load (repeatable). Default: every year the installed chinese_calendar covers.",
        )

    def handle(self, *args, years=None, **options):
        available = library_years()
        try:
            written = calendar_seed(years=years)
        except ValueError as exc:
            raise CommandError(str(exc))
        loaded = sorted(set(years)) if years else available
        self.stdout.write(
            f"Working calendar loaded for {_span(loaded)} from chinese_calendar "
            f"(library covers {_span(available)}): {written} day rows written."
        )

        published = set(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
        this_year = _this_year()
        missing = [y for y in (this_year, this_year + 1) if y not in published]
        for year in missing:
            self.stderr.write(
                f"WARNING: no published working calendar for {year}. Deadlines in {year} assume plain "
                f"Monday–Friday (holidays and 调休 ignored). Enter the State Council schedule for {year} in the "
                f"admin (working calendar) and mark the year published, or upgrade chinesecalendar and re-run.",
                style_func=self.style.WARNING,
            )
        if not missing:
            self.stdout.write(self.style.SUCCESS(f"Schedules for {this_year} and {this_year + 1} are present."))
