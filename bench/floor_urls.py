"""The product URLconf plus one benchmark endpoint: POST /bench/floor/cases (see bench/floor_views.py).

BENCH_NO_ROLLUPS=1 is a what-if experiment (bench/intake --experiment no-rollups): the case services skip the
dashboard rollups. BENCH_NOTIFY_IN_TRANSACTION=1 (--experiment notify-in-transaction): the after-commit callbacks
of the case services (the notification task) run at once, inside the case transaction, so a report costs one
commit instead of two. Both patch the running process only, and are never the product's behaviour."""

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

urlpatterns = [
    path("bench/floor/cases", floor_case, name="bench_floor_case"),
    path("", include("gridsafe.urls")),
]
