from django.core.management.base import BaseCommand

from gridsafe.cases.sweep import sweep_due_cases


class Command(BaseCommand):
    help = "One pass of the deadline sweep: 临期 催办, overdue, automatic 督办 and cards."

    def handle(self, *args, **options):
        self.stdout.write(str(sweep_due_cases()))
