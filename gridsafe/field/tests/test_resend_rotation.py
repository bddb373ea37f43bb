"""Offline resends across a field-key rotation (issue #17): every record made once per client UUID — a report, a
photo on a case, a patrol, a checklist visit, a publicity record and its photo, a place — answers an identical
resend with the original after the personal-data key was rotated and resealed (`gridsafe reseal_personal_data`),
because its fingerprint (`core.idempotency`) is keyed by a key that does not rotate. Before, a new place's resend
got a 409 after a rotation: its fingerprint was keyed by the field key. Other content under the same id stays 409,
and two identical creates at once make one row (PostgreSQL, real threads)."""

import hashlib
import json
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from gridsafe.accounts.models import User
from gridsafe.cases.models import Attachment, Case
from gridsafe.cases.tests.test_concurrency import _race
from gridsafe.core import clock, fields
from gridsafe.core.idempotency import fingerprint_matches, request_fingerprint
from gridsafe.field.models import Patrol, PlaceVisit, PublicityActivity, PublicityPhoto
from gridsafe.field.services import patrol_start, publicity_record
from gridsafe.field.tests.conftest import jpeg
from gridsafe.field.tests.test_visits import visit_body
from gridsafe.places.models import Place
from gridsafe.places.services import place_create

PHONE = "13900001111"


@pytest.fixture
def rotation():
    """Call `rotate()` to move from one field key to another as an operator does: the new key with the old one
    still readable, everything resealed, then the old key retired."""
    old_key, new_key = fields.new_key(), fields.new_key()
    # The demo world's phones are sealed with the deployment's key, which stays readable until everything is resealed.
    deployed = fields.current_key()
    current = override_settings(GRIDSAFE_FIELD_KEY=old_key, GRIDSAFE_FIELD_OLD_KEYS=[deployed])
    current.enable()
    fields.reset_keys()

    def rotate():
        nonlocal current
        current.disable()
        current = override_settings(GRIDSAFE_FIELD_KEY=new_key, GRIDSAFE_FIELD_OLD_KEYS=[old_key, deployed])
        current.enable()
        fields.reset_keys()
        with open("/dev/null", "w") as quiet:
            call_command("reseal_personal_data", stdout=quiet)
        current.disable()
        current = override_settings(GRIDSAFE_FIELD_KEY=new_key, GRIDSAFE_FIELD_OLD_KEYS=[])  # the old key retired
        current.enable()
        fields.reset_keys()

    try:
        yield rotate
    finally:
        current.disable()
        fields.reset_keys()


def _photo(client_id, data, **extra) -> dict:
    return {
        "file": SimpleUploadedFile("p.jpg", data, content_type="image/jpeg"),
        "client_id": client_id,
        "accuracy_m": 12,
        "captured_at": "2026-11-28T09:30:00+08:00",
        **extra,
    }


def _kinds(worker, field_world, ids=None):
    """Per kind: (send the body, send other content under the same id, the table). Each call builds a fresh body
    from the same values, as the phone's outbox replays what it stored."""
    grid = field_world["grids"][0]
    lon, lat = grid.center_lon, grid.center_lat
    started = (clock.now() - timedelta(minutes=30)).isoformat()
    ids = ids or {
        kind: str(uuid.uuid4()) for kind in ("case", "photo", "patrol", "visit", "publicity", "pphoto", "place")
    }
    case = {"client_id": ids["case"], "category": "fire-ebike-indoor", "description": "楼道内有电动车充电"}
    place = {
        "client_id": ids["place"],
        "name": "陈氏烟花爆竹零售点",
        "kind": "fireworks_seller",
        "domain": "fireworks",
        "lon": grid.center_lon,
        "lat": grid.center_lat,
        "grid_code": grid.code,
        "contact_name": "陈志强",
        "contact_phone": PHONE,
    }
    visit = visit_body(field_world["lpg"], client_id=ids["visit"])
    publicity = {"client_id": ids["publicity"], "grid_code": grid.code, "title": "入户宣传"}
    picture, other_picture = jpeg(), jpeg(color=(200, 40, 40))

    def case_id():
        return Case.objects.get(client_id=ids["case"]).pk

    def activity():
        return PublicityActivity.objects.get(client_id=ids["publicity"]).client_id

    kinds = {
        "report": (
            lambda: worker.post("/api/v1/cases", {**case, "lon": lon, "lat": lat}),
            lambda: worker.post("/api/v1/cases", {**case, "lon": lon, "lat": lat, "description": "另一处隐患"}),
            Case,
        ),
        "attachment": (
            lambda: worker.upload("/api/v1/field/photos", _photo(ids["photo"], picture, case_id=case_id())),
            lambda: worker.upload("/api/v1/field/photos", _photo(ids["photo"], other_picture, case_id=case_id())),
            Attachment,
        ),
        "patrol": (
            lambda: worker.post(
                "/api/v1/field/patrols", {"client_id": ids["patrol"], "grid_code": grid.code, "started_at": started}
            ),
            lambda: worker.post("/api/v1/field/patrols", {"client_id": ids["patrol"], "grid_code": grid.code}),
            Patrol,
        ),
        "visit": (
            lambda: worker.post("/api/v1/field/visits", visit),
            lambda: worker.post("/api/v1/field/visits", {**visit, "accuracy_m": 30}),
            PlaceVisit,
        ),
        "publicity": (
            lambda: worker.post("/api/v1/field/publicity", publicity),
            lambda: worker.post("/api/v1/field/publicity", {**publicity, "title": "另一次宣传"}),
            PublicityActivity,
        ),
        "publicity photo": (
            lambda: worker.upload(f"/api/v1/field/publicity/{activity()}/photos", _photo(ids["pphoto"], picture)),
            lambda: worker.upload(f"/api/v1/field/publicity/{activity()}/photos", _photo(ids["pphoto"], other_picture)),
            PublicityPhoto,
        ),
        "place": (
            lambda: worker.post("/api/v1/field/places", place),
            lambda: worker.post("/api/v1/field/places", {**place, "name": "别的零售点"}),
            Place,
        ),
    }
    return kinds, ids


def test_identical_resends_after_a_key_rotation_get_the_original_and_other_content_409(rotation, api_as, field_world):
    worker = api_as("nanxi_worker")
    kinds, _ = _kinds(worker, field_world)
    first = {}
    for name, (send, _, _) in kinds.items():
        response = send()
        assert response.status_code == 201, (name, response.content)
        first[name] = response.json()

    rotation()

    for name, (send, other, model) in kinds.items():
        again = send()
        assert again.status_code == 200, (name, again.content)  # 409 for a place before issue #17
        key = "id" if "id" in first[name] else "client_id"
        assert again.json()[key] == first[name][key], name
        clash = other()
        assert clash.status_code == 409, (name, clash.content)
        assert clash.json()["code"] == "idempotency_conflict", name
        assert model.objects.count() == model.objects.values("client_id").distinct().count(), name


def test_a_resend_by_someone_else_is_409_for_every_kind(api_as, field_world):
    """The same body from another person (issue #12) is no repeat of hers: the one helper checks the actor. (The
    station officer sees the grid; a publicity photo is refused before that, the record being hers alone.)"""
    worker, station = api_as("nanxi_worker"), api_as("nanxi")
    kinds, ids = _kinds(worker, field_world)
    for name, (send, _, _) in kinds.items():
        assert send().status_code == 201, name
    theirs, _ = _kinds(station, field_world, ids)
    for name, (send, _, model) in theirs.items():
        count = model.objects.count()
        response = send()
        if name == "publicity photo":
            assert response.status_code in (403, 404), response.content
        else:
            assert response.status_code == 409, (name, response.content)
            assert response.json()["code"] == "idempotency_conflict", name
        assert model.objects.count() == count, name


def test_the_fingerprint_does_not_depend_on_the_field_key_or_how_an_instant_was_written():
    body = {"held_at": clock.now(), "phone": PHONE}
    with override_settings(GRIDSAFE_FIELD_KEY=fields.new_key()):
        fields.reset_keys()
        before = request_fingerprint(body)
    with override_settings(GRIDSAFE_FIELD_KEY=fields.new_key()):
        fields.reset_keys()
        assert request_fingerprint(body) == before
    fields.reset_keys()
    shanghai = body["held_at"].astimezone(ZoneInfo("Asia/Shanghai"))
    assert request_fingerprint({**body, "held_at": shanghai}) == before
    assert request_fingerprint({**body, "phone": "13900001112"}) != before


def test_fingerprints_stored_before_the_one_module_are_still_recognised():
    """Reports, field records and case action digests held a plain SHA-256 of the body, places a blind index under
    the field key: a phone's outbox from before the upgrade must still be answered as a repeat, not 409."""
    body = ["comment", {"comment": "已电话联系店主", "expected_version": 3}]
    old = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    assert fingerprint_matches(hashlib.sha256(old.encode()).hexdigest(), body)
    assert fingerprint_matches(fields.blind_index(old), body)
    assert fingerprint_matches(request_fingerprint(body), body)
    other = ["comment", {"comment": "另一条备注", "expected_version": 3}]
    assert not fingerprint_matches(hashlib.sha256(old.encode()).hexdigest(), other)
    assert not fingerprint_matches(request_fingerprint(body), other)
    assert not fingerprint_matches("", body)


# ---------------------------------------------------------------- concurrent identical creates (PostgreSQL)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so concurrent transactions cannot race (CI runs both)",
)


def _concurrently(make):
    def call(barrier):
        worker = User.objects.get(username="nanxi_worker")
        barrier.wait()
        return make(worker)

    return _race(call, call)


@on_postgresql
def test_two_identical_place_creates_at_once_make_one_place(committed_world):
    client_id = uuid.uuid4()

    def make(worker):
        grid = worker.grids.order_by("code").first()
        return place_create(
            actor=worker,
            client_id=client_id,
            name="陈氏烟花爆竹零售点",
            kind="fireworks_seller",
            domain_code="fireworks",
            lon=grid.center_lon,
            lat=grid.center_lat,
            grid_code=grid.code,
            contact_name="陈志强",
            contact_phone=PHONE,
        )

    results = _concurrently(make)

    assert all(isinstance(r, tuple) for r in results), results
    assert results[0][0].pk == results[1][0].pk and sorted(r[1] for r in results) == [False, True]
    assert Place.objects.filter(client_id=client_id).count() == 1


@on_postgresql
def test_two_identical_publicity_records_at_once_make_one(committed_world):
    client_id = uuid.uuid4()

    def make(worker):
        grid = worker.grids.order_by("code").first()
        return publicity_record(actor=worker, client_id=client_id, grid_code=grid.code, title="入户宣传")

    results = _concurrently(make)

    assert all(isinstance(r, tuple) for r in results), results
    assert results[0][0].pk == results[1][0].pk and sorted(r[1] for r in results) == [False, True]
    assert PublicityActivity.objects.filter(client_id=client_id).count() == 1


@on_postgresql
def test_two_identical_patrol_starts_at_once_make_one_patrol(committed_world):
    client_id = uuid.uuid4()
    started = clock.now() - timedelta(minutes=5)

    def make(worker):
        grid = worker.grids.order_by("code").first()
        return patrol_start(actor=worker, client_id=client_id, grid_code=grid.code, started_at=started)

    results = _concurrently(make)

    assert all(isinstance(r, tuple) for r in results), results
    assert results[0][0].pk == results[1][0].pk and sorted(r[1] for r in results) == [False, True]
    assert Patrol.objects.filter(client_id=client_id).count() == 1
