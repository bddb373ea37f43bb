"""定级 (domain.md §6): a grid worker's 重大 is only a proposal that sends the case to the township; an officer there
(or the department holding the case) confirms it with its 判定依据, and from then on the case is 重大 everywhere:
its timeline, the dashboards' counts, and who may close it."""

from gridsafe.dashboards.models import Scope, StatGauge
from gridsafe.dashboards.rollups import rollups_diff

BASIS = "GB 35181-2025 第5.1条：人员密集场所疏散通道堵塞"


def _major_open(node: int) -> int:
    gauges = StatGauge.objects.filter(scope=Scope.REGION, node=node)
    return sum(g.major_open for g in gauges)


def test_a_workers_major_proposal_is_confirmed_by_the_township(flow, as_user):
    worker, bangtou = as_user("nanxi_worker"), as_user("bangtou")
    proposed = flow.report(severity="major")
    assert (proposed.grade, proposed.level) == ("general", 2)  # a proposal: sent up, not graded
    case = bangtou.get(f"/api/v1/cases/{proposed.pk}").json()
    assert "regrade" in case["allowed_actions"]
    assert "regrade" not in worker.get(f"/api/v1/cases/{proposed.pk}").json()["allowed_actions"]
    county_before = _major_open(350322)

    refused = worker.act(proposed.pk, "regrade", case["version"], grade="major", basis=BASIS)
    confirmed = bangtou.act(proposed.pk, "regrade", case["version"], grade="major", basis=BASIS)

    assert refused.status_code == 403
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert (body["grade"], body["state"], body["level"], body["version"]) == ("major", "pending_review", 2, 2)
    assert body["due_at"] == case["due_at"]  # the current step's deadline stands
    event = body["events"][-1]
    assert (event["kind"], event["kind_label"], event["comment"]) == ("case.regraded", "定级", BASIS)
    assert event["payload"] == {"from": "general", "to": "major", "basis": BASIS}
    assert _major_open(350322) == county_before + 1
    assert rollups_diff() == {"cells": [], "gauges": [], "watched": []}


def test_a_grade_needs_its_basis_and_must_change_something(flow, as_user):
    bangtou = as_user("bangtou")
    case = flow.pending_review_l2()

    without_basis = bangtou.act(case.pk, "regrade", case.version, grade="major", basis="  ")
    same_grade = bangtou.act(case.pk, "regrade", case.version, grade="general", basis=BASIS)

    assert without_basis.status_code == 422 and "判定依据" in without_basis.json()["detail"]
    assert same_grade.status_code == 422 and "已是" in same_grade.json()["detail"]
    assert bangtou.get(f"/api/v1/cases/{case.pk}").json()["version"] == case.version


def test_a_village_station_does_not_grade(flow, as_user):
    nanxi = as_user("nanxi")
    case = flow.report()
    assert case.level == 1
    assert nanxi.act(case.pk, "regrade", case.version, grade="major", basis=BASIS).status_code == 403


def test_once_major_only_the_departments_lead_closes_it(flow, as_user):
    case = flow.pending_verification()
    flow.act(case, "regrade", "fire", grade="major", basis=BASIS)
    fresh = as_user("county_lead").get(f"/api/v1/cases/{case.pk}").json()
    assert fresh["grade"] == "major"
    assert "verify_pass" not in fresh["allowed_actions"]  # the county centre no longer closes it (销号)


def test_the_worker_who_proposed_major_hears_the_decision(flow, people, as_user):
    from gridsafe.notifications.models import Notification

    proposed = flow.report(severity="major")
    answer = as_user("bangtou").act(proposed.pk, "regrade", proposed.version, grade="major", basis=BASIS)
    assert answer.status_code == 200, answer.content

    told = Notification.objects.filter(case=proposed, user=people["nanxi_worker"], kind="regraded")
    assert told.count() == 1
    assert "定级" in told.get().title and BASIS in told.get().body
    assert not Notification.objects.filter(case=proposed, user=people["bangtou"], kind="regraded").exists()
