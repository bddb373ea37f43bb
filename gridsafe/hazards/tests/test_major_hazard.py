"""A 重大 hazard from 定级 through 挂牌督办, 治理方案, 停产停用, 进展, 五落实 and 评估 to 销号 (the department lead's
核查通过), through the pages; every document exists and opens; the public notice list shows no personal data."""

import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from gridsafe.cases.tests.helpers import jpeg_bytes
from gridsafe.core import clock
from gridsafe.core.errors import InvalidTransition
from gridsafe.hazards.models import MajorHazard, MajorHazardEvent
from gridsafe.hazards.transitions import TRANSITIONS, MajorAction, MajorState

BASIS = "住建部《城镇燃气经营安全重大隐患判定标准》第七条"
PLAN = {
    "goal": "消除气瓶违规存放",
    "methods": "迁出地下室，设置独立气瓶间",
    "funds": "企业自筹 12 万元",
    "organisation": "企业负责人牵头，安全员具体落实",
    "deadline": "30 日内完成",
    "safety": "治理期间停止地下室使用，设置警戒标志",
    "emergency": "泄漏应急预案，配备灭火器材",
}
FIVE = {"responsibility": "总经理 林某", "measures": "迁出气瓶", "funds": "12 万元", "deadline": "30 日",
        "plan": "泄漏应急预案"}  # fmt: skip


def _file(name="report.jpg"):
    buf = io.BytesIO(jpeg_bytes())
    buf.name = name
    return buf


def _step(client, hazard, action, **fields):
    hazard.refresh_from_db()
    body = {"version": hazard.version, "request_id": str(uuid.uuid4()), **fields}
    return client.post(f"/hazards/{hazard.pk}/steps/{action}/", body)


def _docx_text(body: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(body))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_every_move_is_in_the_table():
    for (state, action), to in TRANSITIONS.items():
        assert state in MajorState.values and action in MajorAction.values and to in MajorState.values


def test_a_major_hazard_runs_from_listing_to_write_off_with_every_document(flow, people, ent_world, web_as, client):
    case = flow.handling_dept(place_id=ent_world["place_a"].pk, category="fire-ebike-indoor")
    case = flow.act(case, "regrade", "fire", grade="major", basis=BASIS)
    hazard = MajorHazard.objects.get(case=case)  # 定级 重大 by the holding department opens the process
    assert (hazard.state, hazard.basis) == (MajorState.CONFIRMED, BASIS)

    fire, officer = web_as(people["fire"]), web_as(ent_world["officer_a"])
    assert f"/hazards/{hazard.pk}/" in fire.get(f"/cases/{case.pk}/").content.decode()  # linked from the case page

    deadline = (timezone.localdate(clock.now()) + timedelta(days=30)).isoformat()
    refused = _step(officer, hazard, "listing", supervising_body="县安委办", public_title="x", rectify_by=deadline)
    assert refused.status_code == 403  # the enterprise sees its hazard but does not list it
    missing = _step(
        fire, hazard, "listing", supervising_body="", public_title="液化气瓶存放于地下室", rectify_by=deadline
    )
    assert missing.status_code == 422 and "督办单位" in missing.content.decode()
    listed = _step(fire, hazard, "listing", supervising_body="仙游县安全生产委员会办公室",
                   public_title="液化气瓶存放于地下室", rectify_by=deadline)  # fmt: skip
    assert listed.status_code == 302, listed.content.decode()
    hazard.refresh_from_db()
    year = timezone.localtime(clock.now()).year
    assert hazard.state == MajorState.LISTED and hazard.notice_no == f"仙安办督〔{year}〕1号"

    incomplete = _step(fire, hazard, "plan", **{f"plan_{k}": v for k, v in PLAN.items() if k != "emergency"})
    assert incomplete.status_code == 422 and "应急预案" in incomplete.content.decode()
    assert _step(fire, hazard, "plan", funds_wan="12.5", **{f"plan_{k}": v for k, v in PLAN.items()}).status_code == 302
    assert _step(fire, hazard, "stop", order="partial", scope="地下室").status_code == 302
    assert _step(officer, hazard, "five", **{f"five_{k}": v for k, v in FIVE.items()}).status_code == 302
    progress = _step(officer, hazard, "progress", text="气瓶已迁出一半", percent="50", files=_file())
    assert progress.status_code == 302
    hazard.refresh_from_db()
    assert (hazard.state, hazard.stop_order, hazard.funds_wan, hazard.five) == (
        MajorState.RECTIFYING, "partial", 12.5, FIVE)  # fmt: skip
    photo_id = MajorHazardEvent.objects.get(hazard=hazard, action="progress").payload["attachment_ids"][0]
    assert case.attachments.filter(pk=photo_id).exists()  # through the case's attachment storage

    # the department submits the rectification (with the 五落实); its lead cannot write off before the 评估
    case = flow.submit(case, five_implementations={"measures": "迁出", "responsibility": "林某", "funds": "12万",
                                                   "deadline": "30日", "plan": "预案"})  # fmt: skip
    with pytest.raises(InvalidTransition, match="评估"):
        flow.act(case, "verify_pass", "fire_lead", comment="现场审查")
    case.refresh_from_db()
    assert case.state == "pending_verification"

    assert _step(fire, hazard, "evaluate", evaluator="莆田安评中心", conclusion="隐患已消除，同意恢复",
                 files=_file("评估报告.jpg")).status_code == 302  # fmt: skip
    case = flow.act(case, "verify_pass", "fire_lead", comment="现场审查合格，同意销号")
    hazard.refresh_from_db()
    assert (case.closure, hazard.state, hazard.closed_by_id) == ("resolved", MajorState.CLOSED, people["fire_lead"].pk)

    page = fire.get(f"/hazards/{hazard.pk}/").content.decode()
    kinds = ["notice", "plan", "stop", "evaluation", "closure"]
    for kind in kinds:
        assert f"/hazards/{hazard.pk}/documents/{kind}.docx" in page
        response = fire.get(f"/hazards/{hazard.pk}/documents/{kind}.docx")
        assert response.status_code == 200, kind
        text = _docx_text(response.content)
        assert hazard.notice_no in text, kind
    plan_text = _docx_text(fire.get(f"/hazards/{hazard.pk}/documents/plan.docx").content)
    assert all(v in plan_text for v in PLAN.values())
    assert "同意销号" in _docx_text(fire.get(f"/hazards/{hazard.pk}/documents/closure.docx").content)
    assert "局部停产停用" in _docx_text(fire.get(f"/hazards/{hazard.pk}/documents/stop.docx").content)
    assert "莆田安评中心" in _docx_text(fire.get(f"/hazards/{hazard.pk}/documents/evaluation.docx").content)
    steps = list(hazard.events.values_list("action", flat=True))
    assert steps == ["open", "listing", "plan", "stop", "five", "progress", "evaluate", "close"]

    # another enterprise's officer and a village station of another village get 404
    assert web_as(ent_world["officer_b"]).get(f"/hazards/{hazard.pk}/").status_code == 404
    assert web_as(people["licheng_worker"]).get(f"/hazards/{hazard.pk}/documents/notice.docx").status_code == 404

    # the public list: anonymous, what was listed, and no personal data
    public = client.get("/hazards/public/")
    body = public.content.decode()
    assert public.status_code == 200
    assert hazard.notice_no in body and "液化气瓶存放于地下室" in body and "仙游县南溪燃气有限公司" in body
    place = ent_world["place_a"]
    for personal in (
        place.contact_name,
        place.contact_phone,
        "郑秀兰",
        "13905941234",
        people["nanxi_worker"].display_name,
        people["fire"].display_name,
        people["fire_lead"].display_name,
        case.description,
    ):
        assert personal not in body, personal


def test_a_lowered_grade_withdraws_an_unlisted_process_and_repeats_land_once(flow, people, ent_world, web_as):
    case = flow.act(flow.handling_dept(), "regrade", "fire", grade="major", basis=BASIS)
    hazard = MajorHazard.objects.get(case=case)
    fire = web_as(people["fire"])
    deadline = (timezone.localdate(clock.now()) + timedelta(days=10)).isoformat()
    body = {"version": hazard.version, "request_id": str(uuid.uuid4()), "supervising_body": "县安委办",
            "public_title": "电动车室内充电", "rectify_by": deadline}  # fmt: skip
    assert fire.post(f"/hazards/{hazard.pk}/steps/listing/", body).status_code == 302
    assert fire.post(f"/hazards/{hazard.pk}/steps/listing/", body).status_code == 302  # a resend: no second notice
    hazard.refresh_from_db()
    assert hazard.events.filter(action="listing").count() == 1 and hazard.version == 2

    other = flow.act(flow.handling_dept(), "regrade", "fire", grade="major", basis=BASIS)
    flow.act(other, "regrade", "fire", grade="general", basis="复核为一般隐患")
    assert MajorHazard.objects.get(case=other).state == MajorState.WITHDRAWN
    assert MajorHazard.objects.published().filter(case=other).count() == 0
