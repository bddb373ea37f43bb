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
    token = login(client, "nanxi", PASSWORD).json()["token"]
    expires = ApiToken.objects.get(user=people["nanxi"]).expires_at

    with clock.frozen(expires - timedelta(seconds=1)):
        assert me(client, token).status_code == 200
    with clock.frozen(expires):
        response = me(client, token)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_a_deactivated_users_token_stops_working(client, people):
    token = login(client, "nanxi", PASSWORD).json()["token"]
    assert me(client, token).status_code == 200
    User.objects.filter(username="nanxi").update(is_active=False)
    assert me(client, token).status_code == 401


def test_a_token_is_no_one_elses(client, people):
    nanxi = login(client, "nanxi", PASSWORD).json()["token"]
    quanshan = login(client, "quanshan", PASSWORD).json()["token"]
    assert me(client, nanxi).json()["username"] == "nanxi"
    assert me(client, quanshan).json()["username"] == "quanshan"
    assert me(client, quanshan).json()["jurisdiction_paths"] != me(client, nanxi).json()["jurisdiction_paths"]
