"""防篡改 — each case's timeline is a hash chain, so deleting, editing or inserting an event is detectable.

Per case, not global: a global chain (or anchoring every event in the audit chain) would serialise every report
and every case action of the county behind one lock; a per-case chain rides on the row every action already
updates under its version check, so nothing new is serialised and a report stays one statement.

* Every `CaseEvent` carries `seq` (1, 2, 3 … within its case), `prev_hash` (the previous event's `hash`; "" for
  the first) and `hash` = HMAC-SHA256 over a compact canonical encoding (`event_canonical`): the case's stable
  `client_id`, seq, prev_hash and every business column (kind, action, actor, labels, states, levels, holder,
  comment, the payload as canonical JSON, deadline, time, address). Keyed by the audit key (derived for this
  purpose, core.audit.derived_keys), so someone who can write to the database but not read the server's
  configuration cannot re-forge a chain after an edit. The case's `client_id` rather than its id: it is known
  before the report's one-statement INSERT (core.rows.Writes), so the first hash costs no round trip, and an
  event moved to another case no longer verifies there.
* The case row keeps the head (`event_seq`, `event_head`), written by the same version-conditional UPDATE as the
  action itself (services `_move`), so deleting the last event is caught by the head, a middle one by the gap and
  the broken link, a changed one by its hash, a forged one by its hash.
* Deleting the last event AND rewinding the case row's head, or a whole case, is caught by the signed
  checkpoints kept outside the database (ops.integrity `audit_checkpoint_write`): they record the case heads and
  the event count, and `gridsafe audit verify` holds the database to them. Cases themselves cannot be deleted
  (every event references them with PROTECT, and the events' triggers refuse DELETE).

There is no "legacy" category: migration cases/0007 chained every event that existed before the chain, and an
event without a valid chain position is reported, whatever its age."""

import hmac
import ipaddress
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.core.audit import derived_keys

FORMAT = 1  # the canonical encoding's version, hashed along: a later change of the encoding cannot collide

# The columns `event_canonical` reads, in that order (also the values_list of the verifier).
CHAIN_FIELDS = (
    "seq",
    "prev_hash",
    "request_id",
    "kind",
    "action",
    "actor_id",
    "actor_label",
    "from_state",
    "to_state",
    "from_level",
    "to_level",
    "holder_unit_id",
    "comment",
    "payload",
    "due_at",
    "created_at",
    "ip",
)


def _keys() -> dict[str, bytes]:
    return derived_keys("case events")


def _moment(value) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def _ip(value) -> str | None:
    if not value:
        return None
    if ":" not in value:
        return value  # IPv4 reads back as written; only IPv6 has several spellings
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return str(value)


def _uuid(value) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


_PLAIN = (str, int, float, type(None))  # and their subclasses (TextChoices, IntegerChoices, bool): JSON as is


def _normal_payload(payload) -> dict:
    """The payload as the JSON column gives it back. A flat payload of plain values (most are) already is; others
    take the DjangoJSONEncoder round trip (dates become text, tuples lists, keys text)."""
    payload = payload or {}
    if type(payload) is dict and all(
        type(k) is str and (isinstance(v, _PLAIN) or (type(v) is list and all(isinstance(i, _PLAIN) for i in v)))
        for k, v in payload.items()
    ):
        return payload
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def event_canonical(case_key, event) -> bytes:
    """The hashed content of one event: a JSON array in CHAIN_FIELDS order, the payload as it reads back from
    the JSON column (DjangoJSONEncoder round trip, keys sorted), moments in UTC to the microsecond. `event` is a
    CaseEvent or any object with those attributes (the verifier's rows)."""
    payload = _normal_payload(event.payload)
    doc = [
        FORMAT,
        _uuid(case_key),
        event.seq,
        event.prev_hash,
        _uuid(event.request_id),
        str(event.kind),
        str(event.action or ""),
        event.actor_id,
        event.actor_label,
        str(event.from_state or ""),
        str(event.to_state or ""),
        None if event.from_level is None else int(event.from_level),
        None if event.to_level is None else int(event.to_level),
        event.holder_unit_id,
        event.comment,
        payload,
        _moment(event.due_at),
        _moment(event.created_at),
        _ip(event.ip),
    ]
    return _ENCODER.encode(doc).encode()


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(case_key, event, key: bytes) -> str:
    return hmac.digest(key, event_canonical(case_key, event), "sha256").hex()


def event_seal(event, *, case_key, head_seq: int, head_hash: str) -> str:
    """Give `event` (not yet inserted) its place after the case's head: seq, prev_hash and hash. Returns the hash,
    the case row's new head."""
    event.seq = head_seq + 1
    event.prev_hash = head_hash
    event.hash = event_hash(case_key, event, next(iter(_keys().values())))
    return event.hash


def _matches(case_key, row, keys: dict[str, bytes]) -> bool:
    canonical = event_canonical(case_key, row)
    return any(hmac.compare_digest(hmac.digest(key, canonical, "sha256").hex(), row.hash) for key in keys.values())


@dataclass
class ChainReport:
    cases: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)


def case_chains_verify(*, heads: dict[int, tuple[int, str, str]] | None = None, batch: int = 500) -> ChainReport:
    """Walk every case's timeline in seq order and report each missing, changed, forged or repeated event, and
    each case whose head row disagrees with its last event. `heads` maps a case id to (seq, hash, when) from a
    checkpoint: that event must still be there, unchanged. Reads cases in batches of `batch`."""
    heads = heads or {}
    keys = _keys()
    report = ChainReport()
    last_pk = 0
    while True:
        cases = list(
            Case.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "client_id", "event_seq", "event_head")[:batch]
        )
        if not cases:
            break
        last_pk = cases[-1][0]
        events: dict[int, list] = {}
        rows = (
            CaseEvent.objects.filter(case_id__gte=cases[0][0], case_id__lte=last_pk)
            .order_by("case_id", "seq", "id")
            .values_list("case_id", "id", "hash", *CHAIN_FIELDS, named=True)
        )
        for row in rows:
            events.setdefault(row.case_id, []).append(row)
        for pk, client_id, head_seq, head_hash in cases:
            report.cases += 1
            report.problems += _case_problems(pk, client_id, head_seq, head_hash, events.get(pk, []), keys, heads)
            report.events += len(events.get(pk, []))
    return report


def _case_problems(pk, client_id, head_seq, head_hash, rows, keys, heads) -> list[str]:
    problems = []
    expected, prev = 1, ""
    by_seq = {}
    for row in rows:
        where = f"case #{pk}: event id={row.id} (seq={row.seq}, {row.kind})"
        if row.seq is None or row.seq < expected:
            problems.append(f"{where} repeats a place in the timeline (inserted)")
        elif row.seq > expected:
            gap = f"seq={expected}" if row.seq == expected + 1 else f"seq={expected}..{row.seq - 1}"
            problems.append(f"case #{pk}: events {gap} are missing (deleted)")
        if row.prev_hash != prev:
            problems.append(f"{where} does not link to the event before it")
        if not _matches(client_id, row, keys):
            problems.append(f"{where} was changed after it was written, or forged")
        by_seq.setdefault(row.seq, row)
        prev = row.hash
        expected = (row.seq or 0) + 1
    last_seq = rows[-1].seq if rows else 0
    if not rows:
        problems.append(f"case #{pk} has no timeline events (deleted)")
    elif (last_seq, prev) != (head_seq, head_hash):
        if head_seq > last_seq:
            problems.append(
                f"case #{pk}: events after seq={last_seq} are missing (deleted from the end; head {head_seq})"
            )
        else:
            problems.append(f"case #{pk}: the case row's head (seq={head_seq}) does not match its last event")
    mark = heads.get(pk)
    if mark is not None:
        seq, hash_, when = mark
        row = by_seq.get(seq)
        if row is None:
            problems.append(f"case #{pk}: event seq={seq}, recorded by the checkpoint of {when}, is missing (deleted)")
        elif row.hash != hash_:
            problems.append(f"case #{pk}: event seq={seq} differs from the checkpoint of {when} (rewritten)")
    return problems


def case_heads(*, since=None, after_event_id: int = 0) -> dict[str, list]:
    """{case id: [event_seq, event_head]} of the cases with an event after `after_event_id` or a change since
    `since` (every case when `since` is None): what a checkpoint records. Both, because ids are handed out before
    commit (a late commit has a lower id) and times can be back-dated (the demo's history)."""

    cases = Case.objects.filter(event_seq__gt=0)
    if since is not None:
        later = CaseEvent.objects.filter(id__gt=after_event_id).values("case_id")
        cases = cases.filter(Q(updated_at__gte=since) | Q(pk__in=later))
    return {str(pk): [seq, head] for pk, seq, head in cases.values_list("pk", "event_seq", "event_head")}
