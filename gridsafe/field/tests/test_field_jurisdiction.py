"""Every field endpoint is scoped to the caller's 辖区: 李秀英 (a grid worker of 城内社区, 鲤城街道) asks for 王芳's
(南溪村, 榜头镇) records and gets exactly what she gets for records that do not exist — a 404 with the same body —
or, for lists, nothing of 南溪村. The registry below must name every operation of the field router."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridsafe.api import api
from gridsafe.cases.tests.helpers import report
from gridsafe.core import clock
from gridsafe.field.tests.conftest import jpeg
from gridsafe.field.tests.test_visits import visit_body

MISSING_UUID = "00000000-0000-4000-8000-000000000000"
MISSING_ID = 987654321


@pytest.fixture
def nanxi(api_as, field_world):
    """王芳's records: a patrol with a visit and a hazard, a photo, a publicity activity."""
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    patrol = worker.post(
        "/api/v1/field/patrols",
        {
            "client_id": str(uuid.uuid4()),
            "grid_code": grid.code,
            "started_at": (clock.now() - timedelta(minutes=10)).isoformat(),
        },
    ).json()
    visit = worker.post(
        "/api/v1/field/visits", visit_body(field_world["lpg"], fail={"L02"}, patrol=patrol["client_id"])
    )
    case = report(worker, point=(grid.center_lon, grid.center_lat)).json()
    photo = worker.upload(
        "/api/v1/field/photos",
        {
            "file": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
            "case_id": case["id"],
            "client_id": str(uuid.uuid4()),
        },
    ).json()
    publicity = worker.post(
        "/api/v1/field/publicity", {"client_id": str(uuid.uuid4()), "grid_code": grid.code, "title": "入户宣传"}
    ).json()
    return {
        "grid": grid,
        "place": field_world["lpg"],
        "patrol": patrol["client_id"],
        "visit": visit.json()["client_id"],
        "case": case,
        "photo": photo["attachment_id"],
        "publicity": publicity["client_id"],
    }


def _same_404(outsider, method, path_of, body_of=None, **kwargs):
    """Ask for 南溪村's thing and for a missing one; both must be the same 404."""

    def call(which):
        path = path_of(which)
        if method == "GET":
            return outsider.get(path)
        if method in ("PATCH", "PUT"):
            send = outsider.client.patch if method == "PATCH" else outsider.client.put
            return send(path, body_of(which), content_type="application/json", headers=outsider.headers)
        if kwargs.get("upload"):
            return outsider.upload(path, body_of(which))
        return outsider.post(path, body_of(which) if body_of else {})

    theirs, missing = call("theirs"), call("missing")
    assert theirs.status_code == missing.status_code == kwargs.get("status", 404), (theirs.content, missing.content)
    assert theirs.json() == missing.json()


def _photo(case_id):
    return {
        "file": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
        "case_id": case_id,
        "client_id": str(uuid.uuid4()),
    }


def _check(op, api_as, n):
    out = api_as("licheng_worker")
    pick = lambda theirs, missing: lambda which: theirs if which == "theirs" else missing  # noqa: E731
    patrol = pick(n["patrol"], MISSING_UUID)
    place = pick(n["place"].pk, MISSING_ID)
    if op == "field_week_for_worker":
        week = out.get("/api/v1/field/week").json()
        assert all(p["grid_code"] != n["grid"].code for p in week["places_due"] + week["places_overdue"])
        assert week["verification_tasks"] == [] and all(g["code"] != n["grid"].code for g in week["grids"])
    elif op == "field_sync_bundle":
        _same_404(
            out, "GET", lambda w: f"/api/v1/field/sync?grid={n['grid'].code if w == 'theirs' else '350322999999001'}"
        )
        bundle = out.get("/api/v1/field/sync").json()
        assert all(p["id"] != n["place"].pk for p in bundle["places"])
        assert all(c["id"] != n["case"]["id"] for c in bundle["open_cases"])
    elif op == "patrol_list_visible":
        assert out.get("/api/v1/field/patrols").json()["total"] == 0
    elif op == "patrol_start":
        _same_404(
            out,
            "POST",
            lambda w: "/api/v1/field/patrols",
            lambda w: {
                "client_id": str(uuid.uuid4()),
                "grid_code": n["grid"].code if w == "theirs" else "350322999999001",
            },
        )
    elif op == "patrol_detail":
        _same_404(out, "GET", lambda w: f"/api/v1/field/patrols/{patrol(w)}")
    elif op == "patrol_track_append":
        _same_404(out, "POST", lambda w: f"/api/v1/field/patrols/{patrol(w)}/track", lambda w: {"points": []})
    elif op == "patrol_track_view":
        _same_404(out, "GET", lambda w: f"/api/v1/field/patrols/{patrol(w)}/track")
    elif op == "patrol_end":
        _same_404(out, "POST", lambda w: f"/api/v1/field/patrols/{patrol(w)}/end", lambda w: {})
    elif op == "patrol_coverage":
        assert out.get("/api/v1/field/coverage").json()["grids"] == 1
    elif op == "report_list_for_reporter":
        assert out.get("/api/v1/field/reports").json()["total"] == 0
    elif op == "report_detail_for_reporter":
        case = pick(n["case"]["id"], MISSING_ID)
        _same_404(out, "GET", lambda w: f"/api/v1/field/reports/{case(w)}")
        _same_404(api_as("nanxi"), "GET", lambda w: f"/api/v1/field/reports/{case(w)}")  # sees it, did not report it
    elif op == "checklist_for_place":
        _same_404(out, "GET", lambda w: f"/api/v1/field/places/{place(w)}/checklist")
    elif op == "place_visit_record":
        body = visit_body(n["place"])
        _same_404(out, "POST", lambda w: "/api/v1/field/visits", lambda w: {**body, "place_id": place(w)})
    elif op == "place_visit_detail":
        _same_404(out, "GET", lambda w: f"/api/v1/field/visits/{n['visit'] if w == 'theirs' else MISSING_UUID}")
    elif op == "field_photo_add":
        _same_404(
            out,
            "POST",
            lambda w: "/api/v1/field/photos",
            lambda w: _photo(n["case"]["id"] if w == "theirs" else MISSING_ID),
            upload=True,
        )
    elif op == "field_photo_watermarked":
        _same_404(
            out, "GET", lambda w: f"/api/v1/field/photos/{n['photo'] if w == 'theirs' else MISSING_ID}/watermarked"
        )
    elif op == "case_list_nearby":
        near = out.get("/api/v1/field/nearby", category="fire-ebike-indoor", lon=n["case"]["lon"], lat=n["case"]["lat"])
        assert near.status_code == 200 and near.json() == []
    elif op == "publicity_list_visible":
        assert out.get("/api/v1/field/publicity").json()["total"] == 0
    elif op == "publicity_record":
        _same_404(
            out,
            "POST",
            lambda w: "/api/v1/field/publicity",
            lambda w: {
                "client_id": str(uuid.uuid4()),
                "title": "宣传",
                "grid_code": n["grid"].code if w == "theirs" else "350322999999001",
            },
        )
    elif op == "publicity_photo_add":
        _same_404(
            out,
            "POST",
            lambda w: f"/api/v1/field/publicity/{n['publicity'] if w == 'theirs' else MISSING_UUID}/photos",
            lambda w: {
                "file": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
                "client_id": str(uuid.uuid4()),
            },
            upload=True,
        )
    elif op == "place_list_visible":
        listed = out.get("/api/v1/field/places").json()["items"]
        assert all(p["id"] != n["place"].pk for p in listed)
        assert out.get("/api/v1/field/places", grid=n["grid"].code).json()["total"] == 0
    elif op == "place_create":
        body = {"name": "x", "kind": "other", "domain": "fire", "lon": n["place"].lon, "lat": n["place"].lat}
        _same_404(
            out,
            "POST",
            lambda w: "/api/v1/field/places",
            lambda w: {
                **body,
                "client_id": str(uuid.uuid4()),
                "grid_code": n["grid"].code if w == "theirs" else "350322999999001",
            },
            status=422,
        )
    elif op == "place_detail":
        _same_404(out, "GET", lambda w: f"/api/v1/field/places/{place(w)}")
    elif op == "place_update":
        _same_404(
            out,
            "PATCH",
            lambda w: f"/api/v1/field/places/{place(w)}",
            lambda w: {"request_id": str(uuid.uuid4()), "base_version": 1, "changes": {"name": "x"}},
        )
    elif op == "place_contact_reveal":
        _same_404(out, "POST", lambda w: f"/api/v1/field/places/{place(w)}/contact", lambda w: {})
    elif op == "place_register":
        _same_404(out, "GET", lambda w: f"/api/v1/field/places/{place(w)}/register")
    elif op == "place_facts_save":
        _same_404(
            out, "PUT", lambda w: f"/api/v1/field/places/{place(w)}/facts", lambda w: {"values": {"role": "restaurant"}}
        )
    elif op == "risk_point_create":
        body = {"name": "后厨", "grade": "red", "control_measures": "专人管理"}
        _same_404(out, "POST", lambda w: f"/api/v1/field/places/{place(w)}/risk-points", lambda w: body)
    elif op == "cylinder_add":
        _same_404(out, "POST", lambda w: f"/api/v1/field/places/{place(w)}/cylinders", lambda w: {"seal_code": "XY-1"})
    else:
        raise AssertionError(f"no jurisdiction check for {op}")


REGISTRY = [
    "field_week_for_worker",
    "field_sync_bundle",
    "patrol_list_visible",
    "patrol_start",
    "patrol_detail",
    "patrol_track_append",
    "patrol_track_view",
    "patrol_end",
    "patrol_coverage",
    "report_list_for_reporter",
    "report_detail_for_reporter",
    "checklist_for_place",
    "place_visit_record",
    "place_visit_detail",
    "field_photo_add",
    "field_photo_watermarked",
    "case_list_nearby",
    "publicity_list_visible",
    "publicity_record",
    "publicity_photo_add",
    "place_list_visible",
    "place_create",
    "place_detail",
    "place_update",
    "place_contact_reveal",
    "place_register",
    "place_facts_save",
    "risk_point_create",
    "cylinder_add",
]


def test_registry_names_every_field_operation():
    schema = api.get_openapi_schema()
    ops = {
        op["operationId"]
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/field")
        for op in methods.values()
    }
    assert ops == set(REGISTRY)


def test_out_of_jurisdiction_is_the_same_404_as_missing(api_as, nanxi):
    """One test, a check per operation: 王芳's records are made once and shared, since a request from outside her
    辖区 changes nothing (making them for each of 30 operations was most of this file's time). Every failing
    operation is reported, not just the first."""
    failures = []
    for op in REGISTRY:
        try:
            _check(op, api_as, nanxi)
        except AssertionError as exc:
            failures.append(f"{op}: {exc}")
    assert not failures, "\n".join(failures)
