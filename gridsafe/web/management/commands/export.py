"""`gridsafe export cases --out FILE.xlsx --user NAME [--query "state=closed&domain=fire"]`: the case list as the
user sees it (their 辖区, the list page's filters), written with the background export's writer (web/exports.py):
row by row, a progress line on a terminal, audited like any export. The workbook is written next to FILE and
renamed over it only when complete, so an interrupted run leaves the old file (or none) and a re-run is safe."""

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridsafe.accounts.models import User
from gridsafe.core.jobs import TerminalProgress
from gridsafe.web.exports import cases_xlsx_file, params_of


class Command(BaseCommand):
    help = "Export data as XLSX with progress (kinds: cases)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["cases"])
        parser.add_argument("--out", required=True, help="the .xlsx file to write")
        parser.add_argument("--user", required=True, help="whose view: their 辖区, and the audit row's actor")
        parser.add_argument(
            "--query", default="", help='the case list\'s filters as a query string, e.g. "state=closed"'
        )

    def handle(self, *args, kind, out, user, query, **options):
        from django.http import QueryDict

        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"没有这个在用的用户：{user}")
        target = Path(out)
        if target.suffix.lower() != ".xlsx":
            raise CommandError("--out 需要 .xlsx 文件")
        partial = target.with_name(f".{target.name}.part")
        progress = TerminalProgress(sys.stderr, "导出隐患清单")
        try:
            built = cases_xlsx_file(
                user=actor, params=params_of(QueryDict(query)), path=partial, progress=progress, via="cli"
            )
            os.replace(partial, target)
        finally:
            progress.end()
            partial.unlink(missing_ok=True)
        self.stdout.write(f"{target}: {built.rows} 行")
