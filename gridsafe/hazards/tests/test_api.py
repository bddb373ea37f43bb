"""The hazards API: the same services as the pages, jurisdiction 404, problem+json refusals, a resend lands once,
and the public list without login or personal data."""

import uuid
from datetime import timedelta

from django.utils import timezone

from conftest import Api
from gridsafe.core import clock
from gridsafe.hazards.models import MajorHazard
from gridsafe.hazards.tests.test_major_hazard import BASIS, PLAN


def test_the_api_lists_and_lists_for_supervision(flow, people, ent_world, client, api_as):
    case = flow.act(flow.handling_dept(place_id=ent_world["place_a"].pk), "regrade", "fire", grade="major", basis=BASIS)
    hazard = MajorHazard.objects.get(case=case)
    fire, officer_b = api_as("fire"), Api(client, ent_world["officer_b"])
    assert [h["id"] for h in fire.get("/api/v1/hazards/major").json()["items"]] == [hazard.pk]
    assert officer_b.get(f"/api/v1/hazards/major/{hazard.pk}").status_code == 404
    assert officer_b.get("/api/v1/hazards/major").json()["items"] == []

    deadline = (timezone.localdate(clock.now()) + timedelta(days=30)).isoformat()
    body = {"version": 1, "request_id": str(uuid.uuid4()), "supervising_body": "县安委办",
            "public_title": "液化气瓶存放于地下室", "rectify_by": deadline}  # fmt: skip
    listed = fire.post(f"/api/v1/hazards/major/{hazard.pk}/actions/list", body)
    again = fire.post(f"/api/v1/hazards/major/{hazard.pk}/actions/list", body)
    assert listed.status_code == 200, listed.content
    assert listed.json()["state"] == "listed" and again.json()["notice_no"] == listed.json()["notice_no"]
    assert [s["action"] for s in again.json()["steps"]] == ["open", "listing"]
    stale = fire.post(f"/api/v1/hazards/major/{hazard.pk}/actions/plan",
                      {"version": 1, "request_id": str(uuid.uuid4()), "plan": PLAN})  # fmt: skip
    assert stale.status_code == 409 and stale["Content-Type"].startswith("application/problem+json")
    short = fire.post(f"/api/v1/hazards/major/{hazard.pk}/actions/plan",
                      {"version": 2, "request_id": str(uuid.uuid4()), "plan": {"goal": "x"}})  # fmt: skip
    assert short.status_code == 422 and "应急预案" in short.json()["detail"]

    client.logout()
    public = client.get("/api/v1/hazards/public")
    assert public.status_code == 200
    [row] = public.json()
    assert row["notice_no"] == listed.json()["notice_no"] and row["unit"] == ent_world["a"].name
    text = public.content.decode()
    for personal in ("郑秀兰", "13905941234", "林建华", people["fire"].display_name, case.description):
        assert personal not in text
