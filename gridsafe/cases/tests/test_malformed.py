"""Whatever a broken client sends, the answer is a 4xx problem+json with a `detail` a person can act on, never a 500.
(The test client re-raises server errors, so a 500 fails these tests with its traceback.)"""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from gridsafe.cases.models import Case, CaseEvent

PROBLEM = "application/problem+json"


def assert_422(response, *mentions):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 422
    assert body["code"] in ("validation_failed", "outside_county")
    assert body["detail"].strip() and "Traceback" not in body["detail"]
    for word in mentions:
        assert word in body["detail"], (word, body["detail"])
    return body


def raw_post(api, path, payload: str, content_type="application/json"):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.post(path, payload, content_type=content_type, headers=api.headers)


# ---------------------------------------------------------------- POST /api/v1/cases


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("{bad json", "application/json"),
        ('{"client_id": "x",}', "application/json"),
        ("client_id=1&lon=2", "application/x-www-form-urlencoded"),
        ("just text", "text/plain"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ("", "application/json"),
    ],
    ids=["truncated", "trailing-comma", "form", "text", "list", "string", "null", "empty"],
)
def test_unparseable_or_non_object_bodies_are_422(worker, payload, content_type):
    assert_422(raw_post(worker, "/api/v1/cases", payload, content_type))
    assert not Case.objects.exists()


@pytest.mark.parametrize("field", ["client_id", "category", "description", "lon", "lat"])
def test_each_missing_required_field_is_named(worker, report_body, field):
    body = {k: v for k, v in report_body.items() if k != field}
    assert_422(worker.post("/api/v1/cases", body), field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("client_id", "not-a-uuid"),
        ("client_id", 12345),
        ("lon", "east"),
        ("lat", None),
        ("lon", 200),
        ("lat", -90.5),
        ("lon", [118.7]),
        ("accuracy_m", -5),
        ("accuracy_m", "report_body"),
        ("urgent", "maybe"),
        ("severity", "critical"),
        ("source", "rumour"),
        ("place_id", "the shop"),
        ("description", 42),
        ("description", ""),
        ("address", "路" * 201),
        ("crs", "utm50n"),
        ("crs", "EPSG:4326"),
    ],
)
def test_wrong_types_and_values_are_422_naming_the_field(worker, report_body, field, value):
    assert_422(worker.post("/api/v1/cases", {**report_body, field: value}), field)
    assert not Case.objects.exists()


def test_unknown_category_is_422_naming_it(worker, report_body):
    assert_422(worker.post("/api/v1/cases", {**report_body, "category": "alien-invasion"}), "alien-invasion")


def test_blank_description_is_422(worker, report_body):
    assert_422(worker.post("/api/v1/cases", {**report_body, "description": " \n\t "}), "描述")


@pytest.mark.parametrize("size", [4001, 200_000])
def test_huge_description_is_422(worker, report_body, size):
    assert_422(worker.post("/api/v1/cases", {**report_body, "description": "隐" * size}), "description")
    assert not Case.objects.exists()


def test_description_of_exactly_4000_characters_is_accepted(worker, report_body):
    response = worker.post("/api/v1/cases", {**report_body, "description": "隐" * 4000})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("field", ["description", "address", "category"])
def test_nul_characters_are_refused_not_stored(worker, report_body, field):
    """PostgreSQL cannot store U+0000 in text and SQLite would store it silently: refused on both."""
    assert_422(worker.post("/api/v1/cases", {**report_body, field: "楼道\x00充电"}))
    assert not Case.objects.exists()


def test_a_point_outside_the_county_is_422_outside_county(worker, report_body):
    body = assert_422(worker.post("/api/v1/cases", {**report_body, "lon": 116.397, "lat": 39.909}))
    assert body["code"] == "outside_county"


def test_unknown_fields_are_ignored_not_fatal(worker, report_body):
    response = worker.post("/api/v1/cases", {**report_body, "state": "closed", "version": 99, "grade": "major"})
    assert response.status_code == 201, response.content
    assert (response.json()["state"], response.json()["version"], response.json()["grade"]) == (
        "pending_review",
        1,
        "general",
    )


# ---------------------------------------------------------------- actions


@pytest.fixture
def case(flow):
    return flow.report()


def _action(api, case, action, **fields):
    body = {"version": case.version, "request_id": str(uuid.uuid4()), **fields}
    return api.post(f"/api/v1/cases/{case.pk}/actions/{action}", body)


def test_action_with_bad_json_is_422(as_user, case):
    assert_422(raw_post(as_user("nanxi"), f"/api/v1/cases/{case.pk}/actions/escalate", '{"version": 1,'))


@pytest.mark.parametrize(
    ("action", "fields", "named"),
    [
        ("escalate", {"version": "one", "reason": "x"}, "version"),
        ("escalate", {"version": 0, "reason": "x"}, "version"),
        ("escalate", {"request_id": "retry-1", "reason": "x"}, "request_id"),
        ("escalate", {"reason": "x", "target_level": "county"}, "target_level"),
        ("escalate", {"reason": ["x"]}, "reason"),
        ("assign", {"handler_id": "wang"}, "handler_id"),
        ("void", {"reason_code": "NOT_HAZARD", "reason": "x"}, "reason_code"),
        ("merge", {"master_id": None}, "master_id"),
        ("submit", {"method": "rectified", "measures": "x", "attachment_ids": ["a"]}, "attachment_ids"),
        ("submit", {"method": "fixed", "measures": "x", "attachment_ids": []}, "method"),
        ("submit", {"method": "rectified", "measures": "x", "attachment_ids": [], "five_implementations": []}, "five"),
        ("request_extension", {"requested_due": "tomorrow", "reason": "x"}, "requested_due"),
        ("suspend", {"reason": "x", "review_date": "2025-13-40"}, "review_date"),
        ("supervise", {"level": "purple", "instruction": "x"}, "level"),
        ("comment", {"comment": "x" * 10, "attachment_ids": "1,2"}, "attachment_ids"),
    ],
)
def test_action_bodies_of_the_wrong_shape_are_422_naming_the_field(as_user, case, action, fields, named):
    api = as_user("nanxi")
    body = {"version": case.version, "request_id": str(uuid.uuid4()), **fields}
    assert_422(api.post(f"/api/v1/cases/{case.pk}/actions/{action}", body), named)
    assert CaseEvent.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("field", ["reason", "comment"])
def test_nul_characters_in_action_text_are_refused(as_user, case, field):
    action = "escalate" if field == "reason" else "comment"
    assert_422(_action(as_user("nanxi"), case, action, **{field: "本级\x00不能"}))
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_huge_version_is_just_stale(as_user, case):
    response = _action(as_user("nanxi"), case, "escalate", reason="x", version=2**63 - 1)
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"


@pytest.mark.parametrize("field", ["handler_id", "master_id"])
def test_huge_ids_in_bodies_are_422_not_500(as_user, case, field):
    action = "assign" if field == "handler_id" else "merge"
    assert_422(_action(as_user("nanxi"), case, action, **{field: 10**20}))


# ---------------------------------------------------------------- query strings and paths


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"offset": "1.5"},
        {"state": "bogus"},
        {"light": "blue"},
        {"level": "top"},
        {"region": "abc"},
        {"region": "3503221"},
        {"created_from": "yesterday"},
        {"created_to": "2025-02-30"},
        {"mine": "perhaps"},
        {"order": "random"},
        {"q": "楼道\x00"},
        {"category": "fire\x00"},
        # Beyond 64 bits or outside the input window (core.input): refused, never a 500 on either database.
        {"offset": str(10**20)},
        {"limit": str(10**20)},
        {"level": str(10**20)},
        {"created_from": "0001-01-01"},
        {"created_to": "9999-12-31"},
        {"created_from": "2026-02-01", "created_to": "2026-01-01"},
        {"created_from": "2001-01-01", "created_to": "2026-01-01"},
    ],
)
def test_bad_list_filters_are_422(worker, params):
    assert_422(worker.get("/api/v1/cases", **params))


@pytest.mark.parametrize(
    "params",
    [
        {"offset": str(2**63 - 1)},
        {"offset": "-5"},
        {"limit": str(2**63 - 1)},
        {"limit": "-1"},
        {"level": str(2**63 - 1)},
        {"created_from": "2000-01-01"},
        {"q": "²"},
        {"q": "#" + "9" * 30},
        {"q": "%_\\"},
    ],
)
def test_extreme_but_well_formed_list_filters_answer_a_page(worker, case, params):
    response = worker.get("/api/v1/cases", **params)
    assert response.status_code == 200, response.content
    page = response.json()
    assert set(page) == {"items", "total", "total_capped", "has_more", "limit", "offset"}
    assert 1 <= page["limit"] <= 200 and page["offset"] >= 0


def test_extreme_dates_still_filter_correctly(worker, case):
    assert worker.get("/api/v1/cases", created_from="2000-01-01").json()["total"] == 1
    assert worker.get("/api/v1/cases", created_to="2000-01-01").json()["total"] == 0
    soon = (timezone.localdate() + timedelta(days=365)).isoformat()
    assert worker.get("/api/v1/cases", created_from=soon).json()["total"] == 0


@pytest.mark.parametrize("case_id", [str(10**20), "0", "-1"])
def test_out_of_range_ids_in_paths_are_404(worker, case_id):
    response = worker.get(f"/api/v1/cases/{case_id}")
    assert response.status_code in (404, 422)
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("code", ["350322\x00", "²²²²²²", "3" * 200])
def test_odd_region_codes_are_404(worker, code):
    response = worker.get(f"/api/v1/regions/{code}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_login_with_nul_characters_is_refused_cleanly(client, db):
    body = json.dumps({"username": "nanxi\x00", "password": "x"})
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code in (401, 422)
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/v1/notifications", {"offset": "-5340", "limit": "1644878682"}),
        ("/api/v1/notifications", {"offset": str(2**63 - 1)}),
        ("/api/v1/stats/watched", {"limit": "-126530017"}),
        ("/api/v1/field/patrols", {"offset": "-1", "limit": "0"}),
        ("/api/v1/field/publicity", {"offset": "-7"}),
        ("/api/v1/field/places", {"offset": str(2**63 - 1), "limit": "-3"}),
    ],
)
def test_every_list_answers_a_page_for_any_limit_and_offset(as_user, path, params):
    """Found by schemathesis (bench/reliability_schema): negative slices were 500s outside the case list."""
    response = as_user("nanxi").get(path, **params)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "params",
    [
        {"category": "fire\x00", "lon": "119.1", "lat": "25.4"},
        {"category": "fire-ebike-indoor", "lon": "-4.3e-47", "lat": "-2710027662660157.0"},
        {"category": "fire-ebike-indoor", "lon": "119.1", "lat": "25.4", "radius_m": "-3.7e68"},
    ],
)
def test_nearby_with_absurd_input_is_a_clear_answer(worker, params):
    response = worker.get("/api/v1/field/nearby", **params)
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response["Content-Type"] == PROBLEM and response.json()["detail"]
