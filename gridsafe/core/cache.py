"""Small in-process caches of reference data (grid index, unit routing, time limits, categories, region tree,
working calendar).

Each cache holds a value built from the database and rechecks its version row (core.models.CacheVersion) at most
every `check_seconds`, so a hot path (case intake) costs no query, and an admin edit reaches every process soon:
`invalidate()` bumps the row in the edit's own transaction and drops this process's copy at once.

Invalidation is owned by the services that write reference data (catalog.services, regions.services,
accounts.services …; the admin calls them), not by each writer remembering it. As a backstop every cache also has a
maximum age (`max_age`, DEFAULT_MAX_AGE unless the cache says otherwise): a copy older than that is rebuilt whatever
the version row says, so a change made behind the services' back (a raw UPDATE, a restore, a shell session) reaches
every process within `max_age` seconds at worst."""

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from gridsafe.core.models import CacheVersion

T = TypeVar("T")

# Seconds a built copy is used at most, even if its version row never moves. Long enough that a hot path rebuilds
# rarely (a few queries every 5 minutes per process), short enough that a forgotten invalidation heals on its own.
DEFAULT_MAX_AGE = 300.0

_all: list["VersionedCache"] = []


def read_version(name: str) -> int | None:
    return CacheVersion.objects.filter(name=name).values_list("version", flat=True).first()


def bump_version(name: str) -> int:
    version = time.time_ns()
    CacheVersion.objects.update_or_create(name=name, defaults={"version": version})
    return version


class VersionedCache(Generic[T]):
    def __init__(
        self,
        name: str,
        build: Callable[[], T],
        check_seconds: float = 30.0,
        max_age: float = DEFAULT_MAX_AGE,
        follows: tuple[str, ...] = (),
    ):
        self.name = name
        # Names of caches whose rows this one's value is also built from: invalidating one of them invalidates this
        # one too, so a lower layer's service (regions) need not know of the caches above it (accounts).
        self.follows = follows
        self.build = build
        self.check_seconds = check_seconds
        self.max_age = max_age  # rebuilt after this many seconds even if the version row never moved
        self._built_at = 0.0
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version: object = None
        self._checked_at = 0.0
        self.invalidated = False  # since the last forget() (tests reset what a rolled-back test changed)
        self.clock = time.monotonic  # tests move it forward
        _all.append(self)

    def get(self) -> T:
        now = self.clock()
        value = self._value  # read once: invalidate() may set it to None between two reads
        if value is not None and now - self._checked_at < self.check_seconds and now - self._built_at < self.max_age:
            return value
        with self._lock:
            version = read_version(self.name)
            if self._value is None or version != self._version or now - self._built_at >= self.max_age:
                self._value = self.build()
                self._version = version
                self._built_at = now
            self._checked_at = now
            return self._value

    def version(self) -> str:
        """The version of the value this process holds now (refreshed as get() refreshes it)."""
        self.get()
        return str(self._version or 0)

    def invalidate(self) -> None:
        """Call after changing the underlying rows (seeding, admin edits, tests), in the same transaction. Every
        cache of this name in this process drops its copy now (the region tree shares the grid index's name), and so
        does every cache that follows it."""
        _invalidate(self.name, set())

    def forget(self) -> None:
        """Drop this process's copy; the next get() rebuilds from the database."""
        with self._lock:
            self._value = None
            self._version = None
            self._checked_at = 0.0
            self.invalidated = False


def _invalidate(name: str, done: set[str]) -> None:
    done.add(name)
    bump_version(name)
    for cache in _all:
        if cache.name == name:
            with cache._lock:
                cache._value = None
                cache._checked_at = 0.0
                cache.invalidated = True
    for follower in {cache.name for cache in _all if name in cache.follows} - done:
        _invalidate(follower, done)


def forget_invalidated() -> None:
    """Tests: drop every copy a test invalidated. Its transaction is rolled back, version row included, so the copy
    built from its rows must not outlive it."""
    for cache in _all:
        if cache.invalidated:
            cache.forget()
