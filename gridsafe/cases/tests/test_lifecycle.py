"""The closed loop end to end through the API, as the people of 南溪村, 榜头镇 and the county would run it."""

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.tests.helpers import report
from gridsafe.notifications.models import Notification


def _upload_after_photo(api, case_id):
    import io
    import uuid

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buf, "JPEG")
    buf.seek(0)
    buf.name = "after.jpg"
    response = api.upload(
        f"/api/v1/cases/{case_id}/attachments", {"file": buf, "client_id": str(uuid.uuid4()), "role": "after"}
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_village_to_county_to_fire_brigade_and_back_closed_resolved(api_as, people):
    worker, nanxi, bangtou, county, fire, county_lead = (
        api_as(n) for n in ("nanxi_worker", "nanxi", "bangtou", "county", "fire", "county_lead")
    )
    created = report(worker)
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["state"] == "pending_review" and case["level"] == 1
    assert case["holder_unit"]["name"].startswith("南溪村")
    assert case["light"] == "green" and case["due_at"]
    inbox = nanxi.get("/api/v1/notifications").json()["items"]
    assert ("new_task", case["id"]) in [(n["kind"], n["case_id"]) for n in inbox]

    step = nanxi.act(case["id"], "escalate", case["version"], reason="本级力量不能消除")
    assert step.status_code == 200, step.content
    case = step.json()
    assert (case["state"], case["level"]) == ("pending_review", 2)
    # L1 → L2 notifies the township 专项整治指挥部 (after commit)
    assert Notification.objects.filter(case_id=case["id"], kind="command_notice").exists()

    case = bangtou.act(case["id"], "escalate", case["version"], reason="需县级部门执法").json()
    assert case["level"] == 3
    step = county.act(case["id"], "dispatch", case["version"], department_id=people["fire"].unit_id)
    assert step.status_code == 200, step.content
    case = step.json()
    assert case["state"] == "dispatched" and case["holder_unit"]["name"] == "县消防救援大队"
    assert "start" in fire.get(f"/api/v1/cases/{case['id']}").json()["allowed_actions"]

    case = fire.act(case["id"], "start", case["version"]).json()
    assert case["state"] == "handling" and case["step"] == "handle"
    photo = _upload_after_photo(fire, case["id"])
    step = fire.act(
        case["id"],
        "submit",
        case["version"],
        method="rectified",
        measures="已清理楼道并设置集中充电点",
        attachment_ids=[photo],
    )
    assert step.status_code == 200, step.content
    case = step.json()
    assert case["state"] == "pending_verification"

    # The handler may not verify their own work.
    assert fire.act(case["id"], "verify_pass", case["version"]).status_code == 403
    step = county_lead.act(case["id"], "verify_pass", case["version"], comment="现场核查已整改")
    assert step.status_code == 200, step.content
    case = step.json()
    assert (case["state"], case["closure"]) == ("closed", "resolved")
    kinds = [e["kind"] for e in case["events"]]
    assert kinds == [
        "case.reported",
        "case.escalated",
        "case.escalated",
        "case.dispatched",
        "case.started",
        "case.submitted",
        "case.verified",
    ]
    submitted = next(e for e in case["events"] if e["kind"] == "case.submitted")
    assert submitted["attachment_ids"] == [photo]
    assert CaseEvent.objects.filter(case_id=case["id"]).count() == 7
    assert Case.objects.get(pk=case["id"]).version == 7
    # The reporter hears that the hazard is closed as fixed.
    assert Notification.objects.filter(user=people["nanxi_worker"], case_id=case["id"], kind="closed").exists()
