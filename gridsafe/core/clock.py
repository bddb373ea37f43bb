"""The one clock every service reads. The demo loader back-dates a year of cases by freezing it."""

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_frozen = threading.local()


def now() -> datetime:
    value = getattr(_frozen, "value", None)
    return value if value is not None else timezone.now()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Make `now()` return `at` in this thread (demo seeding, tests of deadlines)."""
    previous = getattr(_frozen, "value", None)
    _frozen.value = at
    try:
        yield
    finally:
        _frozen.value = previous
