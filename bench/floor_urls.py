"""The product URLconf plus one benchmark endpoint: POST /bench/floor/cases (see bench/floor_views.py).

BENCH_NO_ROLLUPS=1 is a what-if experiment (bench/intake --experiment no-rollups): the case services skip the
dashboard rollups. BENCH_NOTIFY_IN_TRANSACTION=1 (--experiment notify-in-transaction): the after-commit callbacks
of the case services (the notification task) run at once, inside the case transaction, so a report costs one
commit instead of two. BENCH_WRITES_ONE_BY_ONE=1 (--experiment writes-one-by-one): a report's case, event and
rollup writes go one statement at a time inside a transaction, as on SQLite, instead of core.rows.Writes' one
statement. All patch the running process only, and are never the product's behaviour."""

import os

from django.urls import include, path

from bench.floor_views import floor_case

if os.environ.get("BENCH_NO_ROLLUPS") == "1":
    from gridsafe.cases import hooks

    hooks.IN_TRANSACTION.clear()  # the rollups are the one in-transaction listener of a case event

if os.environ.get("BENCH_NOTIFY_IN_TRANSACTION") == "1":
    from types import SimpleNamespace

    from django.db import transaction

    from gridsafe.cases import hooks

    hooks.transaction = SimpleNamespace(atomic=transaction.atomic, on_commit=lambda func, **kwargs: func())

if os.environ.get("BENCH_WRITES_ONE_BY_ONE") == "1":
    from django.db import connections, transaction

    from gridsafe.core import rows

    def _one_by_one(self) -> None:
        if self._parts:
            with transaction.atomic(using=self.using):
                self._run_one_by_one(connections[self.using])

    rows.Writes.run = _one_by_one

urlpatterns = [
    path("bench/floor/cases", floor_case, name="bench_floor_case"),
    path("", include("gridsafe.urls")),
]
