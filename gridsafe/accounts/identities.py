"""Who a bearer token is, kept per process for a short while (accounts.services.user_for_token).

The token lookup — the token joined to its user, unit, region and grids — was 15–20 % of a hazard report's CPU and
one of its two database round trips. A process keeps what the lookup read, by the token's SHA-256, and answers
the same token's next requests from it while the lookup is fresh: taken less than GRIDSAFE_TOKEN_KEEP_SECONDS
(a minute) ago by this process's monotonic clock, and the token used less than a minute ago (TOKEN_TOUCH_INTERVAL,
so the lookup that slides the token's idle limit on still runs once a minute).

Revocation is not left to that age. Every change to what the lookup reads — a token deleted (logout, revocation,
password, second factor), a user's role, activity or other fields, a user's unit or grids, a unit or a region
edited — calls `identities_changed()` in its own transaction. That bumps the shared version row
(core.cache.VersionedCache), which every process rechecks every IDENTITY_RECHECK_SECONDS: within a second of the
commit no process uses a copy taken before it. (The process making the change drops its copies at once, but a
lookup running meanwhile in another of its threads may keep a row read before the commit until that recheck.)
The version is one for all tokens: a logout empties every process's copies, and each active token is looked up
once more; logouts are rare beside requests. A change made behind the services' back (raw SQL, a shell) is seen
within GRIDSAFE_TOKEN_KEEP_SECONDS."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from gridsafe.accounts.models import ApiToken
from gridsafe.core.cache import VersionedCache

IDENTITY_RECHECK_SECONDS = 1.0
_KEPT = 10_000  # distinct tokens a process keeps (a county has a few thousand users); past it, start afresh


@dataclass(frozen=True, slots=True)
class Identity:
    """One token lookup's row, as read (the instances are built anew for every request: a request may annotate
    its user, and no request may see another's)."""

    row: tuple
    expires_at: datetime
    last_used_at: datetime
    taken_at: float  # identities.clock() when read


identities: VersionedCache[dict[str, Identity]] = VersionedCache(
    # A token's lookup carries its user's unit and grid paths: a region or unit edit reaches it too.
    "identities",
    dict,
    check_seconds=IDENTITY_RECHECK_SECONDS,
    follows=("grid_index", "unit_routing"),
)


def identity_fresh(kept: dict[str, Identity], key_hash: str) -> Identity | None:
    """The copy of this token's lookup if it is young enough (the caller checks the token's own times)."""
    identity = kept.get(key_hash)
    if identity is None or identities.clock() - identity.taken_at >= settings.GRIDSAFE_TOKEN_KEEP_SECONDS:
        return None
    return identity


def identity_keep(kept: dict[str, Identity], key_hash: str, identity: Identity) -> None:
    if len(kept) >= _KEPT:
        kept.clear()
    kept[key_hash] = identity


def identities_changed() -> None:
    """Call in the transaction of any change to tokens, users, their units or grids, units or regions (before
    audit_record, which locks last): no process uses a copy taken before the commit for longer than
    IDENTITY_RECHECK_SECONDS after it."""
    identities.invalidate()


def tokens_revoke(user_id: int) -> int:
    """Every bearer token of this user stops working (password, role or second factor changed, account
    deactivated, password sign-in disabled), in every process within a second of the commit."""
    deleted, _ = ApiToken.objects.filter(user_id=user_id).delete()
    identities_changed()
    return deleted
