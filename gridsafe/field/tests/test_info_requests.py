"""退回核实/补充 in the field app (issue 14): the worker a desk asked finds it under 退回 as a task with an answer
form until they answer; a case from the hotline goes to a worker of its grid, who is not its reporter."""

import uuid

from gridsafe.cases.services import ACTION_SERVICES, case_report
from gridsafe.cases.tests.helpers import grid_point


def _act(case, actor, action, **fields):
    return ACTION_SERVICES[action](
        case=case, actor=actor, expected_version=case.version, request_id=uuid.uuid4(), **fields
    )


def _returned(api):
    response = api.get("/api/v1/field/sync")
    assert response.status_code == 200, response.content
    return response.json()["returned"]


def test_the_worker_asked_sees_a_task_until_answering(api_as, people):
    worker = people["nanxi_worker"]
    lon, lat = grid_point(worker)
    case, _ = case_report(
        actor=worker,
        client_id=uuid.uuid4(),
        category_code="fire-ebike-indoor",
        description="楼道充电",
        lon=lon,
        lat=lat,
    )
    case = _act(case, people["nanxi"], "request_info", reason="请补拍车辆数量")
    api = api_as("nanxi_worker")

    [task] = [m for m in _returned(api) if m["case"]["id"] == case.pk]
    assert (task["kind"], task["comment"], task["waiting"]) == ("case.info_requested", "请补拍车辆数量", True)

    answered = api.act(case.pk, "supply_info", case.version, answer="共3辆，已拍照")
    assert answered.status_code == 200, answered.content
    [task] = [m for m in _returned(api) if m["case"]["id"] == case.pk]
    assert task["waiting"] is False


def test_a_hotline_case_goes_back_to_a_worker_of_its_grid(api_as, people):
    worker = people["nanxi_worker"]
    lon, lat = grid_point(worker)
    case, _ = case_report(
        actor=people["nanxi"],
        client_id=uuid.uuid4(),
        category_code="fire-escape-blocked",
        description="市民来电：通道堵塞",
        lon=lon,
        lat=lat,
        source="hotline",
        channel="desk",
        caller_phone="13800000000",
    )
    case = _act(case, people["nanxi"], "request_info", reason="请到现场核实")
    assert case.with_worker_id == worker.pk
    [task] = [m for m in _returned(api_as("nanxi_worker")) if m["case"]["id"] == case.pk]
    assert task["waiting"] is True
    # Someone else's grid worker has no such task.
    assert not [m for m in _returned(api_as("licheng_worker")) if m["case"]["id"] == case.pk]
    # Once answered, the case is in the worker's 我的上报 with its timeline (not before: it is not her report).
    api = api_as("nanxi_worker")
    assert api.get(f"/api/v1/field/reports/{case.pk}").status_code == 404
    assert api.act(case.pk, "supply_info", case.version, answer="现场确有堵塞").status_code == 200
    listed = api.get("/api/v1/field/reports").json()
    assert case.pk in [r["id"] for r in listed["items"]]
    detail = api.get(f"/api/v1/field/reports/{case.pk}").json()
    assert "核实补充" in [line["kind_label"] for line in detail["timeline"]]
