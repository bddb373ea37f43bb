"""Every write of the hazards app: one service per action of the major-hazard process (16号令) and of an
enterprise account (双重预防). Each owns its transaction: repeat (request id) → permission → state (transitions.py)
→ version (conditional UPDATE), then the row, its event and an audit row, all in that one transaction.

The case itself moves only through the case services: a 重大 grade (定级) opens the process and the department
lead's 核查通过 is its 销号 — both reach here through the case hook (`case_event_heard`, in the case's transaction)."""

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gridsafe.accounts.models import Unit, User
from gridsafe.cases.models import Attachment, Case
from gridsafe.cases.services import case_report
from gridsafe.catalog.models import Grade
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import InvalidTransition, NotFound, StaleVersion, ValidationFailed
from gridsafe.core.idempotency import create_once
from gridsafe.field.models import ChecklistTemplate, Severity
from gridsafe.field.services import checklist_answers_check, checklist_score
from gridsafe.hazards.models import (
    FIVE_PARTS,
    PLAN_PARTS,
    EnterpriseRecord,
    FindingState,
    MajorHazard,
    MajorHazardEvent,
    RecordKind,
    SelfFinding,
    SelfInspection,
    StopOrder,
)
from gridsafe.hazards.permissions import can_register_finding, ensure_can_act_major, enterprise_id_of, owns_case
from gridsafe.hazards.transitions import MajorAction, MajorState, next_state
from gridsafe.places.models import Place


def notice_prefix() -> str:
    return settings.GRIDSAFE_HAZARD_DOC_PREFIX


def _clean(value: Any, what: str, limit: int = 2000) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{what}")
    if len(text) > limit:
        raise ValidationFailed(f"{what}不能超过 {limit} 字")
    return text


def _event(
    *, hazard: MajorHazard, action: str, from_state: str, to_state: str, actor: User | None, request_id: uuid.UUID,
    comment: str = "", payload: dict[str, Any] | None = None, now: datetime,
) -> MajorHazardEvent:  # fmt: skip
    return MajorHazardEvent.objects.create(
        hazard=hazard,
        request_id=request_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_label=(actor.label if actor is not None else "系统")[:100],
        comment=comment,
        payload=payload or {},
        created_at=now,
    )


def _replayed(hazard: MajorHazard, request_id: uuid.UUID, actor: User) -> bool:
    done = MajorHazardEvent.objects.filter(hazard=hazard, request_id=request_id).first()
    if done is None:
        return False
    if done.actor_id != actor.pk:
        raise ValidationFailed("该请求编号已被使用")
    return True


def _own_files(case: Case, attachment_ids: list[int] | None) -> list[int]:
    ids = sorted({int(i) for i in attachment_ids or []})
    if ids and Attachment.objects.filter(pk__in=ids, case=case).count() != len(ids):
        raise ValidationFailed("附件不属于该隐患")
    return ids


def _apply(
    *, hazard: MajorHazard, action: str, actor: User, expected_version: int, request_id: uuid.UUID,
    changes: dict[str, Any] | None = None, comment: str = "", payload: dict[str, Any] | None = None,
) -> MajorHazard:  # fmt: skip
    """The common move: repeat → permission → state → version; the row, its event and the audit row."""
    if _replayed(hazard, request_id, actor):
        return MajorHazard.objects.get(pk=hazard.pk)
    ensure_can_act_major(actor, hazard, action)
    to_state = next_state(hazard.state, action)
    if to_state is None:
        raise InvalidTransition(f"当前状态“{hazard.get_state_display()}”下不能执行“{MajorAction(action).label}”")
    now = clock.now()
    updated = MajorHazard.objects.filter(pk=hazard.pk, version=expected_version).update(
        state=to_state, version=F("version") + 1, **(changes or {})
    )
    if updated != 1:
        raise StaleVersion("该重大隐患已被他人更新，请刷新后重试")
    _event(
        hazard=hazard, action=action, from_state=hazard.state, to_state=to_state, actor=actor,
        request_id=request_id, comment=comment, payload=payload, now=now,
    )  # fmt: skip
    audit_record(actor=actor, action=f"major_hazard.{action}", target=f"case:{hazard.case_id}", payload=payload)
    return MajorHazard.objects.select_related("case").get(pk=hazard.pk)


# ---------------------------------------------------------------- opening: 定级 重大


def _open(*, case: Case, actor: User | None, basis: str, request_id: uuid.UUID, now: datetime) -> MajorHazard:
    hazard = MajorHazard.objects.create(case=case, basis=basis[:300], confirmed_at=now)
    _event(
        hazard=hazard, action=MajorAction.OPEN, from_state="", to_state=MajorState.CONFIRMED, actor=actor,
        request_id=request_id, comment=basis, now=now,
    )  # fmt: skip
    return hazard


@transaction.atomic(durable=True)
def major_hazard_open(*, case: Case, actor: User, basis: str, request_id: uuid.UUID) -> MajorHazard:
    """启动重大隐患流程 — for a case that was 重大 from its report (a department's own check): the same start a 定级
    gives. Refused when the case is not 重大 or already has its process."""
    existing = MajorHazard.objects.filter(case=case).first()
    if existing is not None:
        return existing
    if not case.is_major:
        raise ValidationFailed("只有重大隐患可以启动挂牌督办流程，请先定级为重大")
    probe = MajorHazard(case=case)
    ensure_can_act_major(actor, probe, MajorAction.OPEN)
    hazard = _open(case=case, actor=actor, basis=_clean(basis, "判定依据", 300), request_id=request_id, now=clock.now())
    audit_record(actor=actor, action="major_hazard.open", target=f"case:{case.pk}")
    return hazard


def case_event_heard(
    *, event: Any, case_before: Case | None = None, case_after: Any = None, changes: Any = None, writes: Any = None
) -> None:
    """The case hook (cases/hooks.py), inside the case service's transaction. 定级 to 重大 opens the process; a
    lowered grade withdraws one not yet listed; 核查通过 of a 重大 case with a process is its 销号 and needs the
    评估 first (16号令: evaluation, then the department's on-site review); 核查不通过 sends it back to work."""
    if case_before is None:
        return
    action = event.action
    if action == "regrade":
        to = (event.payload or {}).get("to")
        hazard = MajorHazard.objects.filter(case_id=case_before.pk).first()
        if to == Grade.MAJOR and hazard is None:
            _open(
                case=case_before,
                actor=event.actor,
                basis=event.comment,
                request_id=event.request_id,
                now=event.created_at,
            )
        elif to != Grade.MAJOR and hazard is not None and hazard.state == MajorState.CONFIRMED:
            _system_move(hazard, MajorAction.WITHDRAW, event)
        return
    if action not in ("verify_pass", "verify_fail"):
        return
    hazard = MajorHazard.objects.filter(case_id=case_before.pk).first()
    if hazard is None or not hazard.is_open:
        return
    if action == "verify_pass":
        if hazard.state != MajorState.EVALUATED:
            raise InvalidTransition("重大隐患须先完成治理方案、整改和评估，方可核查销号")
        _system_move(hazard, MajorAction.CLOSE, event, closed_at=event.created_at, closed_by_id=event.actor_id)
    elif hazard.state == MajorState.EVALUATED:
        _system_move(hazard, MajorAction.REOPEN, event)


def _system_move(hazard: MajorHazard, action: str, event: Any, **changes: Any) -> None:
    to_state = next_state(hazard.state, action)
    assert to_state is not None
    MajorHazard.objects.filter(pk=hazard.pk).update(state=to_state, version=F("version") + 1, **changes)
    _event(
        hazard=hazard, action=action, from_state=hazard.state, to_state=to_state, actor=event.actor,
        request_id=event.request_id, comment=event.comment, payload={"case_event": event.pk}, now=event.created_at,
    )  # fmt: skip


# ---------------------------------------------------------------- the steps


@transaction.atomic(durable=True)
def major_hazard_list(
    *, hazard: MajorHazard, actor: User, expected_version: int, request_id: uuid.UUID, supervising_body: str,
    public_title: str, rectify_by: date, lead_unit_id: int | None = None,
) -> MajorHazard:  # fmt: skip
    """挂牌督办 — the notice with its 文号 (next number of the year), the supervising body, the published title and
    the deadline. One event; the 挂牌督办通知书 is generated from these fields (hazards/documents.py)."""
    supervising_body = _clean(supervising_body, "督办单位", 60)
    public_title = _clean(public_title, "公示名称（不含个人信息）", 120)
    if not isinstance(rectify_by, date) or rectify_by < timezone.localdate(clock.now()):
        raise ValidationFailed("整改期限须为今天或以后的日期")
    if lead_unit_id is not None and not Unit.objects.filter(pk=lead_unit_id, is_active=True).exists():
        raise ValidationFailed("牵头单位不存在")
    year = timezone.localtime(clock.now()).year
    last = MajorHazard.objects.filter(notice_year=year).order_by("-notice_seq").values_list("notice_seq", flat=True)
    seq = (last.first() or 0) + 1
    changes = {
        "notice_year": year,
        "notice_seq": seq,
        "notice_no": f"{notice_prefix()}〔{year}〕{seq}号",
        "supervising_body": supervising_body,
        "public_title": public_title,
        "rectify_by": rectify_by,
        "lead_unit_id": lead_unit_id,
        "listed_at": clock.now(),
    }
    try:
        with transaction.atomic():
            return _apply(
                hazard=hazard, action=MajorAction.LIST, actor=actor, expected_version=expected_version,
                request_id=request_id, changes=changes,
                payload={k: v for k, v in changes.items() if k != "listed_at"},
            )  # fmt: skip
    except IntegrityError as exc:  # another notice took the number at the same moment
        raise StaleVersion("文号已被同时挂牌的另一隐患占用，请重试") from exc


def _plan_of(plan: dict[str, Any]) -> dict[str, str]:
    cleaned, missing = {}, []
    for key, label in PLAN_PARTS:
        text = str(plan.get(key) or "").strip()
        if not text:
            missing.append(label)
        cleaned[key] = text[:4000]
    if missing:
        raise ValidationFailed(f"治理方案须包括全部七项内容，缺少：{'、'.join(missing)}")
    return cleaned


def _funds(value: Any) -> Decimal:
    try:
        funds = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise ValidationFailed("整改资金须为数字（万元）") from None
    if funds < 0 or funds > Decimal("99999999"):
        raise ValidationFailed("整改资金超出范围")
    return funds.quantize(Decimal("0.01"))


@transaction.atomic(durable=True)
def major_hazard_plan(
    *, hazard: MajorHazard, actor: User, expected_version: int, request_id: uuid.UUID, plan: dict[str, Any],
    funds_wan: Any = 0,
) -> MajorHazard:  # fmt: skip
    """治理方案 — the seven parts (16号令 §15 and the 福建 rules), all required, and the funds (万元). A revision
    replaces the plan; the earlier one stays in its event."""
    cleaned, funds = _plan_of(plan), _funds(funds_wan)
    return _apply(
        hazard=hazard, action=MajorAction.PLAN, actor=actor, expected_version=expected_version,
        request_id=request_id, changes={"plan": cleaned, "funds_wan": funds, "planned_at": clock.now()},
        payload={"plan": cleaned, "funds_wan": str(funds)},
    )  # fmt: skip


@transaction.atomic(durable=True)
def major_hazard_stop(
    *, hazard: MajorHazard, actor: User, expected_version: int, request_id: uuid.UUID, order: str, scope: str = "",
) -> MajorHazard:  # fmt: skip
    """停产停用 — a full or partial stop order (or its lifting, order ""), with the scope of a partial one."""
    if order not in StopOrder.values:
        raise ValidationFailed("停产停用类型无效，可选：full（全部）、partial（局部）或空（解除）")
    scope = scope.strip()[:200]
    if order == StopOrder.PARTIAL and not scope:
        raise ValidationFailed("局部停产停用须写明范围")
    return _apply(
        hazard=hazard, action=MajorAction.STOP, actor=actor, expected_version=expected_version,
        request_id=request_id, changes={"stop_order": order, "stop_scope": scope},
        payload={"order": order, "scope": scope}, comment=scope,
    )  # fmt: skip


@transaction.atomic(durable=True)
def major_hazard_progress(
    *, hazard: MajorHazard, actor: User, expected_version: int, request_id: uuid.UUID, text: str,
    attachment_ids: list[int] | None = None, percent: int | None = None,
) -> MajorHazard:  # fmt: skip
    """进展报告 — what was done, how far (percent) and photos (case attachments, uploaded first)."""
    text = _clean(text, "进展情况")
    if percent is not None and not 0 <= int(percent) <= 100:
        raise ValidationFailed("完成比例须在 0–100 之间")
    ids = _own_files(hazard.case, attachment_ids)
    return _apply(
        hazard=hazard, action=MajorAction.PROGRESS, actor=actor, expected_version=expected_version,
        request_id=request_id, comment=text, payload={"attachment_ids": ids, "percent": percent},
    )  # fmt: skip


@transaction.atomic(durable=True)
def major_hazard_five(
    *, hazard: MajorHazard, actor: User, expected_version: int, request_id: uuid.UUID, five: dict[str, Any],
) -> MajorHazard:  # fmt: skip
    """五落实 — 责任、措施、资金、时限、预案, by the enterprise (its own case) or the department. All five needed.
    An enterprise's record is also kept as an EnterpriseRecord, which the case page shows."""
    cleaned, missing = {}, []
    for key, label in FIVE_PARTS:
        text = str(five.get(key) or "").strip()
        if not text:
            missing.append(label)
        cleaned[key] = text[:2000]
    if missing:
        raise ValidationFailed(f"五落实须全部填写，缺少：{'、'.join(missing)}")
    updated = _apply(
        hazard=hazard, action=MajorAction.FIVE, actor=actor, expected_version=expected_version,
        request_id=request_id, changes={"five": cleaned}, payload={"five": cleaned},
    )  # fmt: skip
    ent = enterprise_id_of(actor)
    if (
        ent is not None
        and owns_case(actor, hazard.case)
        and not EnterpriseRecord.objects.filter(request_id=request_id).exists()
    ):
        EnterpriseRecord.objects.create(
            case=hazard.case, enterprise_id=ent, request_id=request_id, kind=RecordKind.FIVE, data=cleaned, actor=actor, actor_label=actor.label[:100], created_at=clock.now(),
        )  # fmt: skip
    return updated


@transaction.atomic(durable=True)
def major_hazard_evaluate(
    *, hazard: MajorHazard, actor: User, expected_version: int, request_id: uuid.UUID, evaluator: str,
    conclusion: str, attachment_ids: list[int] | None = None,
) -> MajorHazard:  # fmt: skip
    """评估 — the completion evaluation (the unit's experts or a qualified 安全评价机构) with its report attached;
    after it the department lead's on-site review (核查) writes the hazard off (销号)."""
    evaluator = _clean(evaluator, "评估单位", 100)
    conclusion = _clean(conclusion, "评估结论", 4000)
    ids = _own_files(hazard.case, attachment_ids)
    if not ids:
        raise ValidationFailed("请上传评估报告")
    return _apply(
        hazard=hazard, action=MajorAction.EVALUATE, actor=actor, expected_version=expected_version,
        request_id=request_id, comment=conclusion,
        changes={"evaluator": evaluator, "evaluation": conclusion, "evaluated_at": clock.now()},
        payload={"evaluator": evaluator, "attachment_ids": ids},
    )  # fmt: skip


# ---------------------------------------------------------------- the enterprise's own part (双重预防)


def self_inspection_record(
    *, actor: User, client_id: uuid.UUID, place: Place, template_id: int, answers: list[dict[str, Any]],
    report_codes: list[str] | None = None, inspected_at: datetime | None = None,
) -> tuple[SelfInspection, bool]:  # fmt: skip
    """企业自查 — the enterprise answers its place's domain checklist (the field app's answering rules); each failed
    item becomes a finding in its own 隐患台账, reported to the grid when it says so or when the item is 可能重大.
    Idempotent on the client id; nothing moves the grid worker's schedule of the place."""
    enterprise_id = enterprise_id_of(actor)
    if enterprise_id is None or place.enterprise_id != enterprise_id:
        raise NotFound("未找到该监管对象")
    report = {str(c) for c in report_codes or []}
    payload = {"place": place.pk, "template": template_id, "answers": answers, "report": sorted(report)}

    @transaction.atomic(durable=True)
    def create(fingerprint: str) -> SelfInspection:
        template = (
            ChecklistTemplate.objects.answerable()
            .filter(pk=template_id, domain_id=place.domain_id, place_kind__in=[place.kind, ""])
            .prefetch_related("items__category")
            .first()
        )
        if template is None:
            raise ValidationFailed("检查表不存在或不适用于该监管对象")
        # A self-inspection records no photos: the field rule "photo on failure" is the grid worker's evidence
        # rule, so it is marked as met here rather than refused.
        marked = [{**a, "photo_client_ids": a.get("photo_client_ids") or ["self-inspection"]} for a in answers]
        rows = checklist_answers_check(template, place, marked)
        now = clock.now()
        inspection = SelfInspection.objects.create(
            client_id=client_id, client_fingerprint=fingerprint, enterprise_id=enterprise_id, place=place,
            template=template, template_version=template.version, answers=rows, score=checklist_score(rows),
            inspected_at=min(inspected_at or now, now), inspector=actor, created_at=now,
        )  # fmt: skip
        SelfFinding.objects.bulk_create(
            SelfFinding(
                inspection=inspection,
                place=place,
                code=row["code"],
                question=row["question"][:300],
                severity=row["severity"],
                note=row["note"] or row["description"],
                reported=row["code"] in report or row["severity"] == Severity.POSSIBLY_MAJOR,
            )  # fmt: skip
            for row in rows
            if row["answer"] == "fail"
        )
        audit_record(actor=actor, action="enterprise.self_inspection", target=f"place:{place.pk}")
        return inspection

    return create_once(
        SelfInspection.objects.all(),
        client_id=client_id,
        actor_id=actor.pk,
        payload=payload,
        create=create,
        actor_field="inspector_id",
        conflict="该自查记录 client_id 已用于另一次自查",
    )


@transaction.atomic(durable=True)
def self_finding_rectify(*, actor: User, finding: SelfFinding, expected_version: int, text: str) -> SelfFinding:
    """自查隐患整改 — the enterprise marks its own finding rectified, saying how."""
    if enterprise_id_of(actor) != finding.inspection.enterprise_id:
        raise NotFound("未找到该隐患")
    if finding.state == FindingState.RECTIFIED:
        raise InvalidTransition("该隐患已整改")
    text = _clean(text, "整改情况")
    now = clock.now()
    updated = SelfFinding.objects.filter(pk=finding.pk, version=expected_version).update(
        state=FindingState.RECTIFIED, rectified_at=now, rectification=text, version=F("version") + 1
    )
    if updated != 1:
        raise StaleVersion("该隐患已被更新，请刷新后重试")
    audit_record(actor=actor, action="enterprise.finding_rectified", target=f"finding:{finding.pk}")
    return SelfFinding.objects.get(pk=finding.pk)


@transaction.atomic(durable=True)
def enterprise_evidence_add(
    *, actor: User, case: Case, request_id: uuid.UUID, text: str, attachment_ids: list[int]
) -> EnterpriseRecord:
    """整改佐证 — the enterprise's rectification evidence on an open case at its place: what it did and photos
    (uploaded first as the case's "after" photos, which the handler can then submit)."""
    existing = EnterpriseRecord.objects.filter(request_id=request_id).first()
    if existing is not None:
        if existing.actor_id != actor.pk or existing.case_id != case.pk:
            raise ValidationFailed("该请求编号已被使用")
        return existing
    ent = enterprise_id_of(actor)
    if ent is None or not owns_case(actor, case):
        raise NotFound("未找到该隐患")
    if not case.is_open:
        raise InvalidTransition("隐患已结案，不能再上传整改佐证")
    text = _clean(text, "整改情况")
    ids = _own_files(case, attachment_ids)
    if not ids:
        raise ValidationFailed("请上传整改后照片")
    record = EnterpriseRecord.objects.create(
        case=case, enterprise_id=ent, request_id=request_id, kind=RecordKind.EVIDENCE, text=text, attachment_ids=ids, actor=actor, actor_label=actor.label[:100], created_at=clock.now(),
    )  # fmt: skip
    audit_record(actor=actor, action="enterprise.evidence", target=f"case:{case.pk}", payload={"attachments": ids})
    return record


def self_finding_register(*, actor: User, finding: SelfFinding) -> Case:
    """登记为隐患 — a station or centre registers a finding the enterprise reported as a hazard case at its place
    (the checklist item's category, its severity: 可能重大 goes to the township as a 重大 proposal). The case is the
    ordinary `case_report` (idempotent on a client id derived from the finding), then linked to the finding."""
    if not can_register_finding(actor, finding):
        raise NotFound("未找到该隐患")
    if not finding.reported:
        raise InvalidTransition("企业未报告该隐患")
    if finding.case_id is not None:
        return Case.objects.get(pk=finding.case_id)
    row = next((r for r in finding.inspection.answers if r.get("code") == finding.code), None)
    if row is None:
        raise ValidationFailed("检查项不存在")
    place = finding.place
    case, _created = case_report(
        actor=actor,
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"gridsafe-self-finding-{finding.pk}"),
        category_code=row["category"],
        description=f"企业自查报告：{finding.question}" + (f"（{finding.note}）" if finding.note else ""),
        lon=place.lon,
        lat=place.lat,
        place_id=place.pk,
        severity=Grade.MAJOR if finding.severity == Severity.POSSIBLY_MAJOR else None,
        address=place.address or place.name,
    )
    SelfFinding.objects.filter(pk=finding.pk, case__isnull=True).update(case=case)
    audit_record(actor=actor, action="enterprise.finding_registered", target=f"case:{case.pk}")
    return case
