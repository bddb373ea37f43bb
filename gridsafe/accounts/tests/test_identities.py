"""A process keeps what a token's lookup read (accounts.identities): the same token's next requests ask the
database nothing about who is asking, and a revocation still reaches every process within a second."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridsafe.accounts.identities import IDENTITY_RECHECK_SECONDS, identities
from gridsafe.accounts.models import ApiToken, User
from gridsafe.accounts.services import token_hash, user_for_token
from gridsafe.accounts.tests.test_auth import PASSWORD, login, me
from gridsafe.core import clock
from gridsafe.core.cache import bump_version


@pytest.fixture
def monotonic(monkeypatch):
    """Moves the identities' clock (the age of a kept lookup, the version recheck) forward by hand."""
    now = [identities.clock()]
    monkeypatch.setattr(identities, "clock", lambda: now[0])

    def forward(seconds: float) -> None:
        now[0] += seconds

    return forward


def _token_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if ApiToken._meta.db_table in q["sql"]]


def test_a_tokens_next_requests_ask_nothing_about_who_is_asking(client, people):
    token = login(client, "nanxi_worker", PASSWORD).json()["token"]
    with CaptureQueriesContext(connection) as first:
        assert me(client, token).status_code == 200
    with CaptureQueriesContext(connection) as second:
        again = me(client, token)
    assert len(_token_queries(first.captured_queries)) == 1
    assert _token_queries(second.captured_queries) == []
    assert again.status_code == 200 and again.json()["username"] == "nanxi_worker"


def test_the_kept_identity_is_the_looked_up_one_and_every_request_gets_its_own(people):
    key = "k" * 40
    ApiToken.objects.create(key_hash=token_hash(key), user=people["nanxi_worker"], expires_at=_tomorrow())
    looked_up = user_for_token(key)
    kept = user_for_token(key)

    assert kept is not looked_up and kept.unit is not looked_up.unit
    for user in (looked_up, kept):
        assert (user.pk, user.username, user.role, user.unit.name, user.unit.region.path) == (
            people["nanxi_worker"].pk,
            "nanxi_worker",
            "grid_worker",
            "南溪村网格管理站",
            people["nanxi_worker"].unit.region.path,
        )
        assert set(user.preloaded_grid_paths) == set(people["nanxi_worker"].grids.values_list("path", flat=True))
    kept.display_name = "changed by one request"
    assert user_for_token(key).display_name == "王芳"  # a request's changes stay its own


def test_a_revocation_in_another_process_is_refused_here_within_a_second(client, people, monotonic):
    token = login(client, "nanxi", PASSWORD).json()["token"]
    assert me(client, token).status_code == 200
    # Another process logs the token out: its rows go, and the shared version moves (its identities_changed()),
    # but this process's copy can only be dropped by this process noticing the version.
    ApiToken.objects.filter(key_hash=token_hash(token)).delete()
    bump_version("identities")
    monotonic(IDENTITY_RECHECK_SECONDS)
    assert me(client, token).status_code == 401


def test_a_change_made_behind_the_services_back_is_seen_within_a_minute(client, people, monotonic, settings):
    assert settings.GRIDSAFE_TOKEN_KEEP_SECONDS == 60
    token = login(client, "nanxi", PASSWORD).json()["token"]
    assert me(client, token).status_code == 200
    User.objects.filter(username="nanxi").update(is_active=False)  # a shell or raw SQL: no identities_changed()
    monotonic(58)
    assert me(client, token).status_code == 200
    monotonic(3)  # past the minute by a second: the exact boundary is not what a user can tell apart
    assert me(client, token).status_code == 401


def test_keeping_lookups_can_be_switched_off(client, people, settings):
    settings.GRIDSAFE_TOKEN_KEEP_SECONDS = 0
    token = login(client, "nanxi", PASSWORD).json()["token"]
    assert me(client, token).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert me(client, token).status_code == 200
    assert len(_token_queries(again.captured_queries)) == 1


def test_a_kept_identity_still_ends_with_its_token(client, people):
    token = login(client, "nanxi", PASSWORD).json()["token"]
    ends = clock.now() + timedelta(seconds=30)
    ApiToken.objects.filter(key_hash=token_hash(token)).update(expires_at=ends)
    assert me(client, token).status_code == 200  # kept from here on, its end with it
    with clock.frozen(ends - timedelta(seconds=1)):
        assert me(client, token).status_code == 200
    with clock.frozen(ends):
        assert me(client, token).status_code == 401


def _tomorrow():
    return clock.now() + timedelta(days=1)


def test_a_kept_identity_still_honours_an_idle_limit_under_a_minute(client, people, settings):
    settings.SESSION_COOKIE_AGE = 30
    token = login(client, "nanxi", PASSWORD).json()["token"]
    used = clock.now()
    assert me(client, token).status_code == 200
    with clock.frozen(used + timedelta(seconds=29)):
        assert me(client, token).status_code == 200  # kept, and the token's last use is 29 s ago
    with clock.frozen(used + timedelta(seconds=31)):
        assert me(client, token).status_code == 401
