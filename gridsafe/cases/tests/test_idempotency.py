"""Offline resends (domain.md §8): an identical resend gets the same record back, the same id with other content is
refused (409), an action retried with its request id is answered once, and a stale version is 409."""

import uuid

from gridsafe.cases.models import Attachment, Case, CaseEvent
from gridsafe.cases.tests.helpers import grid_point, upload_photo
from gridsafe.notifications.models import Notification


def _body(user, **extra):
    lon, lat = grid_point(user)
    return {
        "client_id": str(uuid.uuid4()),
        "category": "fire-ebike-indoor",
        "description": "楼道内有电动车充电",
        "lon": lon,
        "lat": lat,
        "accuracy_m": 8.5,
        **extra,
    }


def test_identical_resend_returns_the_same_case_once(as_user, people):
    worker = as_user("nanxi_worker")
    body = _body(worker.user)

    first = worker.post("/api/v1/cases", body)
    again = worker.post("/api/v1/cases", body)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["version"] == first.json()["version"] == 1
    assert Case.objects.filter(client_id=body["client_id"]).count() == 1
    assert CaseEvent.objects.filter(case_id=first.json()["id"]).count() == 1
    # The station hears of the new case once, not once per resend (when it looks at its inbox).
    inbox = as_user("nanxi").get("/api/v1/notifications").json()
    assert [n["case_id"] for n in inbox["items"]].count(first.json()["id"]) == 1
    assert Notification.objects.filter(case_id=first.json()["id"], user=people["nanxi"]).count() == 1


def test_resend_after_the_case_moved_on_returns_it_as_it_is_now(as_user):
    worker, nanxi = as_user("nanxi_worker"), as_user("nanxi")
    body = _body(worker.user)
    case = worker.post("/api/v1/cases", body).json()
    assert nanxi.act(case["id"], "escalate", case["version"], reason="本级不能消除").status_code == 200

    again = worker.post("/api/v1/cases", body)

    assert again.status_code == 200
    assert (again.json()["id"], again.json()["level"], again.json()["version"]) == (case["id"], 2, 2)


def test_same_client_id_with_other_content_is_409_and_changes_nothing(as_user):
    worker = as_user("nanxi_worker")
    body = _body(worker.user)
    first = worker.post("/api/v1/cases", body).json()

    for change in ({"description": "楼道堆放杂物"}, {"category": "fire-escape-blocked"}, {"lon": body["lon"] + 1e-5}):
        response = worker.post("/api/v1/cases", {**body, **change})
        assert response.status_code == 409, change
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "idempotency_conflict"
    stored = Case.objects.get(client_id=body["client_id"])
    assert (stored.pk, stored.description, stored.version) == (first["id"], "楼道内有电动车充电", 1)


def test_same_client_id_from_another_person_is_409(as_user):
    worker = as_user("nanxi_worker")
    body = _body(worker.user)
    assert worker.post("/api/v1/cases", body).status_code == 201

    response = as_user("nanxi").post("/api/v1/cases", body)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert Case.objects.count() == 1


def test_action_retried_with_the_same_request_id_is_answered_once(as_user, people):
    worker, nanxi = as_user("nanxi_worker"), as_user("nanxi")
    case = worker.post("/api/v1/cases", _body(worker.user)).json()
    body = {"version": case["version"], "request_id": str(uuid.uuid4()), "reason": "本级力量不能消除"}
    path = f"/api/v1/cases/{case['id']}/actions/escalate"

    first = nanxi.post(path, body)
    retry = nanxi.post(path, body)  # the PWA did not see the answer and sends the same tap again

    assert first.status_code == retry.status_code == 200, retry.content
    assert retry.json()["level"] == 2  # not 3: the retry did not escalate again
    assert retry.json()["version"] == first.json()["version"] == 2
    assert CaseEvent.objects.filter(case_id=case["id"], kind="case.escalated").count() == 1
    # The township centre is told once.
    assert Notification.objects.filter(case_id=case["id"], user=people["bangtou"], kind="escalated").count() == 1


def test_request_id_is_per_action_on_a_case_not_global(as_user):
    """A request id seen on another case does not swallow this case's action."""
    worker, nanxi = as_user("nanxi_worker"), as_user("nanxi")
    one = worker.post("/api/v1/cases", _body(worker.user)).json()
    two = worker.post("/api/v1/cases", _body(worker.user)).json()
    request_id = str(uuid.uuid4())
    for case in (one, two):
        body = {"version": 1, "request_id": request_id, "reason": "本级力量不能消除"}
        assert nanxi.post(f"/api/v1/cases/{case['id']}/actions/escalate", body).json()["level"] == 2


def test_stale_version_is_409_stale_version(as_user):
    worker, nanxi, bangtou = as_user("nanxi_worker"), as_user("nanxi"), as_user("bangtou")
    case = worker.post("/api/v1/cases", _body(worker.user)).json()
    assert worker.act(case["id"], "comment", case["version"], comment="补充：共 3 辆").status_code == 200

    stale = nanxi.act(case["id"], "escalate", case["version"], reason="本级力量不能消除")

    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "stale_version"
    stored = Case.objects.get(pk=case["id"])
    assert (stored.level, stored.version) == (1, 2)
    assert not CaseEvent.objects.filter(case=stored, kind="case.escalated").exists()
    # Reloaded, the same person succeeds; the township was not told of the refused attempt.
    assert not bangtou.get("/api/v1/notifications").json()["total"]
    assert nanxi.act(case["id"], "escalate", 2, reason="本级力量不能消除").json()["level"] == 2


def test_version_from_the_future_is_also_stale(as_user):
    worker, nanxi = as_user("nanxi_worker"), as_user("nanxi")
    case = worker.post("/api/v1/cases", _body(worker.user)).json()
    response = nanxi.act(case["id"], "assign", 7)
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"


def test_attachment_upload_is_idempotent_on_client_id(as_user):
    worker = as_user("nanxi_worker")
    case = worker.post("/api/v1/cases", _body(worker.user)).json()
    client_id = uuid.uuid4()

    first = upload_photo(worker, case["id"], role="report", client_id=client_id)
    again = upload_photo(worker, case["id"], role="report", client_id=client_id)
    other_bytes = upload_photo(worker, case["id"], role="report", client_id=client_id, color=(200, 10, 10))

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["sha256"] == first.json()["sha256"]
    assert other_bytes.status_code == 409
    assert other_bytes.json()["code"] == "idempotency_conflict"
    assert Attachment.objects.filter(case_id=case["id"]).count() == 1


def test_attachment_client_id_reused_on_another_case_is_409(as_user):
    worker = as_user("nanxi_worker")
    one = worker.post("/api/v1/cases", _body(worker.user)).json()
    two = worker.post("/api/v1/cases", _body(worker.user)).json()
    client_id = uuid.uuid4()
    assert upload_photo(worker, one["id"], client_id=client_id, role="report").status_code == 201

    response = upload_photo(worker, two["id"], client_id=client_id, role="report")

    assert response.status_code == 409
    assert not Attachment.objects.filter(case_id=two["id"]).exists()


def test_retry_of_an_action_that_took_the_case_out_of_view_is_404_like_any_case_out_of_view(flow, as_user):
    """A department's 回退 clears its dispatch, so the case leaves its view. A retry passes the same 辖区 check as a
    new request: 404, and nothing of the case as it is now (the answer to the first send was the department's)."""
    case = flow.dispatched()
    fire = as_user("fire")
    path = f"/api/v1/cases/{case.pk}/actions/return"
    body = {"version": case.version, "request_id": str(uuid.uuid4()), "reason_code": "not_our_duty", "reason": "非消防"}

    first = fire.post(path, body)
    retry = fire.post(path, body)

    assert first.status_code == 200, first.content
    assert first.json()["version"] == case.version + 1
    assert retry.status_code == 404
    assert retry.json()["code"] == "not_found" and "version" not in retry.json()
    assert CaseEvent.objects.filter(case=case, kind="case.returned").count() == 1
    assert Case.objects.get(pk=case.pk).misdispatch_count == 1
    # Anything else from the department is now as for any case outside its view.
    other = fire.act(case.pk, "comment", case.version + 1, comment="补充")
    assert other.status_code == 404


def test_a_resend_refused_now_for_a_new_reason_still_gets_its_case(as_user):
    """The category was switched off after the report landed: the outbox's resend must hear "landed", not 422."""
    from gridsafe.catalog.categories import categories
    from gridsafe.catalog.models import Category

    worker = as_user("nanxi_worker")
    body = _body(worker.user)
    first = worker.post("/api/v1/cases", body)
    Category.objects.filter(code=body["category"]).update(is_active=False)
    categories.invalidate()

    again = worker.post("/api/v1/cases", body)
    fresh = worker.post("/api/v1/cases", _body(worker.user))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert fresh.status_code == 422 and "隐患类别不存在" in fresh.json()["detail"]
    assert Case.objects.filter(client_id=body["client_id"]).count() == 1
