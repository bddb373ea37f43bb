"""The audit log's hash chain: appends link up, and `gridsafe audit verify` finds a changed, deleted or
out-of-chain row and exits non-zero; purge keeps ≥ 180 days and leaves a chain that still verifies."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from gridsafe.core import clock
from gridsafe.core.audit import GENESIS, audit_head, audit_purge, audit_record, audit_verify
from gridsafe.core.models import AuditEvent


@contextlib.contextmanager
def triggers_off():
    """Play the attacker with database access: lift the append-only triggers inside the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("UPDATE append_only_guard SET lifted = 1 WHERE id = 1")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
            else:
                cursor.execute("UPDATE append_only_guard SET lifted = 0 WHERE id = 1")
                cursor.execute(
                    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
                    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only'); END;"
                )


def _three(people):
    admin = people["admin"]
    rows = [
        audit_record(actor=admin, action="auth.login", target="admin", ip="10.0.0.1", payload={"via": "page"}),
        audit_record(action="auth.login", target="nobody", outcome="failure", ip="::1"),
        audit_record(actor=admin, action="user.role_changed", target="nanxi", payload={"old": "a", "new": "b"}),
    ]
    return rows


def test_appends_form_a_chain(people):
    first, second, third = _three(people)
    assert (first.seq, second.seq, third.seq) == (first.seq, first.seq + 1, first.seq + 2)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert first.seq > 1 or first.prev_hash == GENESIS
    assert len(third.hash) == 64
    report = audit_verify()
    assert report.ok, report.problems
    assert report.head == (third.seq, third.hash)
    call_command("audit", "verify")  # exits 0


def test_rows_refuse_change_without_the_attacker_tricks(people):
    row = audit_record(action="auth.login", target="x")
    with pytest.raises(Exception):  # noqa: B017 - the model refuses (AppendOnlyError)
        row.save()
    with pytest.raises(Exception):  # noqa: B017 - and so does the database trigger
        with connection.cursor() as cursor, __import__("django.db").db.transaction.atomic():
            cursor.execute("UPDATE core_auditevent SET outcome = 'failure' WHERE id = %s", [row.pk])


def test_verify_finds_a_changed_row(people):
    _first, second, _third = _three(people)
    with triggers_off():
        AuditEvent.objects.filter(pk=second.pk).update(outcome="success")
    report = audit_verify()
    assert not report.ok
    assert any(f"seq={second.seq}" in p and "changed" in p for p in report.problems)
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1


def test_verify_finds_a_changed_payload_and_actor(people):
    first, _second, third = _three(people)
    with triggers_off():
        AuditEvent.objects.filter(pk=third.pk).update(payload={"old": "a", "new": "admin"})
        AuditEvent.objects.filter(pk=first.pk).update(actor_id=people["county"].pk)
    problems = audit_verify().problems
    assert any(f"seq={third.seq}" in p for p in problems)
    assert any(f"seq={first.seq}" in p for p in problems)


def test_verify_finds_a_deleted_row(people):
    _first, second, _third = _three(people)
    with triggers_off():
        AuditEvent.objects.filter(pk=second.pk).delete()
    problems = audit_verify().problems
    assert any("missing" in p for p in problems), problems


def test_verify_finds_a_row_inserted_outside_the_chain(people):
    _three(people)
    AuditEvent.objects.create(action="auth.login", target="forged")  # not through audit_record
    problems = audit_verify().problems
    assert any("outside the chain" in p for p in problems)


def test_anchors_catch_a_truncated_tail(people, tmp_path):
    _first, _second, third = _three(people)
    anchors = tmp_path / "anchors.txt"
    call_command("audit", "anchor", str(anchors))
    assert anchors.read_text().startswith(f"{third.seq} {third.hash}")
    with triggers_off():
        AuditEvent.objects.filter(pk=third.pk).delete()
    assert audit_verify().ok  # without the anchor, the shorter chain still links up …
    with pytest.raises(SystemExit):  # … the anchor shows the tail is gone
        call_command("audit", "verify", "--anchors", str(anchors))


def test_purge_keeps_the_retention_and_the_chain(people):
    with clock.frozen(clock.now() - timedelta(days=200)):
        old = [audit_record(action="auth.login", target=f"old{i}") for i in range(3)]
    recent = audit_record(action="auth.login", target="recent")
    with pytest.raises(ValueError):
        audit_purge(older_than_days=30)  # below the 180-day retention
    deleted = audit_purge(older_than_days=180)
    assert deleted >= 3
    assert not AuditEvent.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    marker = AuditEvent.objects.get(action="audit.purged")
    assert marker.payload["through_seq"] == old[-1].seq
    report = audit_verify()
    assert report.ok, report.problems
    with pytest.raises(Exception):  # noqa: B017 - the guard is back: no other deletion goes through
        with __import__("django.db").db.transaction.atomic():
            AuditEvent.objects.filter(pk=recent.pk)._raw_delete(connection.alias)


def test_ip_and_payload_round_trip_the_database(people):
    row = audit_record(actor=people["admin"], action="x", ip="::ffff:10.0.0.1", payload={"when": clock.now(), "n": 1.5})
    stored = AuditEvent.objects.get(pk=row.pk)
    assert stored.hash == row.hash
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_share_a_seq(committed_world):
    if connection.vendor != "postgresql":
        pytest.skip("threads share one in-memory SQLite test database; PostgreSQL shows the advisory lock")
    errors = []

    def write(n):
        try:
            for i in range(10):
                audit_record(action="load", target=f"t{n}-{i}")
        except Exception as exc:  # pragma: no cover - the failure is the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = audit_verify()
    assert report.ok, report.problems
    assert audit_head()[0] >= 60
