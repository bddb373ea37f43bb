import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded photos and generated bulletins go to a per-test directory, not the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def flow(people):
    from gridsafe.cases.tests.helpers import Flow

    return Flow(people)


@pytest.fixture
def screen_server(serial_live_server):
    """The live server for the big screen (see serial_live_server in the root conftest)."""
    return serial_live_server


def session_cookie(user, base_url: str) -> dict:
    """A logged-in session for `user`, as a Playwright cookie for `base_url`."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }
