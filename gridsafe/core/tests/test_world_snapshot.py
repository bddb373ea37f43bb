"""The test suite's demo world survives transactional and browser tests: their teardown puts back the world as
built (conftest `WorldSnapshot`) instead of flushing it, so the next test finds the same people, regions and
catalogue without a rebuild, nothing the test committed, and the append-only tables append-only again."""

import pytest
from django.apps import apps
from django.db import connection
from django.test import TransactionTestCase

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.tests.helpers import Flow
from gridsafe.catalog.categories import active_category, categories
from gridsafe.catalog.models import Category, WorkCalendarDay
from gridsafe.core.appendonly import triggers_missing
from gridsafe.core.audit import audit_record, audit_verify
from gridsafe.core.models import AuditEvent


def _counts() -> dict[str, int]:
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    return {m._meta.label: m._base_manager.count() for m in models}


@pytest.mark.django_db(transaction=True)
def test_the_teardown_of_a_transactional_test_puts_the_world_back(committed_world):
    before = _counts()
    assert before["accounts.User"] > 1000 and before["cases.Case"] == 0

    # What a live-server test commits: a case with its append-only timeline, an audit row, a world row changed, a
    # world row deleted (on PostgreSQL only the tables a test changed are put back: an insert, an update and a
    # delete must each be seen) and a reference cache invalidated by the change.
    worker = committed_world["nanxi_worker"]
    case = Flow(committed_world).report()
    assert CaseEvent.objects.filter(case=case).exists()
    audit_record(action="drill", target="world snapshot")
    User.objects.filter(pk=worker.pk).update(display_name="改过的名字")
    deleted_day = WorkCalendarDay.objects.order_by("pk").first()
    WorkCalendarDay.objects.filter(pk=deleted_day.pk).delete()
    category = Category.objects.get(code="fire-ebike-indoor")
    Category.objects.filter(pk=category.pk).update(name="改过的类别")
    categories.invalidate()
    assert active_category("fire-ebike-indoor").name == "改过的类别"

    TransactionTestCase("__init__")._fixture_teardown()  # what pytest-django runs after this test

    assert _counts() == before
    assert not Case.objects.exists() and not AuditEvent.objects.filter(action="drill").exists()
    assert User.objects.get(pk=worker.pk).display_name == "王芳"
    assert WorkCalendarDay.objects.get(pk=deleted_day.pk).date == deleted_day.date
    assert active_category("fire-ebike-indoor").name == category.name  # the process's copy went with the rows
    assert audit_verify().ok
    assert triggers_missing(connection) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT lifted FROM append_only_guard WHERE id = 1")
        assert not cursor.fetchone()[0]  # the guard is down again: DELETE on the timeline is refused
