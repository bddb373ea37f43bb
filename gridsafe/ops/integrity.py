"""Integrity of the whole record: signed checkpoints of the audit chain and every case's event chain, written
hourly by the worker into a file kept outside the database, and `integrity_verify`, everything `gridsafe audit
verify` checks. It reads both core's audit log and cases' event chains, so it lives in ops, above both: core stays
a leaf (core.audit keeps the chain itself, the checkpoint file format and its reader)."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection
from django.db.models import Count, Max

from gridsafe.cases.chain import case_chains_verify, case_heads
from gridsafe.cases.models import CaseEvent
from gridsafe.core import clock
from gridsafe.core.appendonly import triggers_missing
from gridsafe.core.audit import (
    CHECKPOINT_LOOKBACK,
    VerifyReport,
    _database_label,
    _signed_text,
    audit_head,
    audit_verify,
    checkpoint_path,
    checkpoints_read,
    derived_keys,
)


def audit_checkpoint_write(path: Path | str | None = None) -> dict:
    """Append one signed checkpoint line to `path` (default `checkpoint_path()`) and return it."""
    path = Path(path or checkpoint_path())
    previous = checkpoints_read(path).lines
    now = clock.now()
    since, after_event_id = None, 0
    if previous:
        since = datetime.fromisoformat(previous[-1]["at"]) - CHECKPOINT_LOOKBACK
        after_event_id = previous[-1]["events"][0]
    events = CaseEvent.objects.aggregate(n=Count("id"), top=Max("id"))
    head = audit_head()
    doc = {
        "v": 1,
        "at": now.astimezone(UTC).isoformat(),
        "db": _database_label(),
        "audit": list(head) if head else None,
        "events": [events["top"] or 0, events["n"]],
        "cases": case_heads(since=since, after_event_id=after_event_id),
    }
    key_id, key = next(iter(derived_keys("checkpoint").items()))
    doc["key"] = key_id
    doc["sig"] = hmac.new(key, _signed_text(doc), hashlib.sha256).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return doc


@dataclass
class IntegrityReport:
    audit: VerifyReport
    cases: int = 0
    events: int = 0
    checkpoints: int = 0
    other_database: int = 0  # signed lines naming another database (a test or a copy): not held against this one
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def integrity_verify(
    *, checkpoints: Path | str | None = None, anchors: list[tuple[int, str]] = (), cases: bool = True
) -> IntegrityReport:
    """Everything `gridsafe audit verify` checks: the append-only triggers are in place, the audit chain and
    every case timeline verify, and the database still holds what each signed checkpoint (and each anchor)
    recorded — a row removed from the end of a chain is named by the checkpoint that saw it."""
    problems = [
        f"append-only trigger missing: {name} (UPDATE/DELETE would go through)" for name in triggers_missing(connection)
    ]
    marks = checkpoints_read(checkpoints or checkpoint_path())
    problems += marks.problems
    audit_anchors = [*anchors, *(tuple(line["audit"]) for line in marks.lines if line.get("audit"))]
    audit = audit_verify(anchors=audit_anchors)
    problems += [f"audit log: {p}" for p in audit.problems]
    report = IntegrityReport(audit=audit, checkpoints=len(marks.lines), other_database=marks.other_database)
    if cases:
        heads: dict[int, tuple[int, str, str]] = {}
        for line in marks.lines:
            for case_id, (seq, head) in line.get("cases", {}).items():
                heads[int(case_id)] = (seq, head, line["at"])
        chains = case_chains_verify(heads=heads)
        report.cases, report.events = chains.cases, chains.events
        problems += chains.problems
        if marks.lines:
            newest = marks.lines[-1]
            top, count = newest["events"]
            now = CaseEvent.objects.filter(id__lte=top).count()
            if now < count:
                problems.append(
                    f"case events: {count - now} of the {count} events recorded by the checkpoint of "
                    f"{newest['at']} are missing (deleted)"
                )
    report.problems = problems
    return report
