"""Patrols (巡查): start, GPS track (idempotent by seq), end with "已巡查无隐患", weekly coverage, and who may see
a track (行踪轨迹: the worker and their supervisors; everyone else gets the 404 of a missing patrol)."""

import uuid
from datetime import timedelta

from gridsafe.core import clock
from gridsafe.core.models import AuditEvent
from gridsafe.field.models import Patrol, PatrolRule, TrackPoint
from gridsafe.field.services import patrol_tracks_purge


def _start(api, grid, **extra):
    body = {"client_id": str(uuid.uuid4()), "grid_code": grid.code, **extra}
    return api.post("/api/v1/field/patrols", body), body


def _points(grid, first=0, n=3, start=None, dlon=0.0):
    start = start or clock.now()
    return [
        {
            "seq": first + i,
            "lon": grid.center_lon + dlon + i * 0.0001,
            "lat": grid.center_lat,
            "accuracy_m": 8,
            "recorded_at": (start + timedelta(seconds=30 * i)).isoformat(),
        }
        for i in range(n)
    ]


def test_patrol_start_track_end_and_coverage(api_as, people, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    started, body = _start(worker, grid, started_at=(clock.now() - timedelta(minutes=5)).isoformat())
    assert started.status_code == 201, started.content
    patrol = started.json()
    assert patrol["status"] == "active" and patrol["grid_code"] == grid.code

    again = worker.post("/api/v1/field/patrols", body)  # the phone resends the start
    assert again.status_code == 200 and again.json()["id"] == patrol["id"]
    other = worker.post("/api/v1/field/patrols", {**body, "grid_code": field_world["grids"][1].code})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    second, _ = _start(worker, field_world["grids"][1])  # one open patrol at a time
    assert second.status_code == 409 and second.json()["code"] == "patrol_active"

    url = f"/api/v1/field/patrols/{patrol['client_id']}"
    points = _points(grid, start=clock.now() - timedelta(minutes=4))
    first = worker.post(f"{url}/track", {"points": points})
    assert first.json() == {"accepted": 3, "duplicates": 0, "outside_patrol": 0, "point_count": 3}
    resent = worker.post(f"{url}/track", {"points": points + _points(grid, first=3, n=2, start=clock.now())})
    assert resent.json() == {"accepted": 2, "duplicates": 3, "outside_patrol": 0, "point_count": 5}
    moved = [{**points[0], "lon": points[0]["lon"] + 0.01}]
    assert worker.post(f"{url}/track", {"points": moved}).status_code == 409
    early = _points(grid, first=10, n=1, start=clock.now() - timedelta(hours=3))  # before the patrol: never stored
    assert worker.post(f"{url}/track", {"points": early}).json()["outside_patrol"] == 1
    far = _points(grid, first=11, n=1, dlon=0.05)  # ~5 km east: flagged, still stored
    worker.post(f"{url}/track", {"points": far})
    assert TrackPoint.objects.get(patrol_id=patrol["id"], seq=11).flags == ["outside_own_grid"]

    coverage = worker.get("/api/v1/field/coverage").json()
    assert coverage["covered"] == 0  # an open patrol does not count yet
    ended = worker.post(f"{url}/end", {"nothing_found": True, "note": "已巡查无隐患"})
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == "ended" and ended.json()["nothing_found"] is True
    assert ended.json()["distance_m"] > 0
    assert worker.post(f"{url}/end", {"nothing_found": True, "note": "已巡查无隐患"}).status_code == 200
    assert worker.post(f"{url}/end", {"nothing_found": False}).status_code == 409

    # Five minutes and a few metres: short of the county's rule (20 minutes, 500 m inside the grid), not 已巡查.
    assert ended.json()["counts_for_coverage"] is False
    assert "不足 20 分钟" in ended.json()["coverage_reason"] and "不足 500 米" in ended.json()["coverage_reason"]
    coverage = worker.get("/api/v1/field/coverage").json()
    assert (coverage["grids"], coverage["covered"]) == (2, 0)
    week = worker.get("/api/v1/field/week").json()
    assert [(g["patrolled"], g["short_patrols"]) for g in week["grids"]] == [(False, 1), (False, 0)]

    walked = _walk(worker, grid, minutes=28)
    assert walked["counts_for_coverage"] is True, walked["coverage_reason"]
    assert walked["in_grid_minutes"] >= 20 and walked["in_grid_distance_m"] >= 500
    coverage = worker.get("/api/v1/field/coverage").json()
    assert (coverage["grids"], coverage["covered"]) == (2, 1)
    week = worker.get("/api/v1/field/week").json()
    assert [g["patrolled"] for g in week["grids"]] == [True, False]
    assert week["grids"][0]["nothing_found"] is True and week["grids"][0]["patrols"] == 1
    station = api_as("nanxi").get("/api/v1/field/coverage").json()
    assert station["covered"] == 1 and station["grids"] >= 2


def _walk(worker, grid, *, minutes, outside=False, note="已巡查无隐患"):
    """A patrol of `minutes`, walking back and forth ~200 m (outside=True: 5 km east of the grid), ended now."""
    start = clock.now() - timedelta(minutes=minutes)
    started, _ = _start(worker, grid, started_at=start.isoformat())
    url = f"/api/v1/field/patrols/{started.json()['client_id']}"
    n = 12
    points = [
        {
            "seq": i,
            "lon": grid.center_lon + (0.05 if outside else 0) + (0.002 if i % 2 else 0),
            "lat": grid.center_lat,
            "accuracy_m": 8,
            "recorded_at": (start + timedelta(minutes=minutes * i / n)).isoformat(),
        }
        for i in range(n)
    ]
    assert worker.post(f"{url}/track", {"points": points}).json()["accepted"] == n
    ended = worker.post(f"{url}/end", {"nothing_found": True, "note": note})
    assert ended.status_code == 200, ended.content
    return ended.json()


def test_a_patrol_counts_only_when_it_meets_the_countys_rule(api_as, field_world):
    """3 seconds and one point is not 已巡查; a long walk outside the grid is not either; the county's rule is
    data (PatrolRule, edited in the admin) and the result is stored on the patrol when it ends."""
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    started, _ = _start(worker, grid, started_at=(clock.now() - timedelta(seconds=3)).isoformat())
    url = f"/api/v1/field/patrols/{started.json()['client_id']}"
    worker.post(f"{url}/track", {"points": _points(grid, n=1, start=clock.now() - timedelta(seconds=2))})
    blink = worker.post(f"{url}/end", {"nothing_found": True}).json()
    assert blink["counts_for_coverage"] is False and blink["in_grid_distance_m"] == 0

    away = _walk(worker, grid, minutes=40, outside=True)
    assert away["counts_for_coverage"] is False and away["in_grid_distance_m"] == 0
    assert "网格内里程 0 米" in away["coverage_reason"]
    assert worker.get("/api/v1/field/coverage").json()["covered"] == 0

    PatrolRule.objects.create(min_minutes=5, min_distance_m=100)  # a county that asks less
    short = _walk(worker, grid, minutes=8)
    assert short["counts_for_coverage"] is True and short["coverage_reason"].startswith("计入覆盖")
    assert Patrol.objects.get(pk=blink["id"]).counts_for_coverage is False  # the rule does not rewrite the past
    assert worker.get("/api/v1/field/coverage").json()["covered"] == 1
    bundle = worker.get("/api/v1/field/sync").json()
    assert (bundle["settings"]["patrol_min_minutes"], bundle["settings"]["patrol_min_distance_m"]) == (5, 100)


def test_late_track_points_of_an_ended_patrol_are_judged_again(api_as, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    start = clock.now() - timedelta(minutes=30)
    started, _ = _start(worker, grid, started_at=start.isoformat())
    url = f"/api/v1/field/patrols/{started.json()['client_id']}"
    assert worker.post(f"{url}/end", {"nothing_found": True}).json()["counts_for_coverage"] is False
    points = [
        {
            "seq": i,
            "lon": grid.center_lon + (0.002 if i % 2 else 0),
            "lat": grid.center_lat,
            "accuracy_m": 8,
            "recorded_at": (start + timedelta(minutes=2.5 * i)).isoformat(),
        }
        for i in range(12)
    ]
    worker.post(f"{url}/track", {"points": points})  # the batch refused earlier, retried after the end
    assert worker.get(url).json()["counts_for_coverage"] is True


def test_only_the_worker_starts_patrols_in_their_own_grids(api_as, field_world):
    worker = api_as("nanxi_worker")
    response, _ = _start(worker, field_world["other_grid"])
    assert response.status_code == 404
    response, _ = _start(api_as("nanxi"), field_world["grids"][0])
    assert response.status_code == 403


def test_track_is_visible_to_the_worker_and_supervisors_only(api_as, people, field_world):
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    started, _ = _start(worker, grid, started_at=(clock.now() - timedelta(minutes=5)).isoformat())
    client_id = started.json()["client_id"]
    worker.post(
        f"/api/v1/field/patrols/{client_id}/track", {"points": _points(grid, start=clock.now() - timedelta(minutes=4))}
    )
    url = f"/api/v1/field/patrols/{client_id}/track"

    own = worker.get(url)
    assert own.status_code == 200 and len(own.json()["points"]) == 3 and own.json()["retention_days"] == 90
    assert not AuditEvent.objects.filter(action="patrol.track_viewed").exists()  # one's own track: no audit

    for supervisor in ("nanxi", "bangtou", "bangtou_lead"):  # the village station and the township centre
        seen = api_as(supervisor).get(url)
        assert seen.status_code == 200, (supervisor, seen.content)
        assert len(seen.json()["points"]) == 3
    assert AuditEvent.objects.filter(action="patrol.track_viewed", target=f"patrol:{client_id}").count() == 3

    missing = api_as("licheng_worker").get(f"/api/v1/field/patrols/{uuid.uuid4()}/track")
    for outsider in ("licheng_worker", "quanshan", "county", "fire"):
        denied = api_as(outsider).get(url)
        assert denied.status_code == 404, outsider
        assert denied.json() == missing.json()  # the same body as a patrol that does not exist

    # A supervisor looks but never writes.
    assert api_as("nanxi").post(f"/api/v1/field/patrols/{client_id}/end", {}).status_code == 403
    listed = api_as("nanxi").get("/api/v1/field/patrols").json()
    assert [p["client_id"] for p in listed["items"]] == [client_id]
    assert api_as("licheng_worker").get("/api/v1/field/patrols").json()["total"] == 0


def test_nothing_found_is_refused_when_the_patrol_found_hazards(api_as, field_world):
    from gridsafe.field.tests.test_visits import visit_body

    worker = api_as("nanxi_worker")
    started, _ = _start(worker, field_world["grids"][0], started_at=(clock.now() - timedelta(minutes=5)).isoformat())
    client_id = started.json()["client_id"]
    body = visit_body(field_world["lpg"], fail={"L02"}, patrol=client_id)
    assert worker.post("/api/v1/field/visits", body).status_code == 201
    refused = worker.post(f"/api/v1/field/patrols/{client_id}/end", {"nothing_found": True})
    assert refused.status_code == 422 and "已发现隐患" in refused.json()["detail"]
    assert worker.post(f"/api/v1/field/patrols/{client_id}/end", {"nothing_found": False}).status_code == 200


def test_tracks_are_purged_after_the_retention_period(api_as, settings, field_world):
    settings.GRIDSAFE_TRACK_RETENTION_DAYS = 30
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    started, _ = _start(worker, grid, started_at=(clock.now() - timedelta(minutes=5)).isoformat())
    client_id = started.json()["client_id"]
    worker.post(
        f"/api/v1/field/patrols/{client_id}/track", {"points": _points(grid, start=clock.now() - timedelta(minutes=4))}
    )
    worker.post(f"/api/v1/field/patrols/{client_id}/end", {"nothing_found": True})
    assert patrol_tracks_purge(now=clock.now() + timedelta(days=29)) == 0
    assert patrol_tracks_purge(now=clock.now() + timedelta(days=31)) == 3
    patrol = Patrol.objects.get(client_id=client_id)
    assert patrol.track_purged_at is not None and patrol.point_count == 3  # the summary stays
    assert worker.get(f"/api/v1/field/patrols/{client_id}/track").json()["points"] == []


def test_a_supervisors_track_view_is_audited_with_the_forwarded_client_address(api_as, settings, field_world):
    """Behind one trusted proxy (nginx) the audit row names the client from X-Forwarded-For, not 127.0.0.1."""
    settings.GRIDSAFE_PROXY_COUNT = 1
    worker = api_as("nanxi_worker")
    grid = field_world["grids"][0]
    started, _ = _start(worker, grid, started_at=(clock.now() - timedelta(minutes=5)).isoformat())
    client_id = started.json()["client_id"]
    url = f"/api/v1/field/patrols/{client_id}/track"
    worker.post(url, {"points": _points(grid, start=clock.now() - timedelta(minutes=4))})
    supervisor = api_as("nanxi")
    seen = supervisor.client.get(
        url, headers={**supervisor.headers, "X-Forwarded-For": "203.0.113.7"}, REMOTE_ADDR="127.0.0.1"
    )
    assert seen.status_code == 200, seen.content
    audit = AuditEvent.objects.get(action="patrol.track_viewed", target=f"patrol:{client_id}")
    assert (audit.actor_id, audit.ip, audit.outcome) == (supervisor.user.pk, "203.0.113.7", "success")
