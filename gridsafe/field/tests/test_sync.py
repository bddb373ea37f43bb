"""Offline sync rules (domain.md §8): the bundle with its ETag, identical resends answered once, conflicting resends
409, photos resumed after a broken upload, offline place edits that conflict flagged with both versions."""

import gzip
import hashlib
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridsafe.cases.models import Attachment, Case
from gridsafe.cases.tests.helpers import report
from gridsafe.field.models import FieldPhoto, PublicityPhoto
from gridsafe.field.tests.conftest import jpeg
from gridsafe.places.models import Place, PlaceRevision


def test_sync_bundle_holds_my_grids_and_answers_304_when_unchanged(api_as, field_world):
    worker = api_as("nanxi_worker")
    response = worker.get("/api/v1/field/sync")
    assert response.status_code == 200, response.content
    bundle = response.json()
    assert [g["code"] for g in bundle["grids"]] == [g.code for g in field_world["grids"]]
    assert all(g["geometry"]["type"] in ("Polygon", "MultiPolygon") for g in bundle["grids"])
    assert {p["name"] for p in bundle["places"]} == {"林记液化气供应点", "南溪3号出租房", "南溪欢乐KTV"}
    assert {(c["domain"], c["place_kind"]) for c in bundle["checklists"]} >= {("lpg", "lpg_point"), ("fire", "")}
    assert any(c["code"] == "fire-ebike-indoor" for c in bundle["categories"])
    assert bundle["settings"] == {
        "track_retention_days": 90,
        "poor_accuracy_m": 50,
        "outside_grid_m": 50,
        "nearby_radius_m": 200,
        "patrol_min_minutes": 20,  # the county's patrol rule (PatrolRule), shown on the phone's 巡查 screen
        "patrol_min_distance_m": 500,
    }
    etag = response["ETag"]
    assert etag == f'W/"{bundle["version"]}"'

    unchanged = worker.client.get("/api/v1/field/sync", headers={**worker.headers, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    zipped = worker.client.get("/api/v1/field/sync", headers={**worker.headers, "Accept-Encoding": "gzip, br"})
    assert zipped["Content-Encoding"] == "gzip" and len(zipped.content) < len(response.content) / 3
    unzipped = json.loads(gzip.decompress(zipped.content))
    assert unzipped["version"] == bundle["version"] and unzipped["places"] == bundle["places"]
    assert "南溪村" in response.content.decode()  # UTF-8, not \u escapes
    report(worker)  # a new open case in my grid: a new version
    changed = worker.client.get("/api/v1/field/sync", headers={**worker.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["version"] != bundle["version"]
    assert len(changed.json()["open_cases"]) == 1


def test_case_report_identical_resend_and_conflicting_resend(api_as):
    worker = api_as("nanxi_worker")
    first = report(worker)
    assert first.status_code == 201
    body = {k: first.json()[k] for k in ("category", "description", "lon", "lat")}
    body["client_id"] = first.json()["client_id"]
    again = worker.post("/api/v1/cases", body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    conflict = worker.post("/api/v1/cases", {**body, "description": "另一处隐患"})
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    assert Case.objects.filter(client_id=body["client_id"]).count() == 1


def _photo_form(case_id, client_id, data, **extra):
    form = {
        "file": SimpleUploadedFile("p.jpg", data, content_type="image/jpeg"),
        "case_id": case_id,
        "client_id": client_id,
        "accuracy_m": 12,
        "captured_at": "2026-11-28T09:30:00+08:00",
        **extra,
    }
    return {k: v for k, v in form.items() if v is not None}


def test_photo_upload_resumes_after_a_broken_connection(api_as, people, field_world):
    worker = api_as("nanxi_worker")
    case = report(worker).json()
    data = jpeg(size=(1024, 768))
    photo_id = str(uuid.uuid4())
    grid = field_world["grids"][0]
    form = dict(lon=grid.center_lon, lat=grid.center_lat, place_id=field_world["lpg"].pk)

    broken = worker.upload("/api/v1/field/photos", _photo_form(case["id"], photo_id, data[: len(data) // 2], **form))
    assert broken.status_code == 422, broken.content  # the connection dropped halfway: the server got half a JPEG
    assert not Attachment.objects.filter(client_id=photo_id).exists()

    retried = worker.upload("/api/v1/field/photos", _photo_form(case["id"], photo_id, data, **form))
    assert retried.status_code == 201, retried.content
    body = retried.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()  # of what the server received, in full
    assert body["location_flags"] == []
    assert any("林记液化气供应点" in line for line in body["watermark_lines"])
    assert any("王芳" in line for line in body["watermark_lines"])

    resent = worker.upload("/api/v1/field/photos", _photo_form(case["id"], photo_id, data, **form))
    assert resent.status_code == 200 and resent.json()["attachment_id"] == body["attachment_id"]
    assert Attachment.objects.filter(client_id=photo_id).count() == 1 and FieldPhoto.objects.count() == 1

    other = jpeg(size=(1024, 768), color=(200, 30, 30))
    clash = worker.upload("/api/v1/field/photos", _photo_form(case["id"], photo_id, other, **form))
    assert clash.status_code == 409

    marked = worker.client.get(body["watermarked_url"], headers=worker.headers)
    assert marked.status_code == 200 and marked["Content-Type"] == "image/jpeg"
    assert b"".join(marked.streaming_content)[:2] == b"\xff\xd8"
    assert (
        api_as("licheng_worker")
        .client.get(body["watermarked_url"], headers=api_as("licheng_worker").headers)
        .status_code
        == 404
    )


def test_photo_location_is_flagged_not_refused(api_as, field_world):
    worker = api_as("nanxi_worker")
    case = report(worker).json()
    grid = field_world["grids"][0]
    far = worker.upload(
        "/api/v1/field/photos",
        _photo_form(
            case["id"], str(uuid.uuid4()), jpeg(), lon=grid.center_lon + 0.05, lat=grid.center_lat, accuracy_m=120
        ),
    )
    assert far.status_code == 201, far.content
    assert far.json()["location_flags"] == ["poor_accuracy", "outside_own_grid"]
    none = worker.upload("/api/v1/field/photos", _photo_form(case["id"], str(uuid.uuid4()), jpeg()))
    assert none.json()["location_flags"] == ["no_location"]


def _patch(api, place_id, body):
    return api.client.patch(
        f"/api/v1/field/places/{place_id}", body, content_type="application/json", headers=api.headers
    )


def test_offline_place_edit_conflict_is_flagged_with_both_versions(api_as, field_world):
    worker, station = api_as("nanxi_worker"), api_as("nanxi")
    place = field_world["lpg"]
    online = _patch(
        station,
        place.pk,
        {
            "request_id": str(uuid.uuid4()),
            "base_version": 1,
            "changes": {"risk_level": "red", "contact_name": "林志明"},
        },
    )
    assert online.status_code == 200 and online.json()["version"] == 2
    assert online.json()["inspection_interval_days"] == 7

    # 王芳 edited the same place offline, from version 1.
    offline = {"request_id": str(uuid.uuid4()), "base_version": 1, "changes": {"risk_level": "blue"}}
    conflict = _patch(worker, place.pk, offline)
    assert conflict.status_code == 409, conflict.content
    problem = conflict.json()
    assert problem["code"] == "edit_conflict" and problem["fields"] == ["risk_level"]
    assert problem["server"]["version"] == 2 and problem["server"]["risk_level"] == "red"
    assert problem["server"]["contact_name"] == "林**"  # masked in the conflict too
    assert problem["client"] == {"base_version": 1, "changes": {"risk_level": "blue"}}
    place.refresh_from_db()
    assert place.risk_level == "red"  # not silently overwritten

    # An offline edit of another field merges; its resend lands once; a reused id with other content is 409.
    merge = {"request_id": str(uuid.uuid4()), "base_version": 1, "changes": {"address": "南溪村12号"}}
    merged = _patch(worker, place.pk, merge)
    assert merged.status_code == 200 and merged.json()["version"] == 3 and merged.json()["risk_level"] == "red"
    assert _patch(worker, place.pk, merge).json()["version"] == 3
    assert PlaceRevision.objects.get(request_id=merge["request_id"]).merged is True
    clash = _patch(worker, place.pk, {**merge, "changes": {"address": "别处"}})
    assert clash.status_code == 409 and clash.json()["code"] == "idempotency_conflict"

    # The worker decides to keep their value: the same edit rebased on the server's version is accepted.
    rebased = _patch(
        worker, place.pk, {"request_id": str(uuid.uuid4()), "base_version": 3, "changes": {"risk_level": "blue"}}
    )
    assert rebased.status_code == 200 and rebased.json()["risk_level"] == "blue"
    assert rebased.json()["inspection_interval_days"] == 7  # LPG stays weekly whatever the risk


def test_place_create_is_idempotent_and_stays_in_my_grids(api_as, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][1]
    body = {
        "client_id": str(uuid.uuid4()),
        "name": "陈氏烟花爆竹零售点",
        "kind": "fireworks_seller",
        "domain": "fireworks",
        "lon": grid.center_lon,
        "lat": grid.center_lat,
        "contact_phone": "13900001111",
        "grid_code": grid.code,
        "risk_level": "orange",
    }
    created = worker.post("/api/v1/field/places", body)
    assert created.status_code == 201, created.content
    place = created.json()
    assert place["grid_code"] == grid.code and place["contact_phone"] == "139****1111"
    assert place["due_state"] == "due"
    assert worker.post("/api/v1/field/places", body).json()["id"] == place["id"]
    assert worker.post("/api/v1/field/places", {**body, "name": "别的"}).status_code == 409
    other = field_world["other_grid"]
    outside = worker.post("/api/v1/field/places", {**body, "client_id": str(uuid.uuid4()), "grid_code": other.code})
    assert outside.status_code == 422
    assert Place.objects.filter(name="陈氏烟花爆竹零售点").count() == 1


def test_publicity_record_and_photo_are_idempotent(api_as, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    body = {
        "client_id": str(uuid.uuid4()),
        "grid_code": grid.code,
        "title": "安全生产月入户宣传",
        "kind": "campaign_week",
        "head_count": 36,
        "materials": 120,
    }
    created = worker.post("/api/v1/field/publicity", body)
    assert created.status_code == 201, created.content
    assert worker.post("/api/v1/field/publicity", body).status_code == 200
    assert worker.post("/api/v1/field/publicity", {**body, "head_count": 1}).status_code == 409
    url = f"/api/v1/field/publicity/{body['client_id']}/photos"

    def form():
        return {
            "file": SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg"),
            "client_id": "a1b2c3d4-0000-4000-8000-000000000001",
            "lon": grid.center_lon,
            "lat": grid.center_lat,
        }

    assert worker.upload(url, form()).status_code == 201
    assert worker.upload(url, form()).status_code == 200
    assert PublicityPhoto.objects.count() == 1
    listed = worker.get("/api/v1/field/publicity").json()
    assert listed["total"] == 1 and listed["items"][0]["photos"] == 1
    assert api_as("licheng_worker").get("/api/v1/field/publicity").json()["total"] == 0


def test_nearby_open_cases_of_the_same_category(api_as, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    existing = report(worker, point=(grid.center_lon, grid.center_lat)).json()
    near = worker.get(
        "/api/v1/field/nearby", category="fire-ebike-indoor", lon=grid.center_lon + 0.001, lat=grid.center_lat
    )
    assert [c["id"] for c in near.json()] == [existing["id"]] and 90 < near.json()[0]["distance_m"] < 110
    assert (
        worker.get(
            "/api/v1/field/nearby", category="fire-extinguisher", lon=grid.center_lon, lat=grid.center_lat
        ).json()
        == []
    )
    assert (
        worker.get(
            "/api/v1/field/nearby", category="fire-ebike-indoor", lon=grid.center_lon + 0.003, lat=grid.center_lat
        ).json()
        == []
    )  # ~300 m away


def test_week_shows_verification_tasks_and_reviewer_messages(api_as, people, field_world):
    from gridsafe.cases.tests.test_lifecycle import _upload_after_photo

    worker, station = api_as("nanxi_worker"), api_as("nanxi")
    grid = field_world["grids"][0]
    case = report(worker, point=(grid.center_lon, grid.center_lat)).json()
    case = station.act(case["id"], "assign", case["version"]).json()
    photo = _upload_after_photo(station, case["id"])
    case = station.act(
        case["id"], "submit", case["version"], method="rectified", measures="已清理楼道", attachment_ids=[photo]
    ).json()
    assert case["state"] == "pending_verification"

    voided = report(worker, point=(grid.center_lon, grid.center_lat), description="楼道堆放杂物").json()
    station.act(voided["id"], "void", voided["version"], reason_code="not_hazard", reason="杂物已当场清理，不构成隐患")

    week = worker.get("/api/v1/field/week").json()
    tasks = week["verification_tasks"]
    assert [t["id"] for t in tasks] == [case["id"]]
    assert len(tasks[0]["after"]) == 1 and tasks[0]["measures"] == "已清理楼道"
    messages = week["messages"]
    assert messages[0]["kind"] == "case.voided" and messages[0]["comment"] == "杂物已当场清理，不构成隐患"
    assert messages[0]["actor_label"].startswith("王建平")
    assert week["my_open_count"] == 1
    returned = worker.get("/api/v1/field/sync").json()["returned"]
    assert [m["case"]["id"] for m in returned] == [voided["id"]]

    passed = worker.act(case["id"], "verify_pass", tasks[0]["version"], comment="现场核查已整改")
    assert passed.status_code == 200 and passed.json()["closure"] == "resolved"
    assert worker.get("/api/v1/field/week").json()["verification_tasks"] == []


@pytest.mark.parametrize(
    "changes, status",
    [
        ({"contact_phone": None}, 200),  # null clears an optional text field
        ({"address": None, "licence_no": None}, 200),
        ({"name": None}, 422),
        ({"address": 12}, 422),
        ({"lon": "119.1"}, 422),
        ({"is_active": "yes"}, 422),
    ],
)
def test_place_edit_with_nulls_or_wrong_types_is_a_clear_answer_not_a_500(api_as, field_world, changes, status):
    station = api_as("nanxi")
    place = field_world["lpg"]
    response = _patch(station, place.pk, {"request_id": str(uuid.uuid4()), "base_version": 1, "changes": changes})
    assert response.status_code == status, response.content
    place.refresh_from_db()
    if status == 200:
        assert all(getattr(place, key) == "" for key in changes)
    else:
        assert place.version == 1 and response.json()["detail"]
