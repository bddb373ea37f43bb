"""The append-only tables are append-only on the FINAL schema, on both databases: every trigger of the registry
(core/appendonly.py) is there after all migrations, raw UPDATE and DELETE fail, the test flush's guard lifts DELETE
only, a migrate that lost a trigger puts it back loudly, and `check_deploy` and `audit verify` fail when one is
missing. Also: no "legacy" audit rows on trust (a forged row outside the chain is reported, whatever its id)."""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from gridsafe.cases.models import CaseEvent
from gridsafe.core import appendonly
from gridsafe.core.appendonly import APPEND_ONLY_TABLES, triggers_drop, triggers_install, triggers_missing
from gridsafe.core.audit import adopt_unchained, audit_record, audit_verify
from gridsafe.core.models import AuditEvent


@pytest.fixture
def flow(people):
    from gridsafe.cases.tests.helpers import Flow

    return Flow(people)


def _rows(flow):
    case = flow.handling_l1()
    event = CaseEvent.objects.filter(case=case).order_by("seq").first()
    audit = audit_record(action="auth.login", target="x")
    return {"cases_caseevent": event.pk, "core_auditevent": audit.pk}


def _refused(sql, params) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


def test_every_append_only_model_is_in_the_registry():
    """A new AppendOnlyModel without database triggers would be append-only in Python only."""
    from django.apps import apps

    from gridsafe.core.models import AppendOnlyModel

    tables = {m._meta.db_table for m in apps.get_models() if issubclass(m, AppendOnlyModel)}
    assert tables == {
        "cases_caseevent",
        "core_auditevent",
        "hazards_majorhazardevent",
        "hazards_enterpriserecord",
    }
    assert tables <= set(APPEND_ONLY_TABLES)


@pytest.mark.django_db
def test_every_registered_trigger_exists_after_all_migrations():
    assert triggers_missing(connection) == []
    # …and no migration dropped one that the post_migrate repair had to put back (a migration that rebuilds an
    # append-only table must re-create its triggers itself, like cases/0008).
    assert appendonly.REPAIRED == []


@pytest.mark.django_db
def test_raw_update_and_delete_fail_on_both_tables(flow):
    ids = _rows(flow)
    for table, pk in ids.items():
        assert _refused(f"UPDATE {table} SET created_at = created_at WHERE id = %s", [pk]), table
        assert _refused(f"DELETE FROM {table} WHERE id = %s", [pk]), table
    assert CaseEvent.objects.filter(pk=ids["cases_caseevent"]).exists()
    assert AuditEvent.objects.filter(pk=ids["core_auditevent"]).exists()


@pytest.mark.django_db
def test_the_flush_guard_lifts_delete_only(flow):
    """The guard as `audit_purge` and conftest `WorldSnapshot.restore` lift it: DELETE passes, UPDATE never does."""
    ids = _rows(flow)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE append_only_guard SET lifted = %s WHERE id = 1", [True])
    assert _refused("UPDATE core_auditevent SET outcome = 'x' WHERE id = %s", [ids["core_auditevent"]])
    assert not _refused("DELETE FROM core_auditevent WHERE id = %s", [ids["core_auditevent"]])
    assert not AuditEvent.objects.filter(pk=ids["core_auditevent"]).exists()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE append_only_guard SET lifted = %s WHERE id = 1", [False])
    assert _refused("DELETE FROM cases_caseevent WHERE id = %s", [ids["cases_caseevent"]])


@pytest.mark.django_db
def test_migrate_puts_back_a_dropped_trigger_and_says_so(capsys):
    triggers_drop(connection, ["cases_caseevent"])
    assert any(m.startswith("cases_caseevent:") for m in triggers_missing(connection))
    try:
        appendonly.repair_after_migrate(using="default", verbosity=1)
        assert triggers_missing(connection) == []
        assert "append-only triggers were missing" in capsys.readouterr().err
        assert any(m.startswith("cases_caseevent:") for m in appendonly.REPAIRED)
    finally:
        appendonly.REPAIRED.clear()


@pytest.mark.django_db
def test_check_deploy_fails_when_a_trigger_is_missing(capsys):
    from gridsafe.ops.management.commands.check_deploy import deploy_problems

    assert not [p for p in deploy_problems() if "append-only" in p]
    triggers_drop(connection, ["cases_caseevent"])
    problems = [p for p in deploy_problems() if "append-only" in p]
    assert problems and all("cases_caseevent" in p for p in problems)
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_deploy", "--skip-accounts")
    assert exit_info.value.code == 1
    assert "append-only trigger missing: cases_caseevent" in capsys.readouterr().err


@pytest.mark.django_db
def test_audit_verify_fails_when_a_trigger_is_missing(capsys):
    call_command("audit", "verify")  # exits 0 on the intact schema
    triggers_drop(connection, ["core_auditevent"])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "append-only trigger missing: core_auditevent" in capsys.readouterr().err
    triggers_install(connection, ["core_auditevent"])
    call_command("audit", "verify")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db
def test_a_disabled_trigger_counts_as_missing_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER USER")
    assert triggers_missing(connection) == ["cases_caseevent: cases_caseevent_append_only"]


# ---------------------------------------------------------------- no "legacy" rows on trust


@pytest.mark.django_db
def test_a_forged_row_outside_the_chain_is_reported_whatever_its_id():
    """The old verify took any row without seq and an id below the chain's first row for a pre-chain ("legacy")
    row: a row forged with a small or negative id passed."""
    audit_record(action="auth.login", target="real")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (id, created_at, actor_label, action, target, outcome, payload, key_id, "
            "prev_hash, hash) VALUES (-7, %s, '', 'user.role_changed', 'nanxi', 'success', '{}', '', '', '')",
            [AuditEvent.objects.order_by("seq").first().created_at],
        )
    report = audit_verify()
    assert not report.ok
    assert any("id=-7" in p and "outside the chain" in p for p in report.problems), report.problems


@pytest.mark.django_db
def test_rows_from_before_the_chain_are_adopted_with_their_content():
    """Migration core/0004 signs the pre-chain rows into the chain (adopt_unchained); later edits still show."""
    audit_record(action="auth.login", target="real")
    old = AuditEvent.objects.create(action="auth.login", target="from-2025", payload={"n": 1})
    assert not audit_verify().ok
    assert adopt_unchained() == 1
    report = audit_verify()
    assert report.ok, report.problems
    assert report.adopted == 1
    with connection.cursor() as cursor:
        triggers_drop(connection, ["core_auditevent"])
        cursor.execute("UPDATE core_auditevent SET target = 'someone-else' WHERE id = %s", [old.pk])
    problems = audit_verify().problems
    assert any(f"id={old.pk}" in p and "changed" in p for p in problems), problems
    forged = AuditEvent.objects.create(action="auth.login", target=f"forged-{uuid.uuid4().hex[:6]}")
    assert any(f"id={forged.pk}" in p and "outside the chain" in p for p in audit_verify().problems)
