"""A request id is no key to a case (issue #12). A case action resent with a used `request_id` is a repeat only when
it is the same request — the same person, the same action, the same body — and only while the case is still in that
person's 辖区: out of it, the resend is the 404 any request gets. Anything else with a used id is 409
`request_id_reused`. The answer to a repeat is the case as the sender may see it now, and nothing is written twice.

Also here: a case's `source` is the server's (a grid worker cannot file as 领导交办), and case actions and comments
are rate-limited per user, on the API and on the page, in one count."""

import uuid

import pytest
from django.test import TestCase, override_settings

from gridsafe.accounts.identities import identities, identities_changed
from gridsafe.accounts.models import Unit, User
from gridsafe.cases.models import Attachment, Case, CaseEvent
from gridsafe.cases.services import REQUEST_DIGEST_KEY, request_digest
from gridsafe.cases.tests.helpers import grid_point, report, upload_photo, village_grid_point
from gridsafe.core.models import AuditEvent

ESCALATE = {"reason": "本级力量不能消除"}


def _escalate_body(case: dict, request_id=None, **extra) -> dict:
    return {"version": case["version"], "request_id": str(request_id or uuid.uuid4()), **ESCALATE, **extra}


def _path(case, action="escalate") -> str:
    return f"/api/v1/cases/{case['id']}/actions/{action}"


@pytest.fixture
def reported(as_user):
    worker = as_user("nanxi_worker")
    response = report(worker)
    assert response.status_code == 201, response.content
    return response.json()


def _events(case) -> int:
    return CaseEvent.objects.filter(case_id=case["id"]).count()


def _assert_reused(response):
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "request_id_reused"
    assert "request_id 已用于另一次操作" in problem["detail"]
    assert "state" not in problem and "version" not in problem  # no case in the answer


# ---------------------------------------------------------------- the same request again


def test_the_same_request_again_gets_the_case_and_writes_nothing(as_user, reported):
    nanxi = as_user("nanxi")
    body = _escalate_body(reported)

    first = nanxi.post(_path(reported), body)
    events = _events(reported)
    again = nanxi.post(_path(reported), body)

    assert first.status_code == again.status_code == 200, again.content
    assert (again.json()["level"], again.json()["version"]) == (2, 2)  # not escalated twice
    assert _events(reported) == events
    # The digest is kept on the event, and the timeline the API shows does not carry it.
    event = CaseEvent.objects.get(case_id=reported["id"], request_id=body["request_id"])
    assert event.payload[REQUEST_DIGEST_KEY] == request_digest(
        "escalate", {"expected_version": 1, "reason": ESCALATE["reason"], "target_level": None}
    )
    assert all(REQUEST_DIGEST_KEY not in e["payload"] for e in again.json()["events"])


def test_a_comment_retried_at_the_version_now_current_is_a_repeat(as_user, reported):
    """The field app sends a 备注 at the version current at each try; its retry after a lost answer carries the
    version the comment itself made. A decision carries the version seen, and its retry the same one."""
    worker = as_user("nanxi_worker")
    body = {"version": 1, "request_id": str(uuid.uuid4()), "comment": "【网格员补充】共 3 辆"}
    assert worker.post(_path(reported, "comment"), body).status_code == 200

    again = worker.post(_path(reported, "comment"), {**body, "version": 2})
    other = worker.post(_path(reported, "comment"), {**body, "version": 2, "comment": "另一条备注"})

    assert again.status_code == 200, again.content
    assert again.json()["version"] == 2
    assert CaseEvent.objects.filter(case_id=reported["id"], kind="case.commented").count() == 1
    _assert_reused(other)


def test_the_digest_does_not_depend_on_how_a_moment_is_written():
    from datetime import UTC, datetime, timedelta, timezone

    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    same = at.astimezone(timezone(timedelta(hours=8)))
    assert request_digest("request_extension", {"requested_due": at}) == request_digest(
        "request_extension", {"requested_due": same}
    )
    assert request_digest("comment", {"comment": "a"}) != request_digest("urge", {"comment": "a"})


@pytest.mark.parametrize(
    "change",
    [{"reason": "另一个理由"}, {"target_level": 3}, {"version": 2}],
    ids=["other-reason", "other-field", "other-version"],
)
def test_the_same_request_id_with_another_body_is_409_and_changes_nothing(as_user, reported, change):
    nanxi = as_user("nanxi")
    body = _escalate_body(reported)
    assert nanxi.post(_path(reported), body).status_code == 200
    events = _events(reported)

    response = nanxi.post(_path(reported), {**body, **change})

    _assert_reused(response)
    assert _events(reported) == events
    assert Case.objects.get(pk=reported["id"]).level == 2
    refused = AuditEvent.objects.filter(action="case.escalate", target=f"case:{reported['id']}").last()
    assert refused is not None and refused.payload["request_id"] == body["request_id"]


def test_the_same_request_id_for_another_action_is_409(as_user, reported):
    nanxi = as_user("nanxi")
    body = _escalate_body(reported)
    assert nanxi.post(_path(reported), body).status_code == 200
    events = _events(reported)

    comment = nanxi.post(
        _path(reported, "comment"), {"version": 2, "request_id": body["request_id"], "comment": "补充说明"}
    )

    _assert_reused(comment)
    assert _events(reported) == events


def test_an_action_reusing_the_reports_client_id_is_409(as_user, reported):
    """The report's event carries the case's client id (shown in every answer): it is no request id to reuse."""
    comment = as_user("nanxi").post(
        _path(reported, "comment"), {"version": 1, "request_id": reported["client_id"], "comment": "补充说明"}
    )
    _assert_reused(comment)
    assert _events(reported) == 1


# ---------------------------------------------------------------- someone else's request id


def test_another_person_resending_someones_request_is_409_not_the_case(as_user, reported):
    """The township centre sees the escalated case, yet sending 王建平's request is not a way to act as him."""
    nanxi, bangtou = as_user("nanxi"), as_user("bangtou")
    body = _escalate_body(reported)
    assert nanxi.post(_path(reported), body).status_code == 200
    events = _events(reported)

    response = bangtou.post(_path(reported), body)

    _assert_reused(response)
    assert _events(reported) == events


def test_someone_outside_the_jurisdiction_resending_it_gets_404(as_user, reported):
    nanxi, quanshan = as_user("nanxi"), as_user("quanshan")
    body = _escalate_body(reported)
    assert nanxi.post(_path(reported), body).status_code == 200

    theirs = quanshan.post(_path(reported), body)
    missing = quanshan.post("/api/v1/cases/987654321/actions/escalate", body)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


# ---------------------------------------------------------------- the sender lost the case


def _move_to(user: User, unit: Unit) -> None:
    User.objects.filter(pk=user.pk).update(unit=unit)
    identities_changed()
    identities.forget()  # this process's kept token lookups carry the old unit


def test_a_resend_after_the_sender_moved_to_another_unit_is_404(as_user, people, reported):
    nanxi = as_user("nanxi")
    body = _escalate_body(reported)
    assert nanxi.post(_path(reported), body).status_code == 200
    events = _events(reported)

    _move_to(nanxi.user, people["quanshan"].unit)  # 王建平 now works at 泉山村's station
    again = nanxi.post(_path(reported), body)

    assert again.status_code == 404, again.content
    assert again.json()["code"] == "not_found"
    assert _events(reported) == events


def test_a_resend_after_a_return_to_another_unit_is_404(flow, as_user, people):
    """The county dispatched to the fire brigade; the brigade signed for it and then returned it (not its duty);
    the county dispatched it to the gas office. The brigade's resend of its 签收 gets nothing of the case."""
    case = flow.dispatched()
    fire = as_user("fire")
    start = {"version": case.version, "request_id": str(uuid.uuid4())}
    assert fire.post(f"/api/v1/cases/{case.pk}/actions/start", start).status_code == 200
    returned = fire.act(case.pk, "return", case.version + 1, reason_code="not_our_duty", reason="非消防职责")
    assert returned.status_code == 200, returned.content
    gas = people["gas"].unit
    assert as_user("county").act(case.pk, "dispatch", case.version + 2, department_id=gas.pk).status_code == 200
    events = CaseEvent.objects.filter(case=case).count()

    again = fire.post(f"/api/v1/cases/{case.pk}/actions/start", start)

    assert again.status_code == 404
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Case.objects.get(pk=case.pk).department_id == gas.pk


def test_the_service_itself_checks_the_jurisdiction_of_a_repeat(flow, people):
    """Every caller of a service finds the case through the 辖区 first; the repeat check does not rely on it."""
    from gridsafe.cases.services import ACTION_SERVICES
    from gridsafe.core.errors import CaseNotFound

    case = flow.dispatched()
    request_id = uuid.uuid4()
    kwargs = dict(actor=people["fire"], request_id=request_id, reason_code="not_our_duty", reason="非消防职责")
    ACTION_SERVICES["return"](case=case, expected_version=case.version, **kwargs)

    with pytest.raises(CaseNotFound):
        ACTION_SERVICES["return"](case=case, expected_version=case.version, **kwargs)


# ---------------------------------------------------------------- the page


def _page_post(client, case_id, action, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/cases/{case_id}/actions/{action}/", data, headers={"HX-Request": "true"})


def test_the_page_refuses_a_reused_request_id_with_a_message(client, people, reported):
    client.force_login(people["nanxi"])
    request_id = str(uuid.uuid4())
    first = _page_post(client, reported["id"], "escalate", {"version": 1, "request_id": request_id, **ESCALATE})
    other = _page_post(client, reported["id"], "escalate", {"version": 1, "request_id": request_id, "reason": "改了"})

    assert first.status_code == 200
    assert other.status_code == 409
    assert "request_id 已用于另一次操作" in other.content.decode()
    assert CaseEvent.objects.filter(case_id=reported["id"], kind="case.escalated").count() == 1


def test_a_departments_double_submit_of_its_return_on_the_page_is_404(client, people, flow):
    case = flow.dispatched()
    client.force_login(people["fire"])
    data = {"version": case.version, "request_id": str(uuid.uuid4()), "reason_code": "not_our_duty", "reason": "非消防"}

    first = _page_post(client, case.pk, "return", data)
    again = _page_post(client, case.pk, "return", data)

    assert first.status_code == 204 and first["HX-Redirect"] == "/"  # out of view: back to the inbox
    assert again.status_code == 404
    assert CaseEvent.objects.filter(case=case, kind="case.returned").count() == 1


# ---------------------------------------------------------------- attachments


def test_someone_elses_attachment_client_id_is_409_not_their_upload(as_user, reported):
    """Both may see the case; the station's upload with the worker's client id and bytes is not the worker's."""
    worker, nanxi = as_user("nanxi_worker"), as_user("nanxi")
    client_id = uuid.uuid4()
    assert upload_photo(worker, reported["id"], role="report", client_id=client_id).status_code == 201

    response = upload_photo(nanxi, reported["id"], role="report", client_id=client_id)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert "captured_at" not in response.json()
    assert Attachment.objects.filter(case_id=reported["id"]).count() == 1


# ---------------------------------------------------------------- source


def _report_as(api, **extra):
    point = grid_point(api.user) if api.user.grids.exists() else village_grid_point("南溪村")
    return report(api, point=point, **extra)


@pytest.mark.parametrize("claimed", ["leader", "hotline", "department"])
def test_a_grid_worker_cannot_name_the_source(as_user, claimed):
    response = _report_as(as_user("nanxi_worker"), source=claimed)

    assert response.status_code == 422, response.content
    assert "来源由系统按渠道和角色确定" in response.json()["detail"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("claimed", ["grid_worker", "patrol"])
def test_nobody_names_the_server_decided_sources(as_user, claimed):
    response = _report_as(as_user("county"), source=claimed)
    assert response.status_code == 422
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("username", "claimed", "stored"),
    [
        ("nanxi_worker", None, "grid_worker"),
        ("fire", None, "department"),
        ("leader", None, "leader"),
        ("county", None, "department"),
        ("county", "hotline", "hotline"),
        ("county", "video", "video"),
        ("county", "leader", "leader"),
        ("nanxi", "hotline", "hotline"),
    ],
)
def test_the_stored_source_is_the_servers(as_user, username, claimed, stored):
    extra = {"source": claimed} if claimed else {}
    response = _report_as(as_user(username), **extra)
    assert response.status_code == 201, response.content
    assert response.json()["source"] == stored
    assert Case.objects.get(pk=response.json()["id"]).source == stored


def test_a_department_cannot_file_as_a_leader(as_user):
    response = _report_as(as_user("fire"), source="leader")
    assert response.status_code == 422
    assert "部门检查" in response.json()["detail"]


# ---------------------------------------------------------------- rate


@override_settings(GRIDSAFE_ACTION_RATE="3/m")
def test_case_actions_and_comments_are_rate_limited_per_user_on_api_and_page(client, as_user, reported):
    from django.core.cache import cache

    cache.clear()  # counts from earlier tests in this process
    nanxi, worker = as_user("nanxi"), as_user("nanxi_worker")
    assert nanxi.act(reported["id"], "comment", 1, comment="一").status_code == 200
    assert nanxi.act(reported["id"], "comment", 2, comment="二").status_code == 200
    client.force_login(nanxi.user)
    page = _page_post(
        client, reported["id"], "comment", {"version": 3, "request_id": str(uuid.uuid4()), "comment": "三"}
    )
    assert page.status_code == 200

    refused = nanxi.act(reported["id"], "escalate", 4, **ESCALATE)
    on_page = _page_post(
        client, reported["id"], "comment", {"version": 4, "request_id": str(uuid.uuid4()), "comment": "四"}
    )

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert on_page.status_code == 429 and 1 <= int(on_page["Retry-After"]) <= 60
    assert "请求过于频繁" in on_page.content.decode()
    plain = client.post(
        f"/cases/{reported['id']}/actions/comment/", {"version": 4, "request_id": str(uuid.uuid4()), "comment": "五"}
    )
    assert plain.status_code == 429 and 1 <= int(plain["Retry-After"]) <= 60
    assert "请求过于频繁" in plain.content.decode() and "<html" in plain.content.decode()  # the case page
    assert Case.objects.get(pk=reported["id"]).version == 4 and Case.objects.get(pk=reported["id"]).level == 1
    # Another person has a count of their own.
    assert worker.act(reported["id"], "comment", 4, comment="网格员补充").status_code == 200
