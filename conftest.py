"""Shared test set-up: the 仙游县 demo world (regions, units, people, catalog, calendar) is built once per test
database, so every test runs against real geometry and the real jurisdiction tree; each test then runs in a
transaction that is rolled back."""

import os
import uuid

import pytest
from django.test import TestCase

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from gridsafe.demo.world import build_world

    with django_db_blocker.unblock():
        build_world()


@pytest.fixture
def people(db):
    """The named demo users (nanxi_worker, nanxi, bangtou, county, fire …) by username."""
    from gridsafe.accounts.models import User
    from gridsafe.demo.world import NAMED_USERS

    return {u.username: u for u in User.objects.filter(username__in=[n[0] for n in NAMED_USERS])}


class Api:
    """A test client speaking the API as one user, with a real bearer token."""

    def __init__(self, client, user):
        from datetime import timedelta

        from gridsafe.accounts.models import ApiToken
        from gridsafe.accounts.services import token_hash
        from gridsafe.core import clock

        self.client = client
        self.user = user
        key = uuid.uuid4().hex
        ApiToken.objects.create(key_hash=token_hash(key), user=user, expires_at=clock.now() + timedelta(days=1))
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, body=None, **kwargs):
        # Run after-commit side effects (notifications) as a real commit would.
        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(path, body or {}, content_type="application/json", headers=self.headers, **kwargs)

    def upload(self, path, data):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(path, data, headers=self.headers)

    def act(self, case_id, action, version, **fields):
        body = {"version": version, "request_id": str(uuid.uuid4()), **fields}
        return self.post(f"/api/v1/cases/{case_id}/actions/{action}", body)


@pytest.fixture
def api_as(client, people):
    def make(username):
        return Api(client, people[username])

    return make
