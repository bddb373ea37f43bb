"""core.cache: an in-process copy of reference data follows edits made by any process, through its version row in
the database (without Redis every gunicorn worker has a Django cache of its own, so that cannot carry it)."""

import pytest
from django.db import transaction

from gridsafe.catalog.models import Category
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
