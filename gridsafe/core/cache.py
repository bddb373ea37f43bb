"""Small in-process caches of reference data (calendar, time limits, grid index, unit routing).

Each cache holds a value built from the database and rechecks a shared version number in Django's cache at most
every `check_seconds`, so a hot path (case intake) costs no query, and an admin edit reaches every process soon."""

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")


class VersionedCache(Generic[T]):
    def __init__(self, name: str, build: Callable[[], T], check_seconds: float = 30.0):
        self.key = f"gridsafe:{name}:version"
        self.build = build
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version: object = None
        self._checked_at = 0.0

    def get(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked_at < self.check_seconds:
            return self._value
        with self._lock:
            version = cache.get(self.key)
            if self._value is None or version != self._version:
                self._value = self.build()
                self._version = version
            self._checked_at = now
            return self._value

    def invalidate(self) -> None:
        """Call after changing the underlying rows (seeding, admin edits, tests)."""
        with self._lock:
            cache.set(self.key, time.time_ns(), timeout=None)
            self._value = None
            self._checked_at = 0.0
