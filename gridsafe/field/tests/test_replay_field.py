"""The field app's create-once records (issue #12): a resend is the same person's identical request, checked after
the same 辖区 check as a new one. Someone else's client or request id never returns another person's record."""

import uuid
from datetime import timedelta

from gridsafe.accounts.identities import identities, identities_changed
from gridsafe.cases.models import Case
from gridsafe.core import clock
from gridsafe.field.models import PublicityActivity
from gridsafe.field.tests.test_visits import visit_body
from gridsafe.places.models import PlaceRevision


def _patrol(worker, grid):
    body = {
        "client_id": str(uuid.uuid4()),
        "grid_code": grid.code,
        "started_at": (clock.now() - timedelta(minutes=20)).isoformat(),
    }
    response = worker.post("/api/v1/field/patrols", body)
    assert response.status_code == 201, response.content
    return response.json()["client_id"]


def test_a_supervisor_resending_the_workers_end_of_patrol_is_403_not_a_repeat(api_as, field_world):
    """The station officer may look at 王芳's patrol, never end it: not even by sending her end again."""
    worker, station = api_as("nanxi_worker"), api_as("nanxi")
    patrol = _patrol(worker, field_world["grids"][0])
    end = {"nothing_found": True, "note": "已巡查无隐患"}
    assert worker.post(f"/api/v1/field/patrols/{patrol}/end", end).status_code == 200

    response = station.post(f"/api/v1/field/patrols/{patrol}/end", end)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_permitted"
    assert worker.post(f"/api/v1/field/patrols/{patrol}/end", end).status_code == 200  # her own resend still lands


def test_a_publicity_resend_after_the_worker_left_the_grid_is_404(api_as, people, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    body = {"client_id": str(uuid.uuid4()), "grid_code": grid.code, "title": "入户宣传"}
    assert worker.post("/api/v1/field/publicity", body).status_code == 201

    people["nanxi_worker"].grids.remove(grid)
    identities_changed()
    identities.forget()
    again = worker.post("/api/v1/field/publicity", body)

    assert again.status_code == 404, again.content
    assert again.json()["code"] == "not_found" and "client_id" not in again.json()
    assert PublicityActivity.objects.filter(client_id=body["client_id"]).count() == 1


def test_someone_elses_publicity_client_id_is_409(api_as, field_world):
    grid = field_world["grids"][0]
    body = {"client_id": str(uuid.uuid4()), "grid_code": grid.code, "title": "入户宣传"}
    assert api_as("nanxi_worker").post("/api/v1/field/publicity", body).status_code == 201

    response = api_as("nanxi").post("/api/v1/field/publicity", body)

    assert response.status_code == 409 and response.json()["code"] == "idempotency_conflict"


def _patch(api, place_id, body):
    return api.client.patch(
        f"/api/v1/field/places/{place_id}", body, content_type="application/json", headers=api.headers
    )


def test_someone_elses_request_id_for_the_same_place_edit_is_409(api_as, field_world):
    """Both may edit 林记液化气供应点; the station's resend of the worker's edit is not the worker's edit."""
    worker, station = api_as("nanxi_worker"), api_as("nanxi")
    place = field_world["lpg"]
    edit = {"request_id": str(uuid.uuid4()), "base_version": 1, "changes": {"address": "南溪村12号"}}
    assert _patch(worker, place.pk, edit).status_code == 200

    response = _patch(station, place.pk, edit)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "idempotency_conflict"
    assert PlaceRevision.objects.filter(place=place).count() == 1
    assert _patch(worker, place.pk, edit).status_code == 200  # the worker's own resend is a repeat


def test_failed_checklist_items_are_patrol_cases(api_as, field_world):
    """The source of a visit's cases is the channel's (巡查), decided by the server."""
    worker = api_as("nanxi_worker")
    response = worker.post("/api/v1/field/visits", visit_body(field_world["lpg"], fail={"L02"}))
    assert response.status_code == 201, response.content
    assert set(Case.objects.values_list("source", flat=True)) == {"patrol"}
