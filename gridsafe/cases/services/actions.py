"""The transition actions from 受理 to 重新打开 (one service each, all through `_move`), and the table of every
action service (`ACTION_SERVICES`). 督办 / 催办 / 备注 / 改级 are in `supervision`."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from gridsafe.accounts.models import Unit, UnitKind, User
from gridsafe.accounts.routing import command_unit_id, default_department_id, tier_path, tier_unit_id
from gridsafe.cases.models import Case, CasePart, Level, PartState
from gridsafe.cases.permissions import (
    get_case_for_user,
    jurisdiction_of,
)
from gridsafe.cases.services.desk import (
    case_assist_report,
    case_assist_start,
    case_correct,
    case_request_info,
    case_supply_info,
    parts_outstanding,
)
from gridsafe.cases.services.moves import _move, _own_attachments, _prepare, _require, case_service
from gridsafe.cases.services.supervision import (
    case_comment,
    case_regrade,
    case_reply_supervision,
    case_supervise,
    case_urge,
)
from gridsafe.cases.transitions import Action, State
from gridsafe.catalog.calendar import current_calendar
from gridsafe.core import clock
from gridsafe.core.errors import (
    CaseNotFound,
    InvalidTransition,
    NotPermitted,
    ValidationFailed,
)

RETURN_REASONS = {
    "not_our_duty": "非本单位职责",
    "incomplete": "信息不全",
    "wrong_location": "位置错误",
    "wrong_category": "类别错误",
    "other": "其他",
}
VOID_REASONS = {"not_hazard": "不属于隐患", "false_report": "虚假信息", "out_of_scope": "不属于受理范围"}
SUBMIT_METHODS = {"rectified": "整改", "banned": "取缔", "stopped": "停业", "demolished": "拆除", "removed": "移除"}
FIVE_IMPLEMENTATIONS = ("measures", "responsibility", "funds", "deadline", "plan")  # 五落实: 措施 责任 资金 时限 预案


# ---------------------------------------------------------------- 受理 / 上报 / 派遣 / 签收 / 回退


@case_service
@transaction.atomic(durable=True)
def case_assign(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    handler_id: int | None = None,
    comment: str = "",
) -> Case:
    """受理/交办 — handle at this level, by the actor or a named person. One event."""
    _prepare(Action.ASSIGN, actor, case)
    if case.is_major:
        raise NotPermitted("重大隐患不能在本级自行处置，请上报或派遣")
    handler = actor
    if handler_id is not None and handler_id != actor.pk:
        named = User.objects.filter(pk=handler_id, is_active=True).select_related("unit__region").first()
        if named is None or named.unit is None or not jurisdiction_of(actor).covers_path(named.unit.region.path):
            raise ValidationFailed("指定的处置人不存在或不在本辖区")
        handler = named
    return _move(
        case=case,
        actor=actor,
        action=Action.ASSIGN,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"handler_id": handler.pk, "last_handler_id": handler.pk},
        payload={"handler_id": handler.pk, "handler": handler.label},
    )


@case_service
@transaction.atomic(durable=True)
def case_escalate(
    *,
    case: Case,
    actor: User | None,
    expected_version: int,
    request_id: uuid.UUID,
    reason: str,
    target_level: int | None = None,
) -> Case:
    """上报 — one tier up (or skip-level to the county for 重大/urgent). L1→L2 notifies the township
    专项整治指挥部 (after commit). One event."""
    _prepare(Action.ESCALATE, actor, case)
    reason = _require(reason, "上报理由")
    target = target_level or case.level + 1
    if target <= case.level or target > Level.COUNTY:
        raise ValidationFailed("上报层级无效")
    if target > case.level + 1 and not (case.is_major or case.urgent):
        raise ValidationFailed("只有重大隐患或紧急类别可以越级上报")
    holder_id = tier_unit_id(case.region_path, target)
    if holder_id is None:
        raise ValidationFailed("上级网格化中心不存在")
    notify_command = case.level == Level.VILLAGE and target >= Level.TOWNSHIP
    # 越级上报: the tiers jumped over are CC'd, as on a skip-level report (domain.md §3).
    skipped = [tier_path(case.region_path, level) for level in range(case.level + 1, target)]
    cc_paths = list(dict.fromkeys([*(case.cc_paths or []), *skipped]))
    return _move(
        case=case,
        actor=actor,
        action=Action.ESCALATE,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"level": target, "holder_unit_id": holder_id, "handler_id": None, "cc_paths": cc_paths},
        payload={
            "target_level": target,
            "skip_level": target > case.level + 1,
            "command_unit_id": command_unit_id(case.region_path) if notify_command else None,
        },
    )


MAX_CO_HANDLERS = 5


@case_service
@transaction.atomic(durable=True)
def case_dispatch(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    department_id: int | None = None,
    comment: str = "",
    co_department_ids: list[int] | None = None,
    due_at: datetime | None = None,
) -> Case:
    """派遣 — send to a lead department (主办; routing table by category and tier) and optional co-handling
    departments (协办), with a 处置 deadline (default: the category's limit from 签收); starts the 签收 clock. A new
    dispatch withdraws the parts of an earlier one. One event, one CasePart per co-handler."""
    _prepare(Action.DISPATCH, actor, case)
    if department_id is None:
        department_id = default_department_id(
            region_path=case.region_path,
            level=case.level,
            domain_id=case.domain_id,
            category_department_id=case.category.department_id,
        )
        if department_id is None:
            raise ValidationFailed("没有找到该类别的责任部门，请指定 department_id")
    department = Unit.objects.filter(pk=department_id, kind=UnitKind.DEPARTMENT, is_active=True).first()
    if department is None or actor.unit is None or department.region_id != actor.unit.region_id:
        raise ValidationFailed("只能派遣给本级职能部门")
    co_ids = [i for i in dict.fromkeys(co_department_ids or []) if i != department.pk]
    if len(co_ids) > MAX_CO_HANDLERS:
        raise ValidationFailed(f"协办单位最多 {MAX_CO_HANDLERS} 个")
    co_units = list(
        Unit.objects.filter(pk__in=co_ids, kind=UnitKind.DEPARTMENT, is_active=True, region_id=actor.unit.region_id)
    )
    if len(co_units) != len(co_ids):
        raise ValidationFailed("协办单位只能是本级职能部门")
    now = clock.now()
    if due_at is not None and due_at <= now:
        raise ValidationFailed("处置期限须晚于现在")
    CasePart.objects.filter(case=case).exclude(state=PartState.WITHDRAWN).update(state=PartState.WITHDRAWN)
    CasePart.objects.bulk_create(
        [CasePart(case=case, department=unit, dispatched_at=now) for unit in sorted(co_units, key=lambda u: u.pk)]
    )
    return _move(
        case=case,
        actor=actor,
        action=Action.DISPATCH,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        now=now,
        changes={
            "department_id": department.pk,
            "dispatcher_unit_id": actor.unit_id,
            "holder_unit_id": department.pk,
            "handler_id": None,
            "handle_due_at": due_at,
        },
        payload={
            "department_id": department.pk,
            "department": department.name,
            "co_department_ids": [u.pk for u in co_units],
            "co_departments": [u.name for u in co_units],
            "handle_due_at": due_at,
        },
    )


@case_service
@transaction.atomic(durable=True)
def case_start(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = "") -> Case:
    """签收 — the department accepts; the actor becomes the handler and the 处置 clock starts. One event."""
    _prepare(Action.START, actor, case)
    return _move(
        case=case,
        actor=actor,
        action=Action.START,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"handler_id": actor.pk, "last_handler_id": actor.pk},
    )


@case_service
@transaction.atomic(durable=True)
def case_return(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason_code: str, reason: str
) -> Case:
    """回退 — a department returns to the dispatching centre; a centre returns one tier down; a local handler
    returns to its reviewers. Reason required; 非本单位职责 from a department counts as 错派. One event."""
    _prepare(Action.RETURN, actor, case)
    if reason_code not in RETURN_REASONS:
        raise ValidationFailed(f"回退原因无效，可选：{', '.join(RETURN_REASONS)}")
    reason = _require(reason, "回退说明")
    changes: dict[str, Any] = {"handler_id": None}
    if case.held_by_department:
        changes.update(
            holder_unit_id=case.dispatcher_unit_id, department_id=None, dispatcher_unit_id=None, handle_due_at=None
        )
        CasePart.objects.filter(case=case).exclude(state=PartState.WITHDRAWN).update(state=PartState.WITHDRAWN)
        if reason_code == "not_our_duty":
            changes["misdispatch_count"] = case.misdispatch_count + 1
    elif case.state == State.PENDING_REVIEW:
        lower = case.level - 1
        changes.update(level=lower, holder_unit_id=tier_unit_id(case.region_path, lower))
    return _move(
        case=case,
        actor=actor,
        action=Action.RETURN,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        restart_clock=True,
        changes=changes,
        payload={"reason_code": reason_code, "reason_label": RETURN_REASONS[reason_code]},
    )


# ---------------------------------------------------------------- 提交整改 / 核查


@case_service
@transaction.atomic(durable=True)
def case_submit(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    method: str,
    measures: str,
    attachment_ids: list[int],
    completed_at: datetime | None = None,
    five_implementations: dict[str, Any] | None = None,
) -> Case:
    """提交整改 — evidence ("after" photos) required; 重大 also needs the 五落实 record. One event."""
    _prepare(Action.SUBMIT, actor, case)
    waiting = parts_outstanding(case)
    if waiting:
        raise InvalidTransition(f"协办单位尚未反馈：{'、'.join(waiting)}。全部协办单位反馈后方可提交整改")
    if method not in SUBMIT_METHODS:
        raise ValidationFailed(f"整改方式无效，可选：{', '.join(SUBMIT_METHODS)}")
    measures = _require(measures, "整改措施")
    ids = _own_attachments(case, attachment_ids, required=True, what="整改后照片")
    payload: dict[str, Any] = {
        "method": method,
        "method_label": SUBMIT_METHODS[method],
        "measures": measures,
        "completed_at": (completed_at or clock.now()).isoformat(),
        "attachment_ids": ids,
    }
    if case.is_major:
        record = five_implementations or {}
        missing = [k for k in FIVE_IMPLEMENTATIONS if not str(record.get(k, "")).strip()]
        if missing:
            raise ValidationFailed(f"重大隐患须填写五落实（措施、责任、资金、时限、预案），缺少：{', '.join(missing)}")
        payload["five_implementations"] = {k: record[k] for k in FIVE_IMPLEMENTATIONS}
    return _move(
        case=case,
        actor=actor,
        action=Action.SUBMIT,
        expected_version=expected_version,
        request_id=request_id,
        comment=measures,
        payload=payload,
        attachment_ids=ids,
        changes={"last_handler_id": case.handler_id or actor.pk, "extension_pending": False},
    )


@case_service
@transaction.atomic(durable=True)
def case_verify_pass(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    comment: str = "",
    attachment_ids: list[int] | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> Case:
    """核查通过 — closes the case as resolved (the only closure that counts as fixed). Verifier ≠ handler."""
    _prepare(Action.VERIFY_PASS, actor, case)
    ids = _own_attachments(case, attachment_ids or [], required=False, what="核查照片")
    return _move(
        case=case,
        actor=actor,
        action=Action.VERIFY_PASS,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        attachment_ids=ids,
        changes={"handler_id": None, "supervision_reply_due": None},
        payload={"attachment_ids": ids, "lon": lon, "lat": lat},
    )


@case_service
@transaction.atomic(durable=True)
def case_verify_fail(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    reason: str,
    attachment_ids: list[int] | None = None,
) -> Case:
    """核查不通过 — back to handling for rework; rework_count + 1; the 处置 clock restarts. One event."""
    _prepare(Action.VERIFY_FAIL, actor, case)
    reason = _require(reason, "不通过原因")
    ids = _own_attachments(case, attachment_ids or [], required=False, what="核查照片")
    return _move(
        case=case,
        actor=actor,
        action=Action.VERIFY_FAIL,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        attachment_ids=ids,
        changes={"rework_count": case.rework_count + 1, "handler_id": case.last_handler_id},
        payload={"attachment_ids": ids, "rework_count": case.rework_count + 1},
    )


# ---------------------------------------------------------------- 延期 / 挂账


@case_service
@transaction.atomic(durable=True)
def case_request_extension(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, requested_due: datetime, reason: str
) -> Case:
    """延期申请 — a flag; the deadline changes only on approval. One event."""
    _prepare(Action.REQUEST_EXTENSION, actor, case)
    reason = _require(reason, "延期理由")
    if case.extension_count >= settings.GRIDSAFE_MAX_EXTENSIONS:
        raise ValidationFailed(f"已延期 {case.extension_count} 次，达到上限")
    if case.due_at is not None and requested_due <= case.due_at:
        raise ValidationFailed("申请的期限须晚于当前期限")
    return _move(
        case=case,
        actor=actor,
        action=Action.REQUEST_EXTENSION,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"extension_pending": True, "extension_requested_due": requested_due},
        payload={"requested_due": requested_due.isoformat(), "current_due": case.due_at},
    )


@case_service
@transaction.atomic(durable=True)
def case_approve_extension(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = ""
) -> Case:
    """同意延期 — the new deadline replaces the old one for "on time"; the original is kept. One event."""
    _prepare(Action.APPROVE_EXTENSION, actor, case)
    new_due = case.extension_requested_due
    assert new_due is not None  # a pending extension carries its requested date (case_request_extension sets both)
    return _move(
        case=case,
        actor=actor,
        action=Action.APPROVE_EXTENSION,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={
            "extension_pending": False,
            "extension_count": case.extension_count + 1,
            "due_at": new_due,
            "yellow_at": min(case.yellow_at or new_due, new_due),
            "next_sweep_at": new_due if case.alert_stage else min(case.yellow_at or new_due, new_due),
            "alert_stage": min(case.alert_stage, 1),
        },
        payload={"previous_due": case.due_at, "new_due": new_due},
    )


@case_service
@transaction.atomic(durable=True)
def case_reject_extension(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason: str
) -> Case:
    """驳回延期 — the deadline stays. One event."""
    _prepare(Action.REJECT_EXTENSION, actor, case)
    reason = _require(reason, "驳回理由")
    return _move(
        case=case,
        actor=actor,
        action=Action.REJECT_EXTENSION,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"extension_pending": False, "extension_requested_due": None},
    )


@case_service
@transaction.atomic(durable=True)
def case_suspend(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason: str, review_date: date
) -> Case:
    """挂账 — the clock stops; what was left of the limit is kept for resume. Review date mandatory. One event."""
    _prepare(Action.SUSPEND, actor, case)
    reason = _require(reason, "挂账理由")
    now = clock.now()
    if review_date <= now.date():
        raise ValidationFailed("复核日期须晚于今天")
    remaining = None
    if case.due_at is not None and case.limit_unit:
        remaining = (
            max(0.0, current_calendar().elapsed(now, case.due_at, case.limit_unit)) if now < case.due_at else 0.0
        )
    return _move(
        case=case,
        actor=actor,
        action=Action.SUSPEND,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        now=now,
        keep_clock=True,
        changes={"remaining_on_suspend": remaining, "suspend_review_date": review_date, "next_sweep_at": None},
        payload={"review_date": review_date.isoformat(), "remaining": remaining},
    )


@case_service
@transaction.atomic(durable=True)
def case_resume(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, comment: str = "") -> Case:
    """挂账恢复 — the 处置 clock runs again with what was left when it stopped (time suspended is excluded)."""
    _prepare(Action.RESUME, actor, case)
    now = clock.now()
    changes: dict[str, Any] = {"suspend_review_date": None, "remaining_on_suspend": None}
    if case.remaining_on_suspend is not None and case.limit_unit and case.limit_amount:
        # Yellow comes when 80 % of the whole limit is used: what remains now, less the last 20 %.
        cal = current_calendar()
        remaining = case.remaining_on_suspend
        due = cal.add(now, Decimal(str(remaining)), case.limit_unit)
        yellow = cal.add(now, Decimal(str(max(0.0, remaining - float(case.limit_amount) * 0.2))), case.limit_unit)
        changes.update(due_at=due, yellow_at=yellow, next_sweep_at=yellow, alert_stage=0)
    return _move(
        case=case,
        actor=actor,
        action=Action.RESUME,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        now=now,
        changes=changes,
        keep_clock=True,
        payload={"due_at": changes.get("due_at")},
    )


# ---------------------------------------------------------------- 作废 / 并单 / 移交 / 重新打开


@case_service
@transaction.atomic(durable=True)
def case_void(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason_code: str, reason: str
) -> Case:
    """作废 — closes as invalid (never counted as fixed). Lead only. One event."""
    _prepare(Action.VOID, actor, case)
    if reason_code not in VOID_REASONS:
        raise ValidationFailed(f"作废原因无效，可选：{', '.join(VOID_REASONS)}")
    reason = _require(reason, "作废说明")
    return _move(
        case=case,
        actor=actor,
        action=Action.VOID,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={"handler_id": None},
        payload={"reason_code": reason_code, "reason_label": VOID_REASONS[reason_code]},
    )


@case_service
@transaction.atomic(durable=True)
def case_merge(
    *, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, master_id: int, comment: str = ""
) -> Case:
    """并单 — closes as a duplicate of a master case the actor can see; the master counts, this one does not."""
    _prepare(Action.MERGE, actor, case)
    if master_id == case.pk:
        raise ValidationFailed("不能与自身合并")
    try:
        master = get_case_for_user(actor, master_id)
    except CaseNotFound:
        raise ValidationFailed("主隐患不存在") from None
    if master.closure and master.closure != "resolved":
        raise ValidationFailed("主隐患已作废、并单或移交，不能作为主单")
    return _move(
        case=case,
        actor=actor,
        action=Action.MERGE,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"master_id": master.pk, "handler_id": None},
        payload={"master_id": master.pk},
    )


@case_service
@transaction.atomic(durable=True)
def case_transfer(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    request_id: uuid.UUID,
    external_body: str,
    external_ref: str,
    comment: str = "",
) -> Case:
    """移交 — closes as transferred to a body outside the loop, with its reference number. One event."""
    _prepare(Action.TRANSFER, actor, case)
    body = _require(external_body, "移交单位")
    ref = _require(external_ref, "对方受理编号")
    return _move(
        case=case,
        actor=actor,
        action=Action.TRANSFER,
        expected_version=expected_version,
        request_id=request_id,
        comment=comment,
        changes={"external_body": body[:100], "external_ref": ref[:60], "handler_id": None},
        payload={"external_body": body, "external_ref": ref},
    )


@case_service
@transaction.atomic(durable=True)
def case_reopen(*, case: Case, actor: User, expected_version: int, request_id: uuid.UUID, reason: str) -> Case:
    """重新打开 — a resolved case within the reopen period goes back to its last handler, who is notified."""
    _prepare(Action.REOPEN, actor, case)
    reason = _require(reason, "重新打开原因")
    return _move(
        case=case,
        actor=actor,
        action=Action.REOPEN,
        expected_version=expected_version,
        request_id=request_id,
        comment=reason,
        changes={
            "closure": "",
            "closed_at": None,
            "reopen_count": case.reopen_count + 1,
            "handler_id": case.last_handler_id,
        },
        payload={"last_handler_id": case.last_handler_id},
    )


ACTION_SERVICES = {
    Action.ASSIGN: case_assign,
    Action.ESCALATE: case_escalate,
    Action.DISPATCH: case_dispatch,
    Action.START: case_start,
    Action.RETURN: case_return,
    Action.SUBMIT: case_submit,
    Action.VERIFY_PASS: case_verify_pass,
    Action.VERIFY_FAIL: case_verify_fail,
    Action.REQUEST_EXTENSION: case_request_extension,
    Action.APPROVE_EXTENSION: case_approve_extension,
    Action.REJECT_EXTENSION: case_reject_extension,
    Action.SUSPEND: case_suspend,
    Action.RESUME: case_resume,
    Action.VOID: case_void,
    Action.MERGE: case_merge,
    Action.TRANSFER: case_transfer,
    Action.REOPEN: case_reopen,
    Action.SUPERVISE: case_supervise,
    Action.REPLY_SUPERVISION: case_reply_supervision,
    Action.URGE: case_urge,
    Action.COMMENT: case_comment,
    Action.REGRADE: case_regrade,
    Action.REQUEST_INFO: case_request_info,
    Action.SUPPLY_INFO: case_supply_info,
    Action.ASSIST_START: case_assist_start,
    Action.ASSIST_REPORT: case_assist_report,
    Action.CORRECT: case_correct,
}
