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
