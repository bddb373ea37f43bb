import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded photos and generated bulletins go to a per-test directory, not the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def flow(people):
    from gridsafe.cases.tests.helpers import Flow

    return Flow(people)
