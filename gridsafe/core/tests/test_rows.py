"""core.rows: the literal statements of the intake path store and read back exactly what the ORM would."""

import uuid
from datetime import UTC, datetime

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.tests.helpers import report
from gridsafe.core import rows


def test_an_inserted_event_reads_back_through_the_orm_unchanged(api_as):
    case = Case.objects.get(pk=report(api_as("nanxi_worker")).json()["id"])
    at = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
    request_id = uuid.uuid4()

    event = rows.insert(
        CaseEvent(
            case=case,
            request_id=request_id,
            kind="case.commented",
            actor=case.reporter,
            actor_label="测试",
            to_state=case.state,
            comment="补充：插线板已拔除",
            payload={"图片": 2, "flags": ["poor_accuracy"], "nested": {"a": None}},
            created_at=at,
            ip="10.0.0.7",
        )
    )

    stored = CaseEvent.objects.get(pk=event.pk)
    assert (stored.case_id, stored.request_id, stored.created_at) == (case.pk, request_id, at)
    assert stored.payload == {"图片": 2, "flags": ["poor_accuracy"], "nested": {"a": None}}
    assert (stored.comment, stored.ip, stored.from_level) == ("补充：插线板已拔除", "10.0.0.7", None)


def test_a_row_read_by_a_literal_select_converts_like_the_orm(api_as):
    from django.db import connection

    case_id = report(api_as("nanxi_worker")).json()["id"]
    fields = ("id", "payload", "created_at", "request_id", "to_level")
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {rows.columns(CaseEvent, fields, "e")} FROM "cases_caseevent" "e" WHERE "e"."case_id" = %s',
            [case_id],
        )
        event = rows.instance(CaseEvent, fields, cursor.fetchone())

    orm = CaseEvent.objects.get(case_id=case_id)
    assert (event.pk, event.payload, event.created_at, event.request_id) == (
        orm.pk,
        orm.payload,
        orm.created_at,
        orm.request_id,
    )
    assert isinstance(event.payload, dict) and event.created_at.tzinfo is not None
    assert event.comment == orm.comment  # not selected: loads on first access


def _comparable(value):
    """The value and its type; a psycopg Jsonb wrapper (no __eq__) by what it wraps."""
    return (type(value), getattr(value, "obj", value))


def test_the_values_sent_are_the_ones_the_orm_would_send(api_as):
    """db_values sends what the ORM's save would send, value for value."""
    from django.db import connection

    from gridsafe.places.models import Place

    case = Case.objects.get(pk=report(api_as("nanxi_worker")).json()["id"])
    event = CaseEvent.objects.filter(case=case).first()
    event.from_level = True  # a bool in an integer column: the ORM sends 1, so must we
    for obj in (case, event):
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
        orm = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        ours = rows.db_values(obj, fields, connection)
        assert [_comparable(v) for v in ours] == [_comparable(v) for v in orm]

    # A CharField subclass converts: the encrypted phone must never go out as it is.
    place = Place(name="南溪村液化气供应点", contact_phone="13905941234", region=case.region)
    phone = Place._meta.get_field("contact_phone")
    [sent] = rows.db_values(place, [phone], connection)
    assert sent and "13905941234" not in str(sent)


def test_writes_land_together_or_not_at_all(api_as):
    """core.rows.Writes: a refused write (here a second event with a request id the case already used) takes the
    writes queued with it down too, and the connection is usable afterwards."""
    import pytest
    from django.db import IntegrityError

    case = Case.objects.get(pk=report(api_as("nanxi_worker")).json()["id"])
    used = CaseEvent.objects.get(case=case).request_id
    at = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

    def event(request_id, seq):  # distinct places in the case's chain: only the request id collides
        return CaseEvent(
            case=case, request_id=request_id, kind="case.commented", actor_label="测试", created_at=at, seq=seq
        )

    writes = rows.Writes()
    writes.insert(event(uuid.uuid4(), 2))
    writes.insert(event(used, 3))
    with pytest.raises(IntegrityError):
        writes.run()

    assert CaseEvent.objects.filter(case=case).count() == 1  # the first write did not land either

    ok = rows.Writes()
    first = ok.insert(event(uuid.uuid4(), 2))
    second = ok.insert(
        CaseEvent(case=case, request_id=uuid.uuid4(), kind="case.commented", actor_label="测试", created_at=at, seq=3)
    )
    ok.run()
    assert {first.pk, second.pk} <= set(CaseEvent.objects.filter(case=case).values_list("pk", flat=True))


def test_a_write_takes_the_key_of_one_queued_before_it(api_as):
    template = Case.objects.get(pk=report(api_as("nanxi_worker")).json()["id"])
    template.pk, template.client_id = None, uuid.uuid4()
    template._state.adding = True
    writes = rows.Writes()
    case = writes.insert(template)
    event = writes.insert(
        CaseEvent(request_id=uuid.uuid4(), kind="case.reported", actor_label="测试", created_at=template.created_at),
        refs={"case": case},
    )
    writes.run()

    assert case.pk and event.pk and event.case_id == case.pk
    assert CaseEvent.objects.get(pk=event.pk).case_id == Case.objects.get(client_id=template.client_id).pk


def test_writes_run_in_the_order_they_were_queued(people):
    """On PostgreSQL a sub-statement nobody reads would run last, in reverse order: the rollup upserts would then
    lock their rows in another order than the case actions do, and could deadlock with them."""
    from gridsafe.notifications.models import Notification

    def insert_titled(title: str) -> None:
        writes.sql(
            ("test-order",),
            lambda: (
                'INSERT INTO "notifications_notification" ("user_id", "kind", "title", "body", "created_at") '
                "VALUES (%s, %s, %s, %s, %s)"
            ),
            [people["nanxi"].pk, "system", title, "", datetime(2026, 12, 2, tzinfo=UTC)],
        )

    writes = rows.Writes()
    for title in ("first", "second", "third"):
        insert_titled(title)
    writes.run()

    stored = Notification.objects.filter(user=people["nanxi"], kind="system").order_by("pk")
    assert list(stored.values_list("title", flat=True)) == ["first", "second", "third"]
