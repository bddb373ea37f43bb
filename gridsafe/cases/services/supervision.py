"""督办 / 催办 / 备注 / 改级: the actions a supervising level takes on a case without moving it along the flow."""

import uuid
from datetime import datetime, timedelta

from django.db import transaction

from gridsafe.accounts.models import User
from gridsafe.cases.models import SUPERVISION_RANK, Case, Supervision
from gridsafe.cases.services.moves import _move, _own_attachments, _prepare, _require, case_service
from gridsafe.cases.transitions import Action
from gridsafe.catalog.calendar import current_calendar
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import Grade, Step
from gridsafe.core import clock
from gridsafe.core.errors import (
    ValidationFailed,
)

# ---------------------------------------------------------------- 督办 / 催办 / 备注


@case_service
@transaction.atomic(durable=True)
def case_supervise(
    *,
    case: Case,
    actor: User | None,
    expected_version: int,
    request_id: uuid.UUID,
    level: str,
    instruction: str = "",
    automatic: bool = False,
    now: datetime | None = None,
) -> Case:
    """督办 — a normal, yellow-card or red-card order with a reply deadline; by a higher tier, a leader or the
    sweep. The case's flag keeps the strongest open order. One event and one Supervision row."""
    _prepare(Action.SUPERVISE, actor, case)
    if level not in ("normal", "yellow", "red"):
        raise ValidationFailed("督办级别无效，可选：normal、yellow、red")
    if actor is not None:
        instruction = _require(instruction, "督办意见")
    now = now or clock.now()
    limit = limit_for(category_id=case.category_id, urgent=case.urgent or case.is_major, step=Step.SUPERVISION_REPLY)
    reply_due = current_calendar().deadlines(now, *limit)[1] if limit else now + timedelta(days=1)
    Supervision.objects.create(
        case=case,
        level=level,
        automatic=automatic,
        issued_by=actor,
        issued_unit_id=actor.unit_id if actor else None,
        target_unit_id=case.holder_unit_id,
        instruction=instruction,
        issued_at=now,
        reply_due=reply_due,
    )
    strongest = max(case.supervision or "", level, key=lambda v: SUPERVISION_RANK[v])
    return _move(
        case=case,
        actor=actor,
        action=Action.SUPERVISE,
        expected_version=expected_version,
        request_id=request_id,
        comment=instruction,
        now=now,
        changes={"supervision": strongest, "supervision_reply_due": reply_due},
        payload={"level": level, "automatic": automatic, "reply_due": reply_due},
    )


@case_service
@transaction.atomic(durable=True)
def case_reply_supervision(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reply: str
) -> Case:
    """督办回复 — answers every open order on the case. One event."""
    _prepare(Action.REPLY_SUPERVISION, actor, case)
    reply = _require(reply, "回复内容")
    now = clock.now()
    Supervision.objects.filter(case=case, replied_at__isnull=True).update(reply=reply, replied_at=now, replied_by=actor)
    return _move(
        case=case,
        actor=actor,
        action=Action.REPLY_SUPERVISION,
        expected_version=expected_version,
        request_id=request_id,
        comment=reply,
        now=now,
        changes={"supervision_reply_due": None},
    )


@case_service
@transaction.atomic(durable=True)
def case_urge(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str) -> Case:
    """催办 — a reminder to the holder, recorded on the timeline. One event."""
    _prepare(Action.URGE, actor, case)
    return _move(
        case=case,
        actor=actor,
        action=Action.URGE,
        expected_version=expected_version,
        request_id=request_id,
        comment=_require(comment, "催办内容"),
    )


@case_service
@transaction.atomic(durable=True)
def case_regrade(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, grade: str, basis: str
) -> Case:
    """定级 — confirm a 重大 proposal (or correct a grade) with its 判定依据 (standard, clause, item). The deadline of
    the current step stands; later steps run on the 重大 limits, and only the department's lead closes a 重大 case."""
    _prepare(Action.REGRADE, actor, case)
    if grade not in Grade.values:
        raise ValidationFailed(f"隐患等级无效，可选：{', '.join(Grade.values)}")
    if grade == case.grade:
        raise ValidationFailed(f"该隐患已是“{Grade(grade).label}”")
    basis = _require(basis, "判定依据")
    return _move(
        case=case,
        actor=actor,
        action=Action.REGRADE,
        expected_version=expected_version,
        request_id=request_id,
        changes={"grade": grade},
        comment=basis,
        payload={"from": case.grade, "to": grade, "basis": basis},
        keep_clock=True,
    )


@case_service
@transaction.atomic(durable=True)
def case_comment(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    comment: str,
    attachment_ids: list[int] | None = None,
) -> Case:
    """备注 — a note (and attachments) on the timeline. One event."""
    _prepare(Action.COMMENT, actor, case)
    ids = _own_attachments(case, attachment_ids or [], required=False, what="附件")
    return _move(
        case=case,
        actor=actor,
        action=Action.COMMENT,
        expected_version=expected_version,
        request_id=request_id,
        comment=_require(comment, "备注内容"),
        attachment_ids=ids,
        payload={"attachment_ids": ids},
    )
