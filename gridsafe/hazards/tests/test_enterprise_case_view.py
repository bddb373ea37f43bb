"""An enterprise's safety officer and the staff case page: /cases/<id>/ sends it to its own case page (hazard,
grade, state, deadline, its records and evidence upload), which shows no reporter, caller or staff action; the API
gives it no names, phones or comments; it cannot act; another enterprise's case is 404."""

import uuid

from gridsafe.cases.models import Case
from gridsafe.cases.services import case_supervise


def _with_caller(case: Case) -> Case:
    case.caller_name, case.caller_phone = "林阿明", "13812345678"
    case.save(update_fields=["caller_name", "caller_phone"])
    return case


def test_officer_sees_its_case_without_people_and_cannot_act(flow, people, ent_world, web_as, client):
    own = _with_caller(flow.handling_l1(place_id=ent_world["place_a"].pk, description="液化气瓶存放于地下室"))
    other = flow.handling_l1(place_id=ent_world["place_b"].pk, description="KTV安全出口堵塞")
    reporter = people["nanxi_worker"]
    officer = web_as(ent_world["officer_a"])

    staff_url = f"/cases/{own.pk}/"
    assert officer.get(staff_url).url == f"/hazards/enterprise/cases/{own.pk}/"
    page = officer.get(staff_url, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "液化气瓶存放于地下室" in html and own.category.name in html and own.get_state_display() in html
    assert "整改期限" in html and "上传整改佐证" in html
    for secret in ("林阿明", "13812345678", "138****5678", "林*", reporter.display_name, reporter.username):
        assert secret not in html, secret
    assert "/actions/" not in html  # no staff action forms

    # no staff action, on the page or the API; nothing changed
    version = Case.objects.get(pk=own.pk).version
    form = {"version": version, "request_id": str(uuid.uuid4()), "reason": "x", "comment": "x"}
    for action in ("assign", "close", "escalate", "return"):
        assert officer.post(f"/cases/{own.pk}/actions/{action}/", form).status_code == 404, action
    from conftest import Api

    api = Api(client, ent_world["officer_a"])
    body = {"version": version, "request_id": str(uuid.uuid4()), "reason": "x"}
    assert api.post(f"/api/v1/cases/{own.pk}/actions/escalate", body).status_code in (403, 404)
    assert Case.objects.get(pk=own.pk).version == version

    # a 督办 is an internal order between tiers: the officer sees neither its text nor who gave it
    case_supervise(
        case=Case.objects.get(pk=own.pk),
        actor=people["county_lead"],
        expected_version=version,
        request_id=uuid.uuid4(),
        level="yellow",
        instruction="县中心黄牌督办，三日内回复",
    )
    # the API: the case, without names, phones, comments, payloads or 督办 orders
    detail = api.get(f"/api/v1/cases/{own.pk}")
    assert detail.status_code == 200 and detail.json()["allowed_actions"] == []
    text = detail.content.decode()
    lead = people["county_lead"]
    for secret in ("林阿明", "13812345678", "5678", reporter.display_name, reporter.username, "三日内回复"):
        assert secret not in text, secret
    assert lead.display_name not in text and detail.json()["supervisions"] == []
    assert all(e["actor_label"] == "" and e["payload"] == {} for e in detail.json()["events"])
    # staff still see the names and the 督办 on the API
    staff = Api(client, people["nanxi"]).get(f"/api/v1/cases/{own.pk}").json()
    assert any(e["actor_label"] for e in staff["events"])
    assert [s["instruction"] for s in staff["supervisions"]] == ["县中心黄牌督办，三日内回复"]

    # another enterprise's case: 404 on the staff page, its page and the API
    assert officer.get(f"/cases/{other.pk}/").status_code == 404
    assert officer.get(f"/hazards/enterprise/cases/{other.pk}/").status_code == 404
    assert api.get(f"/api/v1/cases/{other.pk}").status_code == 404
    assert web_as(ent_world["officer_b"]).get(staff_url).status_code == 404
