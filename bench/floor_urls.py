"""The product URLconf plus one benchmark endpoint: POST /bench/floor/cases (see bench/floor_views.py)."""

from django.urls import include, path

from bench.floor_views import floor_case

urlpatterns = [
    path("bench/floor/cases", floor_case, name="bench_floor_case"),
    path("", include("gridsafe.urls")),
]
