"""Telling a retry from a new request: the digest of an action request, stored on its event, and the repeat check
every case service runs first (`case_service`)."""

import uuid
from contextvars import ContextVar
from typing import Any

from gridsafe.accounts.models import User
from gridsafe.cases.models import CaseEvent
from gridsafe.cases.permissions import (
    cases_visible_to,
)
from gridsafe.cases.transitions import Action
from gridsafe.core.errors import (
    CaseNotFound,
    RequestIdReused,
)
from gridsafe.core.idempotency import canonical_value, fingerprint_matches, request_fingerprint

# The digest of the request being served, set by `case_service` around one service call and stored by `_move` in
# the event's payload: the event row is written deep inside each service, and threading one more argument through
# twenty-two of them would only repeat the same line. Services never nest (durable=True), so one value at a time.
_REQUEST_DIGEST: ContextVar[str | None] = ContextVar("gridsafe_case_request_digest", default=None)
REQUEST_DIGEST_KEY = "request_digest"
_NOT_IN_DIGEST = frozenset({"actor", "now"})  # who sends is compared on its own; `now` is the sweep's clock
# A 备注 decides nothing, so the field app sends it with the version current at each try (cases re-read, app.js
# caseAction): its retry after a lost answer carries a newer version than the send that landed. Every decision
# carries the version the user saw, and a retry of it the same one.
_VERSION_FREE = frozenset({Action.COMMENT})
_canonical = canonical_value  # one canonical form for every fingerprint (core.idempotency)


def request_body(action: str, fields: dict[str, Any]) -> list[Any]:
    """What identifies one action request: the action and every field the actor sent, the version seen included (a
    true retry resends the identical body), except for a 备注 (`_VERSION_FREE`). Empty values are left out, so the
    page (which names every field of its form) and the API (which names the schema's) send the same request alike;
    the request id itself is the key."""
    left_out = _NOT_IN_DIGEST | ({"expected_version"} if action in _VERSION_FREE else set())
    return [action, {k: _canonical(v) for k, v in fields.items() if k not in left_out and v not in (None, "", [], {})}]


def request_digest(action: str, fields: dict[str, Any]) -> str:
    """The fingerprint of one action request (`core.idempotency`, the one every create by client id uses)."""
    return request_fingerprint(request_body(action, fields))


def _replayed(*, case_id: int, request_id: uuid.UUID, actor: User | None, action: str, fields: dict[str, Any]) -> bool:
    """Whether this request already landed on this case. A repeat must be the same request: the same actor, the same
    action and the same body; the same request id with anything else is `RequestIdReused` (409), never an answer
    (a request id is no capability: whoever learns one must not get the case back through it). A person's repeat
    also passes the 辖区 check a new request passes, so a retry after a 回退, a transfer or a move to another unit
    is 404 like any case outside the actor's view. One query on the common path (no event with this id)."""
    event = (
        CaseEvent.objects.filter(case_id=case_id, request_id=request_id).only("actor_id", "action", "payload").first()
    )
    if event is None:
        return False
    stored = (event.payload or {}).get(REQUEST_DIGEST_KEY)
    same = (
        event.actor_id == (actor.pk if actor is not None else None)
        and event.action == action
        # Events written before digests were kept have none: same actor and action is all they can be checked on.
        and (actor is None or stored is None or fingerprint_matches(stored, request_body(action, fields)))
    )
    if actor is not None and not cases_visible_to(actor).filter(pk=case_id).exists():
        raise CaseNotFound("未找到该隐患")  # the same answer for missing and not yours, before anything else
    if not same:
        raise RequestIdReused(
            "该 request_id 已用于另一次操作（操作人、操作类型或内容不同），请重新提交",
            case_id=case_id,
        )
    return True


def _with_request_digest(payload: dict[str, Any] | None) -> dict[str, Any]:
    """The event's payload with the digest of the request that made it (`case_service`), for telling a retry from a
    reuse of its request id later. The sweep's own moves carry none."""
    digest = _REQUEST_DIGEST.get()
    return {**(payload or {}), REQUEST_DIGEST_KEY: digest} if digest else dict(payload or {})
