"""Bearer tokens: log in, be yourself, stop being anyone when the token expires or is wrong. Lockout, second factor
and password expiry are the subject of test_security.py; here one attempt per person per test stays far below them."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from gridsafe.accounts.models import ApiToken, User
from gridsafe.core import clock
from gridsafe.core.models import AuditEvent

PASSWORD = "gridsafe-demo"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_address_rate_limit(settings):
    # The per-address login rate counts in the process cache across tests; it has its own tests.
    settings.GRIDSAFE_LOGIN_RATE = "10000/m"


def login(client, username, password):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json"
    )


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_right_password_gives_a_token_that_is_me(client, people):
    before = timezone.now()
    response = login(client, "nanxi", PASSWORD)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(hours=11, minutes=59) < expires < timezone.now() + timedelta(hours=12, minutes=1)
    # Only the hash is stored: a database leak does not leak sessions.
    stored = ApiToken.objects.get(user=people["nanxi"])
    assert stored.key_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in stored.key_hash

    mine = me(client, body["token"])
    assert mine.status_code == 200
    assert {k: mine.json()[k] for k in ("username", "display_name", "role", "unit_name")} == {
        "username": "nanxi",
        "display_name": "王建平",
        "role": "station_officer",
        "unit_name": "南溪村网格管理站",
    }
    audit = AuditEvent.objects.filter(action="auth.login", target="nanxi")
    assert list(audit.values_list("outcome", "actor_id", "ip")) == [("success", people["nanxi"].pk, "127.0.0.1")]


def test_wrong_password_is_401_problem_and_audited(client, people):
    response = login(client, "nanxi", "not-the-password")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["code"], body["status"]) == ("authentication_failed", 401)
    assert body["detail"] == "用户名或密码错误"
    assert not ApiToken.objects.filter(user=people["nanxi"]).exists()
    audit = AuditEvent.objects.filter(action="auth.login", target="nanxi")
    assert list(audit.values_list("outcome", "actor_id")) == [("failure", None)]


def test_unknown_and_inactive_users_get_the_same_answer_as_a_wrong_password(client, people):
    wrong = login(client, "nanxi", "not-the-password").json()
    assert login(client, "no-such-person", "whatever").json() == wrong
    User.objects.filter(username="quanshan").update(is_active=False)
    assert login(client, "quanshan", PASSWORD).json() == wrong
    assert AuditEvent.objects.filter(action="auth.login", target="no-such-person", outcome="failure").count() == 1


@pytest.mark.parametrize("body", [{"username": "nanxi"}, {"password": PASSWORD}, {"username": 7, "password": []}])
def test_missing_or_mistyped_credentials_are_422(client, db, body):
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


def test_no_token_is_401(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_required"


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer not-a-token", "Token abc", "bearer"])
def test_a_wrong_or_malformed_token_is_401(client, db, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_an_expired_token_is_401(client, people):
    """12 hours after issue, however busy the token was (the idle limit is tested below)."""
    token = login(client, "nanxi", PASSWORD).json()["token"]
    expires = ApiToken.objects.get(user=people["nanxi"]).expires_at
    ApiToken.objects.filter(user=people["nanxi"]).update(last_used_at=expires - timedelta(minutes=1))  # in use

    with clock.frozen(expires - timedelta(seconds=1)):
        assert me(client, token).status_code == 200
    with clock.frozen(expires):
        response = me(client, token)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_a_deactivated_users_token_stops_working(client, people):
    from gridsafe.accounts.services import user_deactivate

    token = login(client, "nanxi", PASSWORD).json()["token"]
    assert me(client, token).status_code == 200
    user_deactivate(actor=people["admin"], user=people["nanxi"])
    assert me(client, token).status_code == 401


def test_a_token_is_no_one_elses(client, people):
    nanxi = login(client, "nanxi", PASSWORD).json()["token"]
    quanshan = login(client, "quanshan", PASSWORD).json()["token"]
    assert me(client, nanxi).json()["username"] == "nanxi"
    assert me(client, quanshan).json()["username"] == "quanshan"
    assert me(client, quanshan).json()["jurisdiction_paths"] != me(client, nanxi).json()["jurisdiction_paths"]


# ---------------------------------------------------------------- idle timeout and revocation


def _issued(client, username="nanxi"):
    """A fresh token and the instant it was issued (its last use)."""
    key = login(client, username, PASSWORD).json()["token"]
    return key, ApiToken.objects.get(key_hash=hashlib.sha256(key.encode()).hexdigest()).last_used_at


def test_a_token_unused_longer_than_the_session_idle_limit_is_401(client, people, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    key, issued = _issued(client)
    with clock.frozen(issued + timedelta(minutes=30)):
        assert me(client, key).status_code == 200  # exactly the limit: still in
    key, issued = _issued(client)
    with clock.frozen(issued + timedelta(minutes=30, seconds=1)):
        response = me(client, key)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_required"


def test_a_token_in_use_slides_past_the_first_idle_window(client, people):
    key, issued = _issued(client)
    for minutes in (20, 40, 60, 80):  # never 30 minutes apart, long past the first window
        with clock.frozen(issued + timedelta(minutes=minutes)):
            assert me(client, key).status_code == 200, minutes
    with clock.frozen(issued + timedelta(minutes=80 + 31)):
        assert me(client, key).status_code == 401


def test_background_polls_with_a_token_do_not_keep_it_alive(client, people):
    """The notification badge polled every 20 s by an open tab is not the person doing something: the token ends 30
    minutes after the last real request, as a session does."""
    key, issued = _issued(client)
    auth = {"Authorization": f"Bearer {key}", "X-GridSafe-Poll": "1"}
    for minutes in (10, 20, 29):
        with clock.frozen(issued + timedelta(minutes=minutes)):
            badge = client.get("/api/v1/notifications", {"unread_only": "true"}, headers=auth)
            assert badge.status_code == 200, minutes
    with clock.frozen(issued + timedelta(minutes=31)):
        assert me(client, key).status_code == 401


def test_a_token_is_touched_at_most_once_a_minute(client, people):
    """The hot path stays one SELECT: a fresh token needs no UPDATE, and after a minute one conditional UPDATE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key, issued = _issued(client)

    def writes():
        with CaptureQueriesContext(connection) as ctx:
            assert me(client, key).status_code == 200
        return [q["sql"] for q in ctx if q["sql"].lstrip().upper().startswith("UPDATE")]

    with clock.frozen(issued + timedelta(seconds=59)):
        assert writes() == []
    with clock.frozen(issued + timedelta(seconds=61)):
        assert len(writes()) == 1
        assert writes() == []  # touched: the next request in that minute writes nothing
    assert ApiToken.objects.get(user=people["nanxi"]).last_used_at == issued + timedelta(seconds=61)


def test_logout_revokes_the_calling_token_only(client, people):
    key, _issued_at = _issued(client)
    other, _ = _issued(client)
    response = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 204
    assert me(client, key).status_code == 401
    assert me(client, other).status_code == 200  # the same person's other device stays signed in
    row = AuditEvent.objects.get(action="auth.logout")
    assert (row.actor_id, row.target) == (people["nanxi"].pk, "nanxi")
    # A revoked token logs out nothing more.
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_logout_with_a_session_ends_the_session(client, people):
    client.force_login(people["nanxi"])
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_a_password_change_revokes_the_old_tokens(client, people):
    from django.test import Client

    key, _ = _issued(client)
    assert me(client, key).status_code == 200
    page = Client()
    page.force_login(people["nanxi"])
    response = page.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "New-Pass-2026y", "new_password2": "New-Pass-2026y"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = me(client, key)
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert not ApiToken.objects.filter(user=people["nanxi"]).exists()
    assert me(client, login(client, "nanxi", "New-Pass-2026y").json()["token"]).status_code == 200


def test_role_change_deactivation_and_second_factor_reset_revoke_tokens(client, people):
    from gridsafe.accounts.models import Role, TotpDevice
    from gridsafe.accounts.otp import totp_reset
    from gridsafe.accounts.services import user_deactivate, user_role_change
    from gridsafe.accounts.tests.helpers import make_user

    security = make_user("sec-revoke", Role.SECURITY_ADMIN)
    key, _ = _issued(client, "nanxi")
    user_role_change(actor=security, user=people["nanxi"], role=Role.STATION_OFFICER)  # no change: kept
    assert me(client, key).status_code == 200
    user_role_change(actor=security, user=people["nanxi"], role=Role.CENTRE_OPERATOR)
    assert me(client, key).status_code == 401

    lead = people["county_lead"]
    key, _ = _issued(client, "county_lead")
    TotpDevice.objects.create(user=lead, secret="JBSWY3DPEHPK3PXP", confirmed_at=clock.now())
    User.objects.filter(pk=lead.pk).update(otp_enabled=True)
    assert me(client, key).status_code == 200
    totp_reset(actor=security, user=lead, ip=None)
    assert me(client, key).status_code == 401

    key, _ = _issued(client, "quanshan")
    assert me(client, key).status_code == 200
    user_deactivate(actor=people["admin"], user=people["quanshan"])
    User.objects.filter(username="quanshan").update(is_active=True)  # even if the account comes back
    assert me(client, key).status_code == 401


def test_the_hourly_purge_deletes_exactly_the_tokens_that_no_longer_work(client, people):
    from gridsafe.accounts.services import tokens_purge_expired

    idle, idle_issued = _issued(client, "nanxi")
    busy, busy_issued = _issued(client, "quanshan")
    expired, _ = _issued(client, "bangtou")
    ApiToken.objects.filter(key_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=busy_issued + timedelta(minutes=20)
    )
    with clock.frozen(busy_issued + timedelta(minutes=20)):
        assert me(client, busy).status_code == 200  # in use: its idle window slides on

    with clock.frozen(idle_issued + timedelta(minutes=31)):
        assert tokens_purge_expired() >= 2  # the two above (and any a committed test left behind)
        assert me(client, busy).status_code == 200
    remaining = set(ApiToken.objects.values_list("user__username", flat=True))
    assert {"quanshan"} <= remaining and not {"nanxi", "bangtou"} & remaining
