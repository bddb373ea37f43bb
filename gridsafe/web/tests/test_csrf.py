"""CSRF (等保 level 3): with the checks a browser gets (Django's test client skips them unless asked), a signed-in
session's POST without the token is refused, to the pages and to the API alike; with the token it goes through.
A bearer-token client (the API's other way in) carries no ambient credential and needs no token."""

import uuid

import pytest
from django.conf import settings
from django.test import Client, TestCase

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.tests.helpers import grid_point
from gridsafe.web.tests.helpers import new_case


@pytest.fixture
def browser(people):
    """A signed-in session, as a browser has it: the CSRF checks on, the token cookie set by a first page view."""

    def as_(username):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people[username])
        assert client.get("/").status_code == 200
        client.token = client.cookies[settings.CSRF_COOKIE_NAME].value
        return client

    return as_


def _comment(client, case, **extra):
    data = {"version": case.version, "request_id": str(uuid.uuid4()), "comment": "现场已复核", **extra}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/cases/{case.pk}/actions/comment/", data, headers={"HX-Request": "true"})


def _report_body(user) -> dict:
    lon, lat = grid_point(user)
    return {"client_id": str(uuid.uuid4()), "category": "fire-ebike-indoor", "description": "楼道内有电动车充电",
            "lon": lon, "lat": lat}  # fmt: skip


def test_a_case_action_form_needs_the_token(browser, people):
    case = new_case(people["nanxi_worker"])
    events = CaseEvent.objects.filter(case=case).count()
    client = browser("nanxi")
    refused = _comment(client, case)
    assert refused.status_code == 403
    assert CaseEvent.objects.filter(case=case).count() == events  # nothing was done
    assert _comment(client, case, csrfmiddlewaretoken="x" * 32).status_code == 403  # a wrong token is no token
    done = _comment(client, case, csrfmiddlewaretoken=client.token)
    assert done.status_code == 200, done.content[:500]
    assert CaseEvent.objects.filter(case=case).count() == events + 1


def test_logout_needs_the_token(browser, people):
    client = browser("nanxi")
    assert client.post("/logout/").status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    response = client.post("/logout/", {"csrfmiddlewaretoken": client.token})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302  # signed out


def test_a_session_post_to_the_api_needs_the_token(browser, people):
    """The API accepts the session cookie (the field app, the pages' fetches): a cross-site form or fetch riding on
    it must not create a case."""
    client = browser("nanxi_worker")
    before = Case.objects.count()
    body = _report_body(people["nanxi_worker"])
    refused = client.post("/api/v1/cases", body, content_type="application/json")
    assert refused.status_code == 403, refused.content
    assert "CSRF" in refused.json()["detail"]  # refused for the missing token, not for want of permission
    wrong = client.post("/api/v1/cases", body, content_type="application/json", headers={"X-CSRFToken": "y" * 32})
    assert wrong.status_code == 403
    assert Case.objects.count() == before
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = client.post(
            "/api/v1/cases", body, content_type="application/json", headers={"X-CSRFToken": client.token}
        )
    assert created.status_code == 201, created.content
    assert Case.objects.count() == before + 1


def test_a_bearer_token_post_needs_no_csrf_token(api_as, people):
    worker = api_as("nanxi_worker")
    worker.client = Client(enforce_csrf_checks=True)  # no session cookie: the bearer token is the credential
    created = worker.post("/api/v1/cases", _report_body(people["nanxi_worker"]))
    assert created.status_code == 201, created.content


def test_a_bad_bearer_token_does_not_fall_back_to_the_session_without_the_token(browser, people):
    """A session cookie and a made-up bearer token: the bearer check fails, the session check still wants CSRF."""
    client = browser("nanxi_worker")
    refused = client.post(
        "/api/v1/cases",
        _report_body(people["nanxi_worker"]),
        content_type="application/json",
        headers={"Authorization": f"Bearer {uuid.uuid4().hex}"},
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"], refused.content
    assert not Case.objects.filter(reporter=people["nanxi_worker"]).exists()
