"""Where a case change came from, and the attempts that were refused (等保 level 3: who, when, from where, outcome).

Every timeline event written during a request records the client's address (behind GRIDSAFE_PROXY_COUNT trusted
proxies, the one in X-Forwarded-For); the timeline shown to users leaves it out. A refused action (403, 404, 409)
changes nothing and writes no event, but leaves one row in the security audit log."""

import uuid

import pytest

from conftest import Api
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.services import ACTION_SERVICES
from gridsafe.cases.tests.helpers import QUANSHAN, village_grid_point
from gridsafe.core.errors import StaleVersion
from gridsafe.core.models import AuditEvent

CLIENT = "203.0.113.7"  # what our one trusted proxy (nginx) appended: the client's real address
PROXIED = {"HTTP_X_FORWARDED_FOR": CLIENT, "REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.GRIDSAFE_PROXY_COUNT = 1


def _act(api: Api, case_id: int, action: str, version: int, **fields):
    body = {"version": version, "request_id": str(uuid.uuid4()), **fields}
    return api.post(f"/api/v1/cases/{case_id}/actions/{action}", body, **PROXIED)


def _reported(api_as) -> dict:
    worker = api_as("nanxi_worker")
    lon, lat = worker.user.grids.order_by("code").values_list("center_lon", "center_lat").first()
    body = {"client_id": str(uuid.uuid4()), "category": "fire-ebike-indoor", "description": "楼道内有电动车充电"}
    response = worker.post("/api/v1/cases", {**body, "lon": lon, "lat": lat}, **PROXIED)
    assert response.status_code == 201, response.content
    return response.json()


def test_an_action_and_a_report_record_the_forwarded_client_address(api_as):
    case = _reported(api_as)
    station = api_as("nanxi")
    response = _act(station, case["id"], "assign", case["version"])
    assert response.status_code == 200, response.content
    reported, assigned = CaseEvent.objects.filter(case_id=case["id"]).order_by("id")
    assert (reported.kind, reported.actor.username, reported.ip) == ("case.reported", "nanxi_worker", CLIENT)
    assert (assigned.action, assigned.actor_id, assigned.ip) == ("assign", station.user.pk, CLIENT)
    assert not AuditEvent.objects.filter(action__startswith="case.").exists()  # success is the timeline's, not audit's


def test_a_stale_version_is_audited_as_a_conflict_and_writes_no_event(api_as):
    case = _reported(api_as)
    station = api_as("nanxi")
    assert _act(station, case["id"], "comment", case["version"], comment="已电话联系").status_code == 200
    events = CaseEvent.objects.filter(case_id=case["id"]).count()
    stale = _act(station, case["id"], "assign", case["version"])  # the version before the comment
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version", stale.content
    assert CaseEvent.objects.filter(case_id=case["id"]).count() == events
    audit = AuditEvent.objects.get(action="case.assign")
    assert (audit.target, audit.outcome, audit.actor_id, audit.actor_label, audit.ip) == (
        f"case:{case['id']}",
        "conflict",
        station.user.pk,
        station.user.label,
        CLIENT,
    )
    assert audit.payload["code"] == "stale_version"
    assert (audit.payload["expected_version"], audit.payload["current_version"]) == (
        case["version"],
        case["version"] + 1,
    )


def test_a_wrong_state_is_audited_as_a_conflict(api_as):
    case = _reported(api_as)
    station = api_as("nanxi")
    assigned = _act(station, case["id"], "assign", case["version"]).json()
    again = _act(station, case["id"], "assign", assigned["version"])  # already 处置中: not from here
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition", again.content
    audit = AuditEvent.objects.get(action="case.assign")
    assert (audit.outcome, audit.actor_id, audit.ip) == ("conflict", station.user.pk, CLIENT)
    assert audit.payload["code"] == "invalid_transition" and audit.payload["state"] == "handling"


def test_an_action_the_user_may_not_take_is_audited_as_refused(api_as):
    case = _reported(api_as)
    worker = api_as("nanxi_worker")  # sees the case (reported it); the station decides
    response = _act(worker, case["id"], "void", case["version"], reason_code="not_hazard", reason="现场无隐患")
    assert response.status_code == 403, response.content
    assert CaseEvent.objects.filter(case_id=case["id"]).count() == 1
    audit = AuditEvent.objects.get(action="case.void")
    assert (audit.target, audit.outcome, audit.actor_id, audit.ip) == (
        f"case:{case['id']}",
        "refused",
        worker.user.pk,
        CLIENT,
    )
    assert audit.payload["code"] == "not_permitted"


def test_an_action_on_a_case_out_of_jurisdiction_is_audited_as_not_found(api_as):
    case = _reported(api_as)
    outsider = api_as("quanshan")  # 泉山村's station: 南溪村's case ids are not theirs to learn
    response = _act(outsider, case["id"], "assign", case["version"])
    assert response.status_code == 404, response.content
    assert CaseEvent.objects.filter(case_id=case["id"]).count() == 1
    audit = AuditEvent.objects.get(action="case.assign")
    assert (audit.target, audit.outcome, audit.actor_id, audit.ip) == (
        f"case:{case['id']}",
        "not_found",
        outsider.user.pk,
        CLIENT,
    )
    # A case id that does not exist gets the same answer and the same kind of row.
    assert _act(outsider, 987654321, "assign", 1).status_code == 404
    assert AuditEvent.objects.get(target="case:987654321").outcome == "not_found"


def test_a_report_into_another_jurisdiction_is_audited_but_bad_input_is_not(api_as):
    station = api_as("nanxi")  # a station officer reports only inside its own 辖区
    lon, lat = village_grid_point(QUANSHAN)
    client_id = str(uuid.uuid4())
    body = {"client_id": client_id, "category": "fire-ebike-indoor", "description": "楼道充电", "lon": lon, "lat": lat}
    response = station.post("/api/v1/cases", body, **PROXIED)
    assert response.status_code == 422 and response.json()["code"] == "validation_failed", response.content
    audit = AuditEvent.objects.get(action="case.report")
    assert (audit.target, audit.outcome, audit.actor_id, audit.ip) == (
        f"case_report:{client_id}",
        "refused",
        station.user.pk,
        CLIENT,
    )
    assert not Case.objects.filter(client_id=client_id).exists()
    unknown = station.post("/api/v1/cases", {**body, "client_id": str(uuid.uuid4()), "category": "no-such"})
    assert unknown.status_code == 422
    assert AuditEvent.objects.filter(action="case.report").count() == 1


def test_the_timeline_shown_to_users_leaves_the_address_out(api_as, client):
    case = _reported(api_as)
    station = api_as("nanxi")
    _act(station, case["id"], "comment", case["version"], comment="已电话联系")
    detail = station.get(f"/api/v1/cases/{case['id']}").json()
    assert len(detail["events"]) == 2
    assert all("ip" not in event for event in detail["events"])
    assert CLIENT not in str(detail)
    client.force_login(station.user)
    page = client.get(f"/cases/{case['id']}/")
    assert page.status_code == 200 and "已电话联系" in page.content.decode()
    assert CLIENT not in page.content.decode()


def test_the_page_path_is_stamped_and_audited_the_same_way(api_as, client):
    """The page's action form calls the same service: its event carries the address, its refusal is audited."""
    case = _reported(api_as)
    station = api_as("nanxi").user
    client.force_login(station)
    url = f"/cases/{case['id']}/actions/comment/"
    form = {"version": case["version"], "request_id": str(uuid.uuid4()), "comment": "已电话联系"}
    assert client.post(url, form, **PROXIED).status_code == 303
    assert CaseEvent.objects.filter(case_id=case["id"]).latest("id").ip == CLIENT
    stale = client.post(url, {**form, "request_id": str(uuid.uuid4())}, **PROXIED)
    assert stale.status_code == 409
    audit = AuditEvent.objects.get(action="case.comment")
    assert (audit.outcome, audit.actor_id, audit.ip) == ("conflict", station.pk, CLIENT)
    client.force_login(api_as("quanshan").user)
    assert client.post(url, form, **PROXIED).status_code == 404
    assert AuditEvent.objects.get(action="case.comment", outcome="not_found").actor_id != station.pk


def test_outside_a_request_there_is_no_address_and_the_sweeps_races_are_not_audited(flow):
    """The sweep, a task worker or the shell: no client, so no address; a system action losing the version race
    is the normal way of the sweep (it moves on), not an attempt to audit."""
    case = flow.report()
    assert CaseEvent.objects.get(case=case).ip is None
    with pytest.raises(StaleVersion):
        ACTION_SERVICES["supervise"](
            case=case, actor=None, expected_version=case.version + 5, request_id=uuid.uuid4(), level="normal"
        )
    assert not AuditEvent.objects.filter(action__startswith="case.").exists()
