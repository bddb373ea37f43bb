"""Checklist visits (检查打卡): answers bound to the checklist version, failed items become hazard cases with the
answers kept, the place's schedule moves, and resends never double anything."""

import uuid
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from gridsafe.cases.models import Case
from gridsafe.core import clock
from gridsafe.core.idempotency import request_fingerprint
from gridsafe.field.checklists.services import checklist_draft_create, checklist_publish
from gridsafe.field.models import PlaceVisit
from gridsafe.field.selectors import checklist_for_place
from gridsafe.field.services import _visit_insert, place_visit_record, visit_case_client_id
from gridsafe.field.tests.conftest import jpeg


def visit_body(place, *, fail=(), na=(), patrol=None, description="", client_id=None):
    template = checklist_for_place(place)
    answers = []
    for item in template.items_for(place.kind):
        answer = "fail" if item.code in fail else "na" if item.code in na else "pass"
        row = {"code": item.code, "answer": answer}
        if answer == "fail":
            row.update(description=description or f"{item.question}：不符合", photo_client_ids=[str(uuid.uuid4())])
        answers.append(row)
    body = {
        "client_id": str(client_id or uuid.uuid4()),
        "place_id": place.pk,
        "template_id": template.pk,
        "answers": answers,
        "lon": place.lon + 0.0001,
        "lat": place.lat,
        "accuracy_m": 9,
    }
    if patrol:
        body["patrol_client_id"] = patrol
    return body


def test_failed_items_become_cases_with_the_answers_kept(api_as, people, field_world):
    worker = api_as("nanxi_worker")
    place = field_world["lpg"]
    body = visit_body(place, fail={"L02", "L03"}, description="")
    created = worker.post("/api/v1/field/visits", body)
    assert created.status_code == 201, created.content
    visit = created.json()
    assert visit["result"] == "hazards" and visit["template_version"] == 1
    assert visit["score"] == round(100 * 4 / 9, 1)  # weights L01 3 + L04 1 passed of 3 + 2 + 3 + 1
    assert {c["item_code"] for c in visit["cases"]} == {"L02", "L03"}
    assert len(visit["missing_photos"]) == 2  # declared, not uploaded yet: the supervisor sees what is missing

    cases = {c.checklist_answers["item"]["code"]: c for c in Case.objects.filter(place=place)}
    assert set(cases) == {"L02", "L03"}
    l02, l03 = cases["L02"], cases["L03"]
    assert l02.client_id == visit_case_client_id(uuid.UUID(body["client_id"]), "L02")
    assert (
        l02.category.code == "lpg-no-inspection" and l02.source == "patrol" and l02.reporter == people["nanxi_worker"]
    )
    assert l02.checklist_answers["template_version"] == 1
    assert [a["code"] for a in l02.checklist_answers["answers"]] == ["L01", "L02", "L03", "L04"]
    assert l02.checklist_answers["item"]["legal_basis"] == "TSG 23-2021《气瓶安全技术规程》"
    assert l02.level == 1
    # 可能重大 (L03, 地下室存放): a worker's proposal, routed to the township; the grade stays for an officer.
    assert l03.level == 2 and l03.grade == "general"

    l02_photo = next(a for a in body["answers"] if a["code"] == "L02")["photo_client_ids"][0]
    uploaded = worker.upload(
        "/api/v1/field/photos",
        {
            "file": SimpleUploadedFile("l02.jpg", jpeg(), content_type="image/jpeg"),
            "case_id": l02.pk,
            "client_id": l02_photo,
            "place_id": place.pk,
        },
    )
    assert uploaded.status_code == 201, uploaded.content
    assert len(worker.get(f"/api/v1/field/visits/{body['client_id']}").json()["missing_photos"]) == 1

    place.refresh_from_db()
    assert place.last_inspected_at is not None
    assert place.next_due_at - place.last_inspected_at == timedelta(days=7)  # LPG points are weekly

    again = worker.post("/api/v1/field/visits", body)  # identical resend: same visit, no new case
    assert again.status_code == 200 and again.json()["id"] == visit["id"]
    assert Case.objects.filter(place=place).count() == 2
    changed = {**body, "answers": [{**a, "answer": "pass"} for a in body["answers"]]}
    conflict = worker.post("/api/v1/field/visits", changed)
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"

    # The next visit shows the open findings for re-checking.
    checklist = worker.get(f"/api/v1/field/places/{place.pk}/checklist").json()
    assert {f["item_code"] for f in checklist["open_findings"]} == {"L02", "L03"}
    assert checklist["checklist"]["version"] == 1


def test_a_crash_between_visit_and_cases_is_healed_by_the_resend(people, field_world):
    worker = people["nanxi_worker"]
    place = field_world["rental"]
    body = visit_body(place, fail={"R02"})
    client_id = uuid.UUID(body["client_id"])
    kwargs = dict(
        template_id=body["template_id"],
        answers=body["answers"],
        patrol_client_id=None,
        visited_at=None,
        lon=body["lon"],
        lat=body["lat"],
        accuracy_m=body["accuracy_m"],
    )
    # The first attempt committed the visit and died before case_report ran.
    fingerprint = request_fingerprint(
        {
            "place": place.pk,
            "template": body["template_id"],
            "answers": body["answers"],
            "patrol": None,
            "visited_at": None,
            "lon": body["lon"],
            "lat": body["lat"],
            "accuracy_m": body["accuracy_m"],
        }
    )
    _visit_insert(actor=worker, client_id=client_id, fingerprint=fingerprint, place=place, **kwargs)
    assert not Case.objects.filter(place=place).exists()

    visit, created, cases = place_visit_record(actor=worker, client_id=client_id, place=place, **kwargs)
    assert not created and len(cases) == 1
    assert visit.case_ids == {"R02": cases[0].pk}
    place_visit_record(actor=worker, client_id=client_id, place=place, **kwargs)
    assert Case.objects.filter(place=place).count() == 1


def test_answers_are_checked_against_the_checklist(api_as, field_world):
    worker = api_as("nanxi_worker")
    place = field_world["rental"]
    body = visit_body(place)
    missing = {**body, "answers": body["answers"][:-1]}
    assert "未作答" in worker.post("/api/v1/field/visits", missing).json()["detail"]
    na = visit_body(place, na={"R01"})  # electric bikes: N/A not allowed
    refused = worker.post("/api/v1/field/visits", na)
    assert refused.status_code == 422 and "不允许" in refused.json()["detail"]
    ok = worker.post("/api/v1/field/visits", visit_body(place, na={"R05", "R06"}))  # window bars, LPG: N/A allowed
    assert ok.status_code == 201 and ok.json()["result"] == "passed" and ok.json()["score"] == 100.0
    no_photo = visit_body(place, fail={"R02"})
    no_photo["answers"] = [{**a, "photo_client_ids": []} for a in no_photo["answers"]]
    refused = worker.post("/api/v1/field/visits", no_photo)
    assert refused.status_code == 422 and "须拍照" in refused.json()["detail"]


def test_answers_stay_bound_to_the_version_they_were_given_against(api_as, people, field_world):
    worker = api_as("nanxi_worker")
    place = field_world["lpg"]
    old = checklist_for_place(place)
    body = visit_body(place)  # the phone cached version 1
    lead = people["county_lead"]  # revises the checklist through the editor's services: version 2
    new = checklist_draft_create(actor=lead, from_version=old)
    checklist_publish(actor=lead, template=new, expected_revision=new.revision)
    response = worker.post("/api/v1/field/visits", body)
    assert response.status_code == 201, response.content
    assert response.json()["template_version"] == 1
    assert PlaceVisit.objects.get(client_id=body["client_id"]).template_id == old.pk
    assert worker.get(f"/api/v1/field/places/{place.pk}/checklist").json()["checklist"]["version"] == 2


def test_visits_outside_the_patrol_time_are_refused(api_as, field_world):
    worker = api_as("nanxi_worker")
    start = worker.post(
        "/api/v1/field/patrols",
        {
            "client_id": str(uuid.uuid4()),
            "grid_code": field_world["grids"][0].code,
            "started_at": (clock.now() - timedelta(minutes=10)).isoformat(),
        },
    ).json()
    body = visit_body(field_world["lpg"], patrol=start["client_id"])
    body["visited_at"] = (clock.now() - timedelta(hours=2)).isoformat()
    refused = worker.post("/api/v1/field/visits", body)
    assert refused.status_code == 422 and "巡查时间" in refused.json()["detail"]
