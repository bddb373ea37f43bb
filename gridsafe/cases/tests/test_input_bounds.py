"""Nothing a client sends can make a later read fail (issue #12): moments near year 1 or 9999 with ±23:59 offsets,
integers past 64 bits, NaN/∞, control characters and huge texts are 422 naming the field on every case endpoint and
web form — never a 500, never stored — and the pages that read the case stay 200. Exports stay readable even with a
control character stored before the check existed. Runs on SQLite and PostgreSQL alike."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from openpyxl import load_workbook

from gridsafe.cases.models import Attachment, Case, CaseEvent
from gridsafe.cases.tests.helpers import jpeg_upload

PROBLEM = "application/problem+json"
EDGE_MOMENTS = ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1999-12-31T23:59:59Z"]
HUGE = 2**64


def assert_422(response, *mentions):
    assert response.status_code == 422, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    detail = response.json()["detail"]
    for word in mentions:
        assert word in detail, (word, detail)
    return detail


def raw_post(api, path, text: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.post(path, text, content_type="application/json", headers=api.headers)


def _action(api, case, action, **fields):
    body = {"version": case.version, "request_id": str(uuid.uuid4()), **fields}
    return api.post(f"/api/v1/cases/{case.pk}/actions/{action}", body)


def _reads_still_work(api, case):
    assert api.get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert api.get("/api/v1/cases").status_code == 200


# ---------------------------------------------------------------- text


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x0b", "\x7f", "\r"])
def test_control_characters_in_a_description_are_422(worker, report_body, char):
    assert_422(worker.post("/api/v1/cases", {**report_body, "description": f"楼道{char}电动车"}), "description")
    assert not Case.objects.exists()


def test_tab_and_crlf_are_accepted_in_a_description(worker, report_body):
    response = worker.post("/api/v1/cases", {**report_body, "description": "一楼\t楼道\r\n二楼"})
    assert response.status_code == 201, response.content


def test_a_huge_comment_is_422_not_stored_on_the_timeline(as_user, flow):
    case = flow.report()
    before = CaseEvent.objects.filter(case=case).count()
    assert_422(_action(as_user("nanxi"), case, "comment", comment="x" * 4_900_000), "comment")
    assert_422(_action(as_user("nanxi"), case, "comment", comment="x" * 5 * 1024 * 1024), "5 MB")
    assert_422(_action(as_user("nanxi"), case, "comment", comment="x" * 2001), "comment")
    assert CaseEvent.objects.filter(case=case).count() == before


@pytest.mark.parametrize(
    "action, fields, named",
    [
        ("escalate", {"reason": "请\x1b上级"}, "reason"),
        ("transfer", {"external_body": "x" * 101, "external_ref": "1"}, "external_body"),
        (
            "submit",
            {"method": "rectified", "measures": "x", "attachment_ids": [], "five_implementations": {"plan": "\x1b"}},
            "five_implementations",
        ),
    ],
)
def test_action_text_is_checked_like_any_other(as_user, flow, action, fields, named):
    case = flow.report()
    assert_422(_action(as_user("nanxi"), case, action, **fields), named)


# ---------------------------------------------------------------- moments


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_extension_request_outside_the_window_is_422_and_the_case_still_reads(as_user, flow, moment):
    case = flow.handling_l1()
    nanxi = as_user("nanxi")
    assert_422(_action(nanxi, case, "request_extension", requested_due=moment, reason="材料未到"), "requested_due")
    _reads_still_work(nanxi, case)


def test_extension_a_few_years_ahead_is_still_a_deadline(as_user, flow):
    case = flow.handling_l1()
    soon = (timezone.now() + timedelta(days=30)).isoformat()
    response = _action(as_user("nanxi"), case, "request_extension", requested_due=soon, reason="材料未到")
    assert response.status_code != 422, response.content
    too_far = (timezone.now() + timedelta(days=366 * 6)).isoformat()
    assert_422(_action(as_user("nanxi"), case, "request_extension", requested_due=too_far, reason="x"))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_suspend_review_date_outside_the_window_is_422(as_user, flow, day):
    case = flow.handling_l1()
    assert_422(_action(as_user("nanxi"), case, "suspend", reason="待拆除", review_date=day), "review_date")


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_submit_completed_at_outside_the_window_is_422(as_user, flow, moment):
    case = flow.handling_l1()
    body = {"method": "rectified", "measures": "已整改", "attachment_ids": [], "completed_at": moment}
    assert_422(_action(as_user("nanxi"), case, "submit", **body), "completed_at")


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_attachment_capture_time_outside_the_window_is_422_and_nothing_is_stored(as_user, flow, moment):
    case = flow.report()
    worker = as_user("nanxi_worker")
    response = worker.upload(
        f"/api/v1/cases/{case.pk}/attachments",
        {"file": jpeg_upload(), "client_id": str(uuid.uuid4()), "role": "report", "captured_at": moment},
    )
    assert_422(response, "captured_at")
    assert not Attachment.objects.filter(case=case).exists()
    _reads_still_work(worker, case)


@pytest.mark.parametrize("field", ["lon", "lat", "accuracy_m"])
def test_attachment_non_finite_numbers_are_422(as_user, flow, field):
    case = flow.report()
    response = as_user("nanxi_worker").upload(
        f"/api/v1/cases/{case.pk}/attachments",
        {"file": jpeg_upload(), "client_id": str(uuid.uuid4()), "role": "report", field: "nan"},
    )
    assert_422(response, field)


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "0001-01-01"},
        {"created_to": "9999-12-31"},
        {"created_from": "2026-03-01", "created_to": "2026-01-01"},
        {"created_from": "2000-01-01", "created_to": "2026-01-01"},
    ],
)
def test_query_ranges_are_bounded(worker, params):
    assert_422(worker.get("/api/v1/cases", **params), "created_")


# ---------------------------------------------------------------- integers and floats


@pytest.mark.parametrize("field", ["lon", "lat", "accuracy_m"])
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_coordinates_are_422(worker, report_body, field, literal):
    text = json.dumps(report_body)[:-1] + f', "{field}": {literal}}}'
    assert_422(raw_post(worker, "/api/v1/cases", text), field)
    assert not Case.objects.exists()


def test_integers_beyond_64_bits_are_never_a_500(worker, report_body, as_user, flow):
    assert_422(worker.post("/api/v1/cases", {**report_body, "place_id": HUGE}), "place_id")
    case = flow.report()
    for path in (f"/api/v1/cases/{HUGE}", f"/api/v1/cases/{case.pk}/attachments/{HUGE}/file"):
        assert worker.get(path).status_code in (404, 422)
    assert worker.get("/api/v1/cases", limit=str(HUGE)).status_code == 422
    assert_422(_action(as_user("nanxi"), case, "escalate", reason="x", version=HUGE), "version")
    assert_422(_action(as_user("nanxi"), case, "comment", comment="x", attachment_ids=[HUGE]), "attachment_ids")
    response = worker.client.post(
        f"/api/v1/cases/{HUGE}/actions/escalate",
        {"version": 1, "request_id": str(uuid.uuid4()), "reason": "x"},
        content_type="application/json",
        headers=worker.headers,
    )
    assert response.status_code in (404, 422)


# ---------------------------------------------------------------- web forms


@pytest.fixture
def web(client, people):
    client.force_login(people["nanxi"])
    return client


def _web_action(client, case, action, **fields):
    data = {"version": case.version, "request_id": str(uuid.uuid4()), **fields}
    return client.post(f"/cases/{case.pk}/actions/{action}/", data, headers={"HX-Request": "true"})


@pytest.mark.parametrize(
    "action, fields",
    [
        ("request_extension", {"requested_due": "9999-12-31T23:59", "reason": "材料未到"}),
        ("request_extension", {"requested_due": "0001-01-01T00:00", "reason": "材料未到"}),
        ("request_extension", {"requested_due": "2030-01-01T08:00", "reason": "材料\x1b未到"}),
        ("suspend", {"reason": "待拆除", "review_date": "9999-12-31"}),
        ("comment", {"comment": "x" * 2001}),
        ("comment", {"comment": "请\x1b处理"}),
    ],
)
def test_web_action_forms_refuse_the_same_values(web, flow, action, fields):
    case = flow.handling_l1()
    before = CaseEvent.objects.filter(case=case).count()
    response = _web_action(web, case, action, **fields)
    assert response.status_code == 422, response.content[:300]
    assert CaseEvent.objects.filter(case=case).count() == before
    assert web.get(f"/cases/{case.pk}/").status_code == 200


def test_web_case_list_with_a_year_9999_filter_is_an_answer_not_a_500(web, flow):
    flow.report()
    response = web.get("/cases/", {"created_from": "9999-12-31", "created_to": "0001-01-01"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path, params",
    [
        ("/map/regions.json", {"level": "1", "zoom": "inf"}),
        ("/map/regions.json", {"level": str(HUGE), "zoom": "1e999"}),
        ("/map/cases.geojson", {"date_from": "0001-01-01", "date_to": "9999-12-31"}),
        ("/dashboards/drill/", {"node": str(HUGE), "metric": "reported"}),
        ("/notifications/poll/", {"seen": str(HUGE)}),
        ("/cases/", {"q": "楼道\x1b" * 10}),
    ],
)
def test_web_query_strings_with_edge_values_are_answers(web, path, params):
    assert web.get(path, params).status_code in (200, 400, 404, 422)


@pytest.mark.parametrize("username", ["nanxi\x00", "nanxi\x1b", "x" * 5000])
def test_web_login_with_control_characters_is_a_form_error(client, db, username):
    response = client.post("/login/", {"username": username, "password": "x"})
    assert response.status_code in (200, 422)


# ---------------------------------------------------------------- exports stay readable


def test_xlsx_export_with_a_stored_control_character_is_readable(web, flow):
    case = flow.report()
    Case.objects.filter(pk=case.pk).update(description="楼道\x1b电动车\x0c充电", address="南溪\x08村")
    response = web.get("/cases/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [v for row in workbook.active.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert "楼道电动车充电" in values
    assert web.get(f"/cases/{case.pk}/").status_code == 200
