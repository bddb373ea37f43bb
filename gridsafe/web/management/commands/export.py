"""`gridsafe export cases --out FILE.xlsx --user NAME [--query "state=closed&domain=fire"]`: the case list as the
user sees it (their 辖区, the list page's filters), written with the background export's writer (web/exports.py):
row by row, a progress line on a terminal, audited like any export. The workbook is written next to FILE and
renamed over it only when complete, so an interrupted run leaves the old file (or none) and a re-run is safe."""

import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridsafe.accounts.models import User
from gridsafe.web.exports import cases_xlsx_file, params_of


class TerminalProgress:
    """`progress(done, total)` as one line rewritten in place on a terminal; elsewhere (logs) a line every 10 %."""

    def __init__(self, stream, label: str):
        self.stream, self.label = stream, label
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        elapsed = time.monotonic() - self.started
        line = f"{self.label}: {percent:3d} % · {done}/{total} 行 · {elapsed:.0f} s"
        if self.tty:
            self.stream.write("\r" + line)
            self.stream.flush()
        elif percent // 10 != self.last_tenth:
            self.last_tenth = percent // 10
            self.stream.write(line + "\n")

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")


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
