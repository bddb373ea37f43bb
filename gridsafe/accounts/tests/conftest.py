import pytest
from django.core.cache import cache

FAST = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test's rolled-back transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_hashes(settings, request):
    """These tests log in dozens of times: MD5 hashes (for the named demo users too, inside the test's
    transaction) instead of a million PBKDF2 rounds per attempt."""
    settings.PASSWORD_HASHERS = FAST
    if "people" in request.fixturenames:
        from django.contrib.auth.hashers import make_password

        from gridsafe.accounts.models import User
        from gridsafe.demo.world import DEMO_PASSWORD, NAMED_USERS

        request.getfixturevalue("people")
        User.objects.filter(username__in=[n[0] for n in NAMED_USERS]).update(password=make_password(DEMO_PASSWORD))
        for user in request.getfixturevalue("people").values():
            user.refresh_from_db(fields=["password"])
