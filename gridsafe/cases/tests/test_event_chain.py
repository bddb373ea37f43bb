"""The case timeline is tamper-evident (cases/chain.py): every writer of CaseEvent rows — the report's one
statement (core.rows.Writes), the actions' `_move`, the demo's year of history — builds a valid per-case hash
chain, and with the append-only triggers out of the way (an attacker with database access) each kind of tampering
is reported by `gridsafe audit verify`, which exits 1 and names the case or row: a middle event deleted, the last
one deleted, a payload edited, a forged event inserted, the last event deleted with the case row's head rewound
(caught by the signed checkpoint), the audit chain's tail cut (likewise), a checkpoint line edited."""

import contextlib
import importlib
import json
import uuid

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from gridsafe.cases.chain import case_chains_verify, event_hash
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.tests.helpers import report
from gridsafe.core.appendonly import triggers_drop, triggers_install
from gridsafe.core.audit import audit_record, derived_keys
from gridsafe.core.models import AuditEvent
from gridsafe.ops.integrity import audit_checkpoint_write, integrity_verify


@contextlib.contextmanager
def attacker():
    """Play the attacker with database access: the append-only triggers dropped inside the test's transaction."""
    triggers_drop(connection)
    try:
        yield connection.cursor()
    finally:
        triggers_install(connection)


def _events(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq"))


def _verify_fails(capsys, *needles) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, err
    return err


def test_every_event_is_chained_by_the_services(flow, capsys):
    case = flow.closed_resolved()
    events = _events(case)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].kind == EventKind.CASE_REPORTED and events[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    case.refresh_from_db()
    assert (case.event_seq, case.event_head) == (events[-1].seq, events[-1].hash)
    key = next(iter(derived_keys("case events").values()))
    assert all(event_hash(case.client_id, e, key) == e.hash for e in events)
    assert case_chains_verify().problems == []
    call_command("audit", "verify")
    assert "audit verify OK" in capsys.readouterr().out


def test_the_report_statement_chains_the_first_event(as_user):
    """The report is one statement on PostgreSQL (core.rows.Writes CTE): its first link is computed before."""
    from django.test.utils import CaptureQueriesContext

    api = as_user("nanxi_worker")
    with CaptureQueriesContext(connection) as ctx:
        response = report(api)
    assert response.status_code == 201, response.content
    if connection.vendor == "postgresql":  # still one statement: the case, its chained event and the rollups
        (statement,) = [q["sql"] for q in ctx.captured_queries if 'INTO "cases_caseevent"' in q["sql"]]
        assert statement.startswith("WITH") and 'INTO "cases_case"' in statement
    case = Case.objects.get(pk=response.json()["id"])
    (event,) = _events(case)
    assert (event.seq, event.prev_hash, len(event.hash)) == (1, "", 64)
    assert (case.event_seq, case.event_head) == (1, event.hash)
    key = next(iter(derived_keys("case events").values()))
    assert event_hash(case.client_id, event, key) == event.hash
    assert case_chains_verify().problems == []


def test_deleting_a_middle_event_is_reported(flow, capsys):
    case = flow.closed_resolved()
    middle = _events(case)[2]
    with attacker() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [middle.pk])
    _verify_fails(capsys, f"case #{case.pk}: events seq={middle.seq} are missing (deleted)")


def test_deleting_the_last_event_is_reported(flow, capsys):
    case = flow.closed_resolved()
    last = _events(case)[-1]
    with attacker() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [last.pk])
    _verify_fails(capsys, f"case #{case.pk}: events after seq={last.seq - 1} are missing")


def test_editing_a_payload_or_comment_is_reported(flow, capsys):
    case = flow.closed_resolved()
    first, second = _events(case)[:2]
    with attacker():
        CaseEvent.objects.filter(pk=first.pk).update(payload={**first.payload, "grade": "major"})
        CaseEvent.objects.filter(pk=second.pk).update(comment="从未发生")
    _verify_fails(
        capsys,
        f"case #{case.pk}: event id={first.pk} (seq=1, case.reported) was changed",
        f"case #{case.pk}: event id={second.pk} (seq=2,",
    )


def test_a_forged_event_is_reported_even_with_the_head_moved(flow, capsys):
    case = flow.closed_resolved()
    last = _events(case)[-1]
    forged = CaseEvent(
        case=case,
        request_id=uuid.uuid4(),
        kind=EventKind.CASE_REOPENED,
        actor_label="伪造",
        to_state="handling",
        payload={},
        created_at=last.created_at,
        seq=last.seq + 1,
        prev_hash=last.hash,
        hash="f" * 64,  # without the audit key nobody can compute the real one
    )
    with attacker():
        forged.save(force_insert=True)
        Case.objects.filter(pk=case.pk).update(event_seq=forged.seq, event_head=forged.hash)
    _verify_fails(capsys, f"case #{case.pk}: event id={forged.pk} (seq={forged.seq}, case.reopened) was changed")


def test_a_re_inserted_copy_of_an_event_is_reported(flow, capsys):
    case = flow.closed_resolved()
    copy = _events(case)[1]
    head = _events(case)[-1]
    with attacker():
        # A real event's content and hash, appended again at the end (the attacker replays a signed event).
        copy.pk, copy.request_id, copy.seq, copy.prev_hash = None, uuid.uuid4(), head.seq + 1, head.hash
        copy._state.adding = True
        copy.save(force_insert=True)
        Case.objects.filter(pk=case.pk).update(event_seq=copy.seq, event_head=copy.hash)
    _verify_fails(capsys, f"case #{case.pk}: event id={copy.pk}")


def test_the_checkpoint_catches_a_tail_cut_with_the_head_rewound(flow, capsys):
    """The best an attacker can do in the database alone: delete the last event AND put the case row's head back
    on the one before. The chain is then consistent; the signed checkpoint written earlier is not."""
    case = flow.closed_resolved()
    call_command("audit", "checkpoint")
    *_, before, last = _events(case)
    with attacker() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [last.pk])
    Case.objects.filter(pk=case.pk).update(event_seq=before.seq, event_head=before.hash)
    assert case_chains_verify().problems == []  # without the checkpoint, nothing shows
    _verify_fails(
        capsys,
        f"case #{case.pk}: event seq={last.seq}, recorded by the checkpoint of",
        "1 of the",  # the event count too
    )


def test_the_checkpoint_catches_the_audit_chains_tail_cut(flow, capsys):
    audit_record(action="auth.login", target="a")
    tail = audit_record(action="auth.login", target="b")
    audit_checkpoint_write()
    with attacker() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [tail.pk])
    _verify_fails(capsys, f"audit log: anchored row seq={tail.seq} is missing (the log was truncated)")


@pytest.mark.django_db
def test_an_edited_checkpoint_line_is_reported(settings, capsys):
    audit_record(action="auth.login", target="a")
    doc = audit_checkpoint_write()
    path = settings.GRIDSAFE_AUDIT_CHECKPOINTS
    doc["audit"] = [1, "0" * 64]  # the attacker would like the head it recorded to be another
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(doc) + "\n")
    _verify_fails(capsys, "checkpoint line 1 of", "no valid signature")


def test_later_checkpoints_record_only_the_cases_touched_since(flow):
    from datetime import timedelta

    from gridsafe.core import clock

    earlier = clock.now() - timedelta(hours=3)
    with clock.frozen(earlier - timedelta(hours=2)):
        quiet = flow.handling_l1()
    with clock.frozen(earlier):
        first = audit_checkpoint_write()
    assert str(quiet.pk) in first["cases"]
    busy = flow.handling_l1()
    with clock.frozen(earlier - timedelta(days=1)):
        back_dated = flow.report()  # a demo-style back-dated write: found by its event id, not its time
    second = audit_checkpoint_write()
    assert set(second["cases"]) == {str(busy.pk), str(back_dated.pk)}
    assert integrity_verify().ok


def test_the_migration_chains_events_written_before_the_chain(flow):
    """cases/0007: events that existed before the chain get their real chain — none stays unchained."""
    cases = [flow.closed_resolved(), flow.handling_l1()]
    with attacker():
        # The rows as they were before the chain (seq made unique per case, as 0006's default 0 was before 0008's
        # constraint): verify reports them all.
        for case in cases:
            for event in _events(case):
                CaseEvent.objects.filter(pk=event.pk).update(seq=event.pk + 1000, prev_hash="", hash="")
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(event_seq=0, event_head="")
        assert len(case_chains_verify().problems) > len(cases)
        fill = importlib.import_module("gridsafe.cases.migrations.0007_event_chain_fill").fill
        fill(django_apps, type("SchemaEditor", (), {"connection": connection})())
    assert case_chains_verify().problems == []
    assert integrity_verify().ok


@pytest.mark.django_db
def test_a_demo_history_verifies(settings, capsys):
    from gridsafe.demo.history import generate_history

    generate_history(cases=12, seed=7, progress=lambda _msg: None)
    assert CaseEvent.objects.count() > 12
    call_command("audit", "checkpoint")
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "audit verify OK" in out and "12 cases" in out
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
