"""The phone's big reads cost a fixed number of queries, however many places, cases and tasks a grid holds."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import counted_queries
from gridsafe.cases.tests.helpers import report
from gridsafe.field.tests.conftest import make_place


def _count(api, path):
    api.get(path)  # the token's lookup is then kept (accounts.identities)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(counted_queries(ctx))


def _walk(worker, grid):
    import uuid

    patrol = worker.post("/api/v1/field/patrols", {"client_id": str(uuid.uuid4()), "grid_code": grid.code}).json()
    worker.post(f"/api/v1/field/patrols/{patrol['client_id']}/end", {"nothing_found": True})
    worker.post("/api/v1/field/publicity", {"client_id": str(uuid.uuid4()), "grid_code": grid.code, "title": "宣传"})


def test_sync_week_and_lists_do_not_grow_with_rows(api_as, field_world):
    worker = api_as("nanxi_worker")
    paths = [
        "/api/v1/field/sync",
        "/api/v1/field/week",
        "/api/v1/field/places",
        "/api/v1/field/patrols",
        "/api/v1/field/publicity",
    ]
    grid = field_world["grids"][0]
    report(worker)
    _walk(worker, grid)
    before = {p: _count(worker, p) for p in paths}
    for i in range(8):
        make_place(grid, name=f"出租房{i}", kind="rental_housing", domain="rental")
    for _ in range(4):
        report(worker)
        _walk(worker, grid)
    after = {p: _count(worker, p) for p in paths}
    assert after == before
    assert max(before.values()) <= 16, before
