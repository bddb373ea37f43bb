"""`gridsafe audit verify|checkpoint|head|anchor|purge` — the integrity of the audit log and of every case
timeline, and the audit log's retention (core/audit.py, cases/chain.py, core/appendonly.py)."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridsafe.core import clock
from gridsafe.core.audit import audit_head, audit_purge, checkpoint_path
from gridsafe.ops.integrity import audit_checkpoint_write, integrity_verify


def _read_anchors(path: str) -> list[tuple[int, str]]:
    anchors = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            anchors.append((int(parts[0]), parts[1]))
    return anchors


class Command(BaseCommand):
    help = "Audit log: verify the hash chain, print or anchor its head, purge rows past the retention."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="exit 1 if an append-only trigger is missing, or an audit row or case event was changed, deleted "
            "or inserted out of chain, or a signed checkpoint's rows are gone",
        )
        verify.add_argument("--anchors", help="file of 'seq hash' lines written by `audit anchor`")
        verify.add_argument(
            "--checkpoints", help="signed checkpoint file (default: $GRIDSAFE_DATA/audit/checkpoints.jsonl)"
        )
        verify.add_argument("--no-cases", action="store_true", help="skip the case timelines (audit log only)")
        checkpoint = sub.add_parser("checkpoint", help="append a signed checkpoint line (the worker does, hourly)")
        checkpoint.add_argument("--file", help="default: $GRIDSAFE_DATA/audit/checkpoints.jsonl")
        sub.add_parser("head", help="print the newest row's seq and hash")
        anchor = sub.add_parser("anchor", help="append the head to a file kept off this database (daily timer)")
        anchor.add_argument("file")
        purge = sub.add_parser("purge", help="delete rows older than --older-than-days (≥ the retention)")
        purge.add_argument("--older-than-days", type=int, default=None)
        purge.add_argument("--yes", action="store_true", help="really delete")

    def handle(self, *args, action, **options):
        if action == "verify":
            anchors = _read_anchors(options["anchors"]) if options.get("anchors") else []
            path = options.get("checkpoints") or checkpoint_path()
            report = integrity_verify(checkpoints=path, anchors=anchors, cases=not options["no_cases"])
            for problem in report.problems:
                self.stderr.write(f"TAMPERED: {problem}")
            audit = report.audit
            head = f"seq={audit.head[0]} hash={audit.head[1]}" if audit.head else "empty"
            self.stdout.write(
                f"audit log: {audit.checked} chained rows checked ({audit.adopted} adopted from before the chain), "
                f"head {head}"
            )
            if not options["no_cases"]:
                self.stdout.write(f"case timelines: {report.cases} cases, {report.events} events checked")
            if report.checkpoints:
                self.stdout.write(f"checkpoints: {report.checkpoints} signed line(s) in {path} held")
            else:
                self.stdout.write(
                    f"checkpoints: none in {path} — rows removed from the end of a chain cannot be detected "
                    "(the worker writes one every hour; `gridsafe audit checkpoint` now)"
                )
            if report.other_database:
                self.stdout.write(f"checkpoints: {report.other_database} line(s) for another database not applied")
            if not report.ok:
                self.stderr.write(f"audit verify FAILED: {len(report.problems)} problem(s)")
                sys.exit(1)
            self.stdout.write("audit verify OK")
        elif action == "checkpoint":
            path = options.get("file") or checkpoint_path()
            doc = audit_checkpoint_write(path)
            audit = f"seq={doc['audit'][0]}" if doc["audit"] else "empty"
            self.stdout.write(
                f"checkpoint written to {path}: audit head {audit}, {doc['events'][1]} case events, "
                f"{len(doc['cases'])} case head(s)"
            )
        elif action == "head":
            head = audit_head()
            self.stdout.write(f"{head[0]} {head[1]}" if head else "empty")
        elif action == "anchor":
            head = audit_head()
            if head is None:
                return
            with open(options["file"], "a", encoding="utf-8") as out:
                out.write(f"{head[0]} {head[1]} {clock.now().isoformat()}\n")
            self.stdout.write(f"anchored seq={head[0]}")
        elif action == "purge":
            days = options["older_than_days"] or settings.GRIDSAFE_AUDIT_RETENTION_DAYS
            if not options["yes"]:
                raise CommandError("purge deletes audit rows for good: add --yes (after a backup)")
            try:
                deleted = audit_purge(older_than_days=days)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"purged {deleted} audit rows older than {days} days")
