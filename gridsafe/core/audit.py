"""审计 — the security audit log (domain.md §10.7): append-only, hash-chained, readable only by the 审计管理员.

Every row carries `seq` (1, 2, 3 … with no gaps), `prev_hash` (the previous row's `hash`) and `hash`, an
HMAC-SHA256 over the canonical row content keyed by GRIDSAFE_AUDIT_KEY. A changed row no longer matches its hash; a
deleted row leaves a gap in `seq` and a broken link; and since the key is not in the database, someone who can
write to the database cannot re-forge the chain after an edit. A truncated tail is caught by signed checkpoints
(`ops.integrity.audit_checkpoint_write`, hourly from the worker, into a file kept outside the database and shipped off the
host) and by anchors (`gridsafe audit anchor FILE`, `audit verify --anchors FILE`). There are no "legacy" rows:
a row without `seq` passes only if migration core/0004 adopted it with its content (`adopt_unchained`).

Appends are serialised so two writers never take the same `seq`: on PostgreSQL with a transaction-scoped advisory
lock, on SQLite by the IMMEDIATE transaction (the write lock is taken at BEGIN). The unique index on `seq` is the
backstop. The DB triggers refuse UPDATE and DELETE; the only deletion is `audit_purge`, for rows older than the
retention (≥ 180 days, 网络安全法 §21), which leaves a marker row so the chain still verifies from its new start."""

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from gridsafe.core import clock
from gridsafe.core.errors import DomainError
from gridsafe.core.http import current_client_ip
from gridsafe.core.models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x47534155  # 'GSAU': the advisory lock that serialises audit appends on PostgreSQL
PURGE_ACTION = "audit.purged"


def _key_material(raw: str) -> bytes:
    return hashlib.sha256(b"gridsafe audit key:" + raw.encode()).digest()


def _keys() -> dict[str, bytes]:
    raws = [settings.GRIDSAFE_AUDIT_KEY or settings.SECRET_KEY, *settings.GRIDSAFE_AUDIT_OLD_KEYS]
    keys = {}
    for raw in raws:
        key = _key_material(raw)
        keys.setdefault(hashlib.sha256(key).hexdigest()[:8], key)
    return keys


_derived: dict[tuple, dict[str, bytes]] = {}


def derived_keys(purpose: str) -> dict[str, bytes]:
    """The audit keys (current first, then GRIDSAFE_AUDIT_OLD_KEYS) derived for another use of the same secret:
    "case events" (the timelines' chains, cases/chain.py), "checkpoint" (the signed checkpoint lines). By key id."""
    # Per settings object (override_settings makes a new one), so a report pays a dict lookup, not a derivation.
    cache_key = (purpose, settings._wrapped)
    keys = _derived.get(cache_key)
    if keys is None:
        keys = {key_id: hmac.new(key, purpose.encode(), hashlib.sha256).digest() for key_id, key in _keys().items()}
        if len(_derived) > 8:  # settings change only in tests: keep the cache small
            _derived.clear()
        _derived[cache_key] = keys
    return keys


def _current_key() -> tuple[str, bytes]:
    key = _key_material(settings.GRIDSAFE_AUDIT_KEY or settings.SECRET_KEY)
    return hashlib.sha256(key).hexdigest()[:8], key


def _normal_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def _normal_payload(payload) -> dict:
    # Round-trip through JSON so what is hashed is exactly what the JSON column gives back.
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def canonical(event: AuditEvent) -> bytes:
    """The hashed content: every column but `id` and `hash`, as sorted compact JSON."""
    doc = {
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "ip": _normal_ip(event.ip),
        "payload": event.payload,
        "key_id": event.key_id,
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def audit_hash(event: AuditEvent, key: bytes) -> str:
    return hmac.new(key, canonical(event), hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def audit_record(
    *, actor=None, action: str, target: str = "", outcome: str = "success", ip: str | None = None, payload=None
) -> AuditEvent:
    """Append one audit row to the chain. `actor` None (or anonymous) is the system or an unknown person; the
    target then says who was tried (a username). Two queries and an insert, under the chain lock.

    Inside a longer transaction the PostgreSQL lock is held until that transaction ends: call this last, after
    the service's own row locks, so two services never wait on each other's locks in opposite order."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    key_id, key = _current_key()
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            prev_hash=prev_hash,
            created_at=clock.now(),
            actor=actor,
            actor_label=(actor.label if actor is not None else "")[:100],
            action=action,
            target=(target or "")[:200],
            outcome=outcome,
            ip=_normal_ip(ip),
            payload=_normal_payload(payload),
            key_id=key_id,
        )
        event.hash = audit_hash(event, key)
        event.save(force_insert=True)
    return event


# How a refused action is filed: by the HTTP status of the typed error (core/errors.py) that refused it.
REFUSAL_OUTCOMES = {403: "refused", 404: "not_found", 409: "conflict"}


def audit_refusal(
    *, actor, action: str, target: str, error: DomainError, outcome: str | None = None, payload=None
) -> AuditEvent | None:
    """Record an attempt that a service refused (等保: failed attempts, with who, when, from where and the outcome):
    403 → "refused", 404 → "not_found", 409 → "conflict"; other errors (a 422 bad input) are not security events
    and write nothing unless the caller names the outcome. The address is the current request's. Call it after the
    failed transaction has rolled back, so the row survives the rollback and the chain lock is not held under the
    service's row locks."""
    outcome = outcome or REFUSAL_OUTCOMES.get(error.status)
    if outcome is None:
        return None
    return audit_record(
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        ip=current_client_ip(),
        payload={"code": error.code, "detail": error.detail, **(payload or {})},
    )


ADOPTED_ACTION = "audit.legacy_adopted"


def _row_digest(event) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def adopt_unchained(model=AuditEvent) -> int:
    """Sign the rows written before the chain existed (seq NULL) into it: one chained `audit.legacy_adopted` row
    names each with the hash of its content. Used once, by migration core/0004 (with its historical model);
    returns how many rows it adopted."""
    unchained = list(model.objects.filter(seq__isnull=True).order_by("pk"))
    if not unchained:
        return 0
    key_id, key = _current_key()
    _lock_chain()
    last = model.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = model(
        seq=seq,
        prev_hash=prev_hash,
        created_at=clock.now(),
        actor_id=None,
        actor_label="",
        action=ADOPTED_ACTION,
        target="",
        outcome="success",
        ip=None,
        payload={"rows": {str(row.pk): _row_digest(row) for row in unchained}},
        key_id=key_id,
    )
    event.hash = audit_hash(event, key)
    event.save(force_insert=True)
    return len(unchained)


@dataclass
class VerifyReport:
    checked: int = 0
    adopted: int = 0  # rows from before the chain, each named with its content by an audit.legacy_adopted row
    head: tuple[int, str] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, anchors: list[tuple[int, str]] = (), batch: int = 2000) -> VerifyReport:
    """Walk the chain in `seq` order and report every changed, deleted or inserted row. Reads in batches.

    `anchors` are (seq, hash) pairs recorded earlier outside the database (checkpoints, `audit anchor`, a
    backup's manifest): each must still be in the chain, unchanged, unless a purge record explains its absence.
    A row without `seq` is a problem unless migration core/0004 adopted it (its id and content hash are in a
    chained `audit.legacy_adopted` row): no "legacy" rows on trust."""
    report = VerifyReport()
    keys = _keys()
    _unchained_problems(report)
    first = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").first()
    if first is None:
        for seq, _hash in anchors:
            report.problems.append(f"anchored row seq={seq} is missing (the log was emptied)")
        return report
    expected, prev = 1, GENESIS
    if first.seq != 1:
        marker = (
            AuditEvent.objects.filter(action=PURGE_ACTION, payload__through_seq=first.seq - 1).order_by("seq").first()
        )
        if marker is None or marker.payload.get("head_hash") != first.prev_hash:
            report.problems.append(f"rows seq=1..{first.seq - 1} are missing and no purge record explains it")
        expected, prev = first.seq, first.prev_hash
    seen: dict[int, str] = {}
    anchor_map = dict(anchors)
    last_seq = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(seq__gte=expected if last_seq == 0 else last_seq + 1).order_by("seq")[:batch]
        )
        if not rows:
            break
        for row in rows:
            if row.seq != expected:
                report.problems.append(f"rows seq={expected}..{row.seq - 1} are missing (deleted)")
            if row.prev_hash != prev:
                report.problems.append(f"row seq={row.seq} (id={row.pk}) does not link to the row before it")
            key = keys.get(row.key_id)
            if key is None:
                report.problems.append(f"row seq={row.seq} (id={row.pk}) uses unknown audit key {row.key_id}")
            elif not hmac.compare_digest(audit_hash(row, key), row.hash):
                report.problems.append(f"row seq={row.seq} (id={row.pk}) was changed after it was written")
            if row.seq in anchor_map:
                seen[row.seq] = row.hash
            prev, expected, last_seq = row.hash, row.seq + 1, row.seq
            report.checked += 1
            report.head = (row.seq, row.hash)
    for seq, anchored_hash in anchors:
        if seq not in seen:
            if seq >= first.seq:
                report.problems.append(f"anchored row seq={seq} is missing (the log was truncated)")
        elif seen[seq] != anchored_hash:
            report.problems.append(f"anchored row seq={seq} has a different hash than when it was anchored")
    return report


def _unchained_problems(report: VerifyReport) -> None:
    unchained = list(AuditEvent.objects.filter(seq__isnull=True).order_by("pk"))
    if not unchained:
        return
    adopted: dict[str, str] = {}
    for payload in AuditEvent.objects.filter(action=ADOPTED_ACTION, seq__isnull=False).values_list(
        "payload", flat=True
    ):
        adopted.update((payload or {}).get("rows", {}))
    for row in unchained:
        digest = adopted.get(str(row.pk))
        if digest is None:
            report.problems.append(f"row id={row.pk} ({row.action}) was inserted outside the chain")
        elif not hmac.compare_digest(digest, _row_digest(row)):
            report.problems.append(f"row id={row.pk} ({row.action}) from before the chain was changed")
        else:
            report.adopted += 1


def audit_purge(*, older_than_days: int, actor=None) -> int:
    """Delete chained rows older than `older_than_days` (never less than the retention setting). The deliberate
    path past the triggers: the guard is lifted and restored inside one transaction, so no other session sees it
    lifted, and a marker row records where the chain now starts. Returns the number of rows deleted."""
    if older_than_days < settings.GRIDSAFE_AUDIT_RETENTION_DAYS:
        raise ValueError(f"audit rows are kept at least {settings.GRIDSAFE_AUDIT_RETENTION_DAYS} days")
    cutoff = clock.now() - timedelta(days=older_than_days)
    with transaction.atomic():
        _lock_chain()
        doomed = AuditEvent.objects.filter(seq__isnull=False, created_at__lt=cutoff).order_by("-seq")
        last = doomed.values_list("seq", "hash").first()
        if last is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute("UPDATE append_only_guard SET lifted = %s WHERE id = 1", [True])
            cursor.execute(
                "DELETE FROM core_auditevent WHERE seq <= %s OR (seq IS NULL AND created_at < %s)", [last[0], cutoff]
            )
            deleted = cursor.rowcount
            cursor.execute("UPDATE append_only_guard SET lifted = %s WHERE id = 1", [False])
        audit_record(
            actor=actor,
            action=PURGE_ACTION,
            payload={"through_seq": last[0], "head_hash": last[1], "deleted": deleted, "cutoff": cutoff},
        )
    return deleted


def audit_head() -> tuple[int, str] | None:
    return AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()


# ---------------------------------------------------------------- signed checkpoints, kept outside the database
#
# A hash chain shows a changed or missing row in its middle, but not rows removed from its END: the shorter chain
# still links up. So every hour the worker (and `gridsafe audit checkpoint` on demand) appends one line to a file
# outside the database: the audit chain's head, the case events' count and highest id, and the heads of the case
# timelines touched since the previous line (every case in the first line). Each line is HMAC-signed with a key
# derived from the audit key, so a database writer can neither forge nor quietly edit one; `audit verify` holds
# the database to every line. Ship the file off the host (docs/deploy.md): whoever can truncate it can forget.

CHECKPOINT_LOOKBACK = timedelta(hours=1)  # a case touched just before the previous line may have committed after it


def checkpoint_path() -> Path:
    """GRIDSAFE_AUDIT_CHECKPOINTS if set, else $GRIDSAFE_DATA/audit/checkpoints.jsonl."""
    configured = settings.GRIDSAFE_AUDIT_CHECKPOINTS
    return Path(configured) if configured else Path(settings.DATA_DIR) / "audit" / "checkpoints.jsonl"


def _database_label() -> str:
    # Lines name the database they describe: a test database or a copy never judges another's lines.
    return f"{connection.vendor}:{connection.settings_dict.get('NAME')}"


def _signed_text(doc: dict) -> bytes:
    body = {k: v for k, v in doc.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Checkpoints:
    lines: list[dict] = field(default_factory=list)  # valid lines for this database, oldest first
    other_database: int = 0
    problems: list[str] = field(default_factory=list)


def checkpoints_read(path: Path | str) -> Checkpoints:
    """The file's lines that carry a valid signature and name this database; a line that does not parse or
    verify is a problem (the file was edited)."""
    found = Checkpoints()
    path = Path(path)
    if not path.exists():
        return found
    keys = derived_keys("checkpoint")
    label = _database_label()
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            doc = json.loads(text)
            key = keys.get(doc.get("key"))
            valid = key is not None and hmac.compare_digest(
                hmac.new(key, _signed_text(doc), hashlib.sha256).hexdigest(), str(doc.get("sig"))
            )
        except (ValueError, TypeError, AttributeError):
            valid = False
        if not valid:
            found.problems.append(f"checkpoint line {number} of {path} has no valid signature (edited or forged)")
        elif doc.get("db") != label:
            found.other_database += 1
        else:
            found.lines.append(doc)
    return found
