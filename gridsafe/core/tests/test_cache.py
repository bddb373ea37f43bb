"""core.cache: an in-process copy of reference data follows edits made by any process, through its version row in
the database (without Redis every gunicorn worker has a Django cache of its own, so that cannot carry it)."""

import pytest
from django.db import transaction

import gridsafe.accounts.identities
import gridsafe.accounts.routing
import gridsafe.catalog.calendar
import gridsafe.catalog.categories
import gridsafe.catalog.limits
import gridsafe.dashboards.selectors
import gridsafe.regions.locate
import gridsafe.web.selectors  # noqa: F401  (each defines its caches at import)
from gridsafe.catalog.models import Category
from gridsafe.core import cache
from gridsafe.core.cache import VersionedCache, bump_version, read_version


def _active_codes() -> set[str]:
    return set(Category.objects.filter(is_active=True).values_list("code", flat=True))


@pytest.mark.django_db
def test_a_copy_in_another_process_follows_an_edit_at_its_next_check():
    other = VersionedCache("test_codes", _active_codes, check_seconds=0)  # stands for another worker's copy
    assert "fire-escape-blocked" in other.get()

    Category.objects.filter(code="fire-escape-blocked").update(is_active=False)
    bump_version("test_codes")  # what invalidate() in the admin's process writes

    assert "fire-escape-blocked" not in other.get()


@pytest.mark.django_db
def test_a_copy_checked_recently_is_not_rebuilt():
    copy = VersionedCache("test_codes_slow", _active_codes, check_seconds=3600)
    first = copy.get()
    bump_version("test_codes_slow")
    assert copy.get() is first  # no query until the interval is over: the intake path pays nothing


@pytest.mark.django_db
def test_invalidate_drops_the_local_copy_at_once_and_rolls_back_with_the_edit():
    copy = VersionedCache("test_codes_tx", _active_codes, check_seconds=3600)
    copy.get()
    before = read_version("test_codes_tx")

    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.filter(code="fire-escape-blocked").update(is_active=False)
        copy.invalidate()
        assert "fire-escape-blocked" not in copy.get()  # this process sees its own edit at once
        raise RuntimeError("the admin's save fails")

    assert read_version("test_codes_tx") == before  # no other process is told of an edit that never happened
    copy.forget()
    assert "fire-escape-blocked" in copy.get()


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db
def test_a_change_made_behind_the_services_back_is_seen_after_max_age():
    """A raw UPDATE that bumps no version row (a shell session, a restore, a writer that forgot): the copy is
    rebuilt once it is max_age old, whatever the version row says."""
    copy = VersionedCache("test_codes_age", _active_codes, check_seconds=30, max_age=300)
    copy.clock = _Clock()
    assert "fire-escape-blocked" in copy.get()

    Category.objects.filter(code="fire-escape-blocked").update(is_active=False)  # no invalidate(), no bump

    copy.clock.now += 60  # past the version check, version unchanged: the copy stands
    assert "fire-escape-blocked" in copy.get()
    copy.clock.now += 240  # 300 s after it was built
    assert "fire-escape-blocked" not in copy.get()


def test_every_reference_cache_has_a_bounded_age():
    """The backstop holds for every cache the apps define, not only for the ones a test builds."""
    names = {c.name for c in cache._all}
    assert {"identities", "unit_routing", "calendar", "categories", "time_limits", "grid_index"} <= names
    assert all(0 < c.max_age <= 600 for c in cache._all if not c.name.startswith("test_"))


@pytest.mark.django_db
def test_invalidating_a_cache_invalidates_the_caches_that_follow_it():
    """A lower layer's service (regions) invalidates its own cache; the caches above built from its rows follow."""
    base = VersionedCache("test_base", _active_codes, check_seconds=3600)
    above = VersionedCache("test_above", _active_codes, check_seconds=3600, follows=("test_base",))
    top = VersionedCache("test_top", _active_codes, check_seconds=3600, follows=("test_above",))
    above.get(), top.get()
    versions = {name: read_version(name) for name in ("test_above", "test_top")}
    Category.objects.filter(code="fire-escape-blocked").update(is_active=False)

    base.invalidate()

    assert "fire-escape-blocked" not in above.get() and "fire-escape-blocked" not in top.get()
    assert all(read_version(name) != version for name, version in versions.items())  # other processes too
