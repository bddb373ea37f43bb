"""The 30-minute idle limit holds on an open tab: background polls (the badge, the home queues, the big-screen feed)
neither reset it nor extend the stored session, a real request does, and a poll after the limit is a 401 that sends
the tab to the login page. Every answer to a signed-in request is `Cache-Control: no-store`."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from freezegun import freeze_time

import gridsafe.urls  # noqa: F401  (the API's schemas are built before freezegun swaps datetime)
from conftest import Api
from gridsafe.core import clock

POLL = {"X-GridSafe-Poll": "1", "HX-Request": "true", "HX-Current-URL": "http://testserver/cases/"}


@pytest.fixture
def signed_in(client, people):
    client.force_login(people["county"])
    return client


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_polls_do_not_extend_the_session_and_end_it_after_the_idle_limit(signed_in, settings):
    start = clock.now()
    with freeze_time(start) as frozen:
        assert signed_in.get("/").status_code == 200  # real activity at 0'
        stored = _expiry(signed_in)
        for minute in (10, 20, 29):
            frozen.move_to(start + timedelta(minutes=minute))
            poll = signed_in.get("/notifications/poll/", headers=POLL)
            assert poll.status_code == 200, minute
            assert "sessionid" not in poll.cookies  # the cookie's max-age is not renewed either
            assert 0 < int(poll["X-GridSafe-Idle-Remaining"]) <= (30 - minute) * 60
        assert _expiry(signed_in) == stored  # the stored session did not move on

        frozen.move_to(start + timedelta(minutes=31))
        poll = signed_in.get("/notifications/poll/", headers=POLL)
        assert poll.status_code == 401
        assert poll["HX-Redirect"].startswith("/login/?next=%2Fcases%2F")
        page = signed_in.get("/cases/")
        assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_known_poll_addresses_count_as_polls_without_the_header(signed_in):
    start = clock.now()
    with freeze_time(start) as frozen:
        signed_in.get("/")
        frozen.move_to(start + timedelta(minutes=25))
        signed_in.get("/notifications/poll/")  # no header: still a poll
        signed_in.get("/api/v1/stats/screen")
        frozen.move_to(start + timedelta(minutes=31))
        assert signed_in.get("/cases/").status_code == 302


def test_a_real_request_extends_the_session_and_keepalive_is_one(signed_in):
    start = clock.now()
    with freeze_time(start) as frozen:
        signed_in.get("/")
        frozen.move_to(start + timedelta(minutes=20))
        keep = signed_in.post("/session/keepalive/")
        assert keep.status_code == 204
        assert keep["X-GridSafe-Idle-Remaining"] == str(30 * 60)
        frozen.move_to(start + timedelta(minutes=45))  # 25 minutes after the 继续
        poll = signed_in.get("/notifications/poll/", headers=POLL)
        assert poll.status_code == 200
        assert signed_in.get("/cases/").status_code == 200


def test_page_views_save_the_session_at_most_once_a_minute_and_a_post_always(signed_in):
    start = clock.now()
    with freeze_time(start) as frozen:
        signed_in.post("/session/keepalive/")  # the activity mark at `start`, to the second
        stored = _expiry(signed_in)
        assert stored == start + timedelta(minutes=30)
        frozen.move_to(start + timedelta(seconds=50))
        again = signed_in.get("/cases/")  # within the minute: read, not written
        assert "sessionid" not in again.cookies and _expiry(signed_in) == stored
        assert int(again["X-GridSafe-Idle-Remaining"]) == 30 * 60 - 50
        frozen.move_to(start + timedelta(seconds=70))
        later = signed_in.get("/cases/")  # a minute on: the mark moves, the store and the cookie are renewed
        assert later.cookies["sessionid"]["max-age"] == 30 * 60
        assert _expiry(signed_in) == stored + timedelta(seconds=70)
        assert later["X-GridSafe-Idle-Remaining"] == str(30 * 60)
        frozen.move_to(start + timedelta(seconds=80))
        keep = signed_in.post("/session/keepalive/")  # 继续 is always activity, whatever the minute
        assert keep["X-GridSafe-Idle-Remaining"] == str(30 * 60)
        assert _expiry(signed_in) == stored + timedelta(seconds=80)


def test_keepalive_after_the_limit_is_refused(signed_in):
    start = clock.now()
    with freeze_time(start) as frozen:
        signed_in.get("/")
        frozen.move_to(start + timedelta(minutes=30, seconds=5))
        assert signed_in.post("/session/keepalive/").status_code == 401


def test_pages_poll_with_the_header_and_carry_the_warning(signed_in):
    html = signed_in.get("/").content.decode()
    # the badge and the home queues are polls; the warning dialog and its module are on every signed-in page
    assert html.count('hx-headers=\'{"X-GridSafe-Poll": "1"}\'') >= 2
    assert 'data-idle-seconds="1800"' in html
    assert 'id="idle-dialog"' in html and "因长时间未操作而退出登录" in html
    assert 'type="module" src="/static/web/session.js"' in html
    assert "<script>" not in html  # no inline script (CSP)


def test_login_page_says_why_after_an_idle_sign_out(client, db):
    assert "因长时间未操作，您已退出登录" in client.get("/login/?idle=1").content.decode()


# ---------------------------------------------------------------- Cache-Control: no-store


def test_signed_in_page_is_not_stored(signed_in):
    response = signed_in.get("/cases/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_api_answer_is_not_stored(client, people):
    api = Api(client, people["county"])
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    session_api = client.get("/api/v1/me")  # without the token: anonymous, 401 — nothing personal in it
    assert session_api.status_code == 401


def test_export_download_is_not_stored(signed_in):
    response = signed_in.get("/cases/export.csv")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
