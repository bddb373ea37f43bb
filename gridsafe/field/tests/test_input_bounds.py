"""The field app and places take the same input base as every API (issue #12): a year-1 or year-9999 moment with a
±23:59 offset on a patrol, a track point, a visit, a publicity record or a photo is 422 naming the field, nothing is
stored, and the reads that follow (place list, patrol list, case page) stay 200 — on SQLite and PostgreSQL."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import TestCase

from gridsafe.cases.tests.helpers import report
from gridsafe.core import clock
from gridsafe.field.models import Patrol, PlaceVisit, TrackPoint
from gridsafe.field.tests.conftest import jpeg
from gridsafe.field.tests.test_visits import visit_body
from gridsafe.places.models import Place

PROBLEM = "application/problem+json"
EDGE_MOMENTS = ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"]
HUGE = 2**64


def assert_422(response, *mentions):
    assert response.status_code == 422, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    detail = response.json()["detail"]
    for word in mentions:
        assert word in detail, (word, detail)


def _reads_still_work(api):
    for path in ("/api/v1/field/places", "/api/v1/field/patrols", "/api/v1/field/publicity", "/api/v1/field/week"):
        assert api.get(path).status_code == 200, path


@pytest.fixture
def worker(api_as, field_world):
    return api_as("nanxi_worker")


def _start(worker, grid, **extra):
    return worker.post("/api/v1/field/patrols", {"client_id": str(uuid.uuid4()), "grid_code": grid.code, **extra})


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_patrol_start_end_and_track_times_outside_the_window_are_422(worker, field_world, moment):
    grid = field_world["grids"][0]
    assert_422(_start(worker, grid, started_at=moment), "started_at")
    assert not Patrol.objects.exists()
    patrol = _start(worker, grid).json()
    point = {"seq": 0, "lon": grid.center_lon, "lat": grid.center_lat, "accuracy_m": 5, "recorded_at": moment}
    assert_422(worker.post(f"/api/v1/field/patrols/{patrol['client_id']}/track", {"points": [point]}), "recorded_at")
    assert not TrackPoint.objects.exists()
    assert_422(worker.post(f"/api/v1/field/patrols/{patrol['client_id']}/end", {"ended_at": moment}), "ended_at")
    _reads_still_work(worker)
    assert worker.get(f"/api/v1/field/patrols/{patrol['client_id']}/track").status_code == 200


def test_track_point_numbers_are_bounded(worker, field_world):
    grid = field_world["grids"][0]
    patrol = _start(worker, grid).json()
    url = f"/api/v1/field/patrols/{patrol['client_id']}/track"
    now = clock.now().isoformat()
    for bad in ({"seq": 2**40}, {"seq": HUGE}):
        point = {"seq": 0, "lon": grid.center_lon, "lat": grid.center_lat, "recorded_at": now, **bad}
        assert_422(worker.post(url, {"points": [point]}), "seq")
    text = json.dumps({"points": [{"seq": 0, "lon": 1.0, "lat": 1.0, "recorded_at": now}]}).replace("1.0,", "NaN,", 1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = worker.client.post(url, text, content_type="application/json", headers=worker.headers)
    assert_422(response, "lon")


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_visit_time_outside_the_window_is_422_and_the_place_list_still_reads(worker, field_world, moment):
    place = field_world["lpg"]
    assert_422(worker.post("/api/v1/field/visits", {**visit_body(place), "visited_at": moment}), "visited_at")
    assert not PlaceVisit.objects.exists()
    _reads_still_work(worker)


def test_visit_answers_refuse_control_characters_and_nan(worker, field_world):
    place = field_world["lpg"]
    body = visit_body(place, fail={"L02"}, description="钢瓶\x1b倒放")
    assert_422(worker.post("/api/v1/field/visits", body), "description")
    text = json.dumps(visit_body(place))[:-1] + ', "accuracy_m": Infinity}'
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = worker.client.post(
            "/api/v1/field/visits", text, content_type="application/json", headers=worker.headers
        )
    assert_422(response, "accuracy_m")


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_publicity_time_outside_the_window_is_422(worker, field_world, moment):
    grid = field_world["grids"][0]
    body = {"client_id": str(uuid.uuid4()), "grid_code": grid.code, "title": "入户宣传", "held_at": moment}
    assert_422(worker.post("/api/v1/field/publicity", body), "held_at")
    assert_422(worker.post("/api/v1/field/publicity", {**body, "held_at": None, "note": "a\x1bb"}), "note")
    _reads_still_work(worker)


@pytest.mark.parametrize(
    "extra, named",
    [
        ({"captured_at": EDGE_MOMENTS[0]}, "captured_at"),
        ({"device_time": EDGE_MOMENTS[1]}, "device_time"),
        ({"lon": "nan"}, "lon"),
        ({"place_id": str(HUGE)}, "place_id"),
        ({"capture_method": "camera\x1b"}, "capture_method"),
    ],
)
def test_field_photo_form_fields_are_bounded(worker, field_world, extra, named):
    case_id = report(worker).json()["id"]
    data = {"file": _jpeg_upload(), "case_id": str(case_id), "client_id": str(uuid.uuid4()), **extra}
    assert_422(worker.upload("/api/v1/field/photos", data), named)
    assert worker.get(f"/api/v1/cases/{case_id}").status_code == 200


def _jpeg_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")


# ---------------------------------------------------------------- places


def test_place_create_and_update_refuse_unreadable_values(worker, field_world):
    grid = field_world["grids"][0]
    body = {
        "client_id": str(uuid.uuid4()),
        "name": "新液化气点",
        "kind": "lpg_point",
        "domain": "lpg",
        "lon": grid.center_lon,
        "lat": grid.center_lat,
    }
    assert_422(worker.post("/api/v1/field/places", {**body, "address": "南溪\x1b村"}), "address")
    text = json.dumps(body)[:-1] + ', "lon": NaN}'
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = worker.client.post(
            "/api/v1/field/places", text, content_type="application/json", headers=worker.headers
        )
    assert_422(response, "lon")

    place = field_world["lpg"]
    url = f"/api/v1/field/places/{place.pk}"
    for changes in ({"address": "a\x1bb"}, {"lon": HUGE}, {"address": "x" * 5000}):
        body = {"request_id": str(uuid.uuid4()), "base_version": place.version, "changes": changes}
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = worker.client.patch(url, body, content_type="application/json", headers=worker.headers)
        assert_422(response, "changes")
    text = json.dumps({"request_id": str(uuid.uuid4()), "base_version": place.version, "changes": {"lat": 1.5}})
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = worker.client.patch(
            url, text.replace("1.5", "NaN"), content_type="application/json", headers=worker.headers
        )
    assert_422(response, "changes")
    assert Place.objects.get(pk=place.pk).version == place.version
    assert worker.get(f"/api/v1/field/places/{HUGE}").status_code in (404, 422)
    _reads_still_work(worker)


def test_a_moment_just_now_is_still_accepted(worker, field_world):
    grid = field_world["grids"][0]
    response = _start(worker, grid, started_at=(clock.now() - timedelta(minutes=5)).isoformat())
    assert response.status_code == 201, response.content
