"""The product URLconf plus one benchmark endpoint: POST /bench/floor/cases (see bench/floor_views.py).

BENCH_NO_ROLLUPS=1 is a what-if experiment (bench/intake --experiment no-rollups): the case services skip the
dashboard rollups. It patches the running process only, and is never the product's behaviour."""

import os

from django.urls import include, path

from bench.floor_views import floor_case

if os.environ.get("BENCH_NO_ROLLUPS") == "1":
    from gridsafe.cases import services

    services.rollup_apply_event = lambda **kwargs: None

urlpatterns = [
    path("bench/floor/cases", floor_case, name="bench_floor_case"),
    path("", include("gridsafe.urls")),
]
