"""Telling an offline resend from a new request: the one request fingerprint and the one "create once" helper.

Every record a phone or page creates carries the client's UUID (reports, attachments, patrols, visits, publicity,
places). A resend with that UUID is answered with the record it made when it is the same request: the same actor and
the same body (the same fingerprint). The same UUID from anyone else, or with another body, is
`IdempotencyConflict` (409): a client id is no capability, and a changed body must not be answered as if it landed.
A unique constraint on `client_id` closes the race of two identical resends arriving together: the loser's insert
fails, it re-reads, and answers as a repeat.

The fingerprint is an HMAC-SHA256 of a canonical JSON of the body, under a key derived from SECRET_KEY with a fixed
salt. Keyed, because a body may hold a contact phone (encrypted at rest) that a plain SHA-256 would give back to a
brute force over phone numbers; not under the personal-data field key, because that key rotates
(`gridsafe reseal_personal_data`) and a phone's outbox may still hold a request fingerprinted before the rotation."""

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from django.db import IntegrityError, models
from django.utils.crypto import salted_hmac

from gridsafe.core.errors import IdempotencyConflict
from gridsafe.core.fields import blind_index_all_keys

T = TypeVar("T", bound=models.Model)

_SALT = "gridsafe.core.idempotency.request_fingerprint"  # fixed: changing it turns every stored resend into a 409


def canonical_value(value: Any) -> Any:
    """A JSON-able form that does not depend on how the value was sent: instants in UTC, ids and decimals as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date | uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    return value


def canonical_json(payload: Any) -> str:
    return json.dumps(canonical_value(payload), sort_keys=True, ensure_ascii=False, default=str)


def request_fingerprint(payload: Any) -> str:
    """The fingerprint of one request body (64 hex characters)."""
    return salted_hmac(_SALT, canonical_json(payload), algorithm="sha256").hexdigest()


def _legacy_fingerprints(payload: Any) -> list[str]:
    """What rows written before this module hold: a plain SHA-256 of the body as then serialised (reports, field
    records, case events, places before keying) or a places fingerprint under a field key still configured.
    Accepted on comparison only, so a phone's outbox from before the upgrade still lands; never written."""
    old = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return [hashlib.sha256(old.encode()).hexdigest(), *blind_index_all_keys(old)]


def fingerprint_matches(stored: str | None, payload: Any) -> bool:
    """Whether `stored` is the fingerprint of `payload` (or a legacy one of it)."""
    if not stored:
        return False
    if hmac.compare_digest(stored, request_fingerprint(payload)):
        return True
    return any(hmac.compare_digest(stored, old) for old in _legacy_fingerprints(payload))


def find_repeat(
    queryset: models.QuerySet[T],
    *,
    client_id: uuid.UUID,
    actor_id: int | None,
    payload: Any,
    actor_field: str,
    conflict: str,
    stored: Callable[[T], str | None] = lambda row: row.client_fingerprint,  # type: ignore[attr-defined]
) -> T | None:
    """The record this client id already made, if it is this actor's identical request; None if there is none.
    Anything else under the id is `IdempotencyConflict` (409). `actor_field` names who made the record (dotted
    through a relation the queryset selects); `stored` gives its fingerprint: the column by default, or one
    computed from the row where the row itself is what was sent (an upload's case and SHA-256). get() on the
    unique key (no ORDER BY)."""
    try:
        existing = queryset.get(client_id=client_id)
    except queryset.model.DoesNotExist:
        return None
    if attrgetter(actor_field)(existing) != actor_id or not fingerprint_matches(stored(existing), payload):
        raise IdempotencyConflict(conflict)
    return existing


def create_once(
    queryset: models.QuerySet[T],
    *,
    client_id: uuid.UUID,
    actor_id: int | None,
    payload: Any,
    create: Callable[[str], T],
    actor_field: str,
    conflict: str,
    stored: Callable[[T], str | None] = lambda row: row.client_fingerprint,  # type: ignore[attr-defined]
    look_first: bool = True,
) -> tuple[T, bool]:
    """Create a record once per client id. Returns (record, created).

    `create(fingerprint)` writes the record (storing the fingerprint where the model keeps one) in a transaction of
    its own — a durable service or an atomic block, the savepoint that a failed insert rolls back so the re-read
    can run — and may refuse with a DomainError. A resend — found first (`look_first`), or when the insert hits the unique client id because a
    concurrent identical resend won — is answered with the original if `find_repeat` accepts it. An IntegrityError
    with no record under the id (another constraint) propagates. `look_first=False` skips the lookup on the common
    path, for intake where a resend is rare."""

    def repeat() -> T | None:
        return find_repeat(
            queryset,
            client_id=client_id,
            actor_id=actor_id,
            payload=payload,
            actor_field=actor_field,
            stored=stored,
            conflict=conflict,
        )

    if look_first:
        existing = repeat()
        if existing is not None:
            return existing, False
    fingerprint = request_fingerprint(payload)
    try:
        return create(fingerprint), True
    except IntegrityError:
        existing = repeat()
        if existing is None:
            raise
        return existing, False
