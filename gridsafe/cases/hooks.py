"""What the layers above cases do with a case event, registered by them: cases tells, it never imports its listeners.

Two kinds, both filled in by the listening app's `AppConfig.ready()`:

* `on_case_event(func)` — runs inside the service's transaction, right after the event row (`_move`) or with the
  queued writes of a new case (`_case_insert`): what must commit or roll back with the event (the dashboards'
  rollups). Called as ``func(event=..., case_before=..., case_after=..., changes=..., writes=...)``.
* `after_case_event(func, wants=...)` — scheduled with `transaction.on_commit` for events whose kind `wants`
  accepts (notifications' task): work that must only see committed rows. Called as ``func(event_id=...)``.

Order is registration order (INSTALLED_APPS order of the apps' ready()). The lists are process-wide and filled once
at start-up; registering the same function twice keeps one entry (ready() can run twice in tests)."""

from collections.abc import Callable
from functools import partial

from django.db import transaction

IN_TRANSACTION: list[Callable[..., None]] = []
AFTER_COMMIT: list[tuple[Callable[[str], bool], Callable[..., None]]] = []


def on_case_event(func: Callable[..., None]) -> Callable[..., None]:
    if func not in IN_TRANSACTION:
        IN_TRANSACTION.append(func)
    return func


def after_case_event(func: Callable[..., None], *, wants: Callable[[str], bool]) -> Callable[..., None]:
    if all(registered != func for _, registered in AFTER_COMMIT):  # == : a bound method is new at each access
        AFTER_COMMIT.append((wants, func))
    return func


def case_event_written(*, event, case_before=None, case_after=None, changes=None, writes=None) -> None:
    """Called by the case services for every event they write, inside their transaction."""
    for func in IN_TRANSACTION:
        func(event=event, case_before=case_before, case_after=case_after, changes=changes, writes=writes)


def case_event_schedule(event) -> None:
    """Called by the case services once the event has its id: queue the after-commit listeners that want it."""
    for wants, func in AFTER_COMMIT:
        if wants(event.kind):
            transaction.on_commit(partial(func, event_id=event.pk))
