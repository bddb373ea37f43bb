import uuid

import pytest

from gridsafe.cases.tests.helpers import Flow, grid_point


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded test photos go to a per-test directory, not the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Plain local storage: the fsyncs of DurableFileSystemStorage cost seconds on a busy disk and are not what
    # these tests are about.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    # The per-user intake rate counts in the process cache across tests; it has its own tests.
    settings.GRIDSAFE_INTAKE_RATE = "100000/m"


@pytest.fixture
def flow(people):
    return Flow(people)


@pytest.fixture
def as_user(api_as):
    """api_as with one token per user per test: `as_user("nanxi").get(...)`."""
    from datetime import UTC, datetime

    from gridsafe.accounts.models import ApiToken

    made = {}

    def get(username):
        if username not in made:
            made[username] = api_as(username)
            # Tests move the clock (core.clock.frozen) to chosen instants; the token must outlive all of them.
            ApiToken.objects.filter(user=made[username].user).update(expires_at=datetime(2100, 1, 1, tzinfo=UTC))
        return made[username]

    return get


@pytest.fixture
def worker(as_user):
    """南溪村's grid worker, speaking the API."""
    return as_user("nanxi_worker")


@pytest.fixture
def report_body(worker):
    """A valid report body in the worker's grid; a test breaks one thing in it."""
    lon, lat = grid_point(worker.user)
    return {
        "client_id": str(uuid.uuid4()),
        "category": "fire-ebike-indoor",
        "description": "楼道内有电动车充电",
        "lon": lon,
        "lat": lat,
    }
