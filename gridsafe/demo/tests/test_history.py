"""The demo's year of cases: every state and closure occurs, the article's 榜头 fire module is near its 89 %, every
timeline starts with the report, nobody verifies their own work, and the same seed gives the same history.

Generating even a small history runs several hundred real service calls, so one test generates it once and checks
it from every side (the helpers below); the planner's own tests need no database."""

import uuid
from collections import Counter

import pytest

from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.demo.history import generate_history, module_figures, plan_history, township_grids

CASES = 120
SEED = 20171225


@pytest.mark.django_db
def test_small_history():
    made = generate_history(cases=CASES, seed=SEED, progress=lambda _msg: None)
    _covers_the_whole_loop(made)
    _every_timeline_is_a_valid_hash_chain()
    _bangtou_fire_module_rate_is_the_articles()
    _timelines_start_with_the_report_and_nobody_verifies_their_own_work()
    _same_seed_same_history()


def _every_timeline_is_a_valid_hash_chain():
    from gridsafe.cases.chain import case_chains_verify

    report = case_chains_verify()
    assert report.problems == [] and report.cases == CASES


def _observed() -> list[tuple[str, str, str]]:
    return list(Case.objects.order_by("id").values_list("category__code", "state", "closure"))


def _covers_the_whole_loop(made):
    assert made == CASES == Case.objects.count()

    states = Counter(Case.objects.values_list("state", flat=True))
    for state in ("pending_review", "dispatched", "handling", "suspended", "pending_verification", "closed"):
        assert states[state] >= 1, (state, states)
    pending_levels = set(Case.objects.filter(state="pending_review").values_list("level", flat=True))
    assert pending_levels == {1, 2, 3}
    closures = Counter(Case.objects.filter(state="closed").values_list("closure", flat=True))
    for closure in ("resolved", "invalid", "duplicate", "transferred"):
        assert closures[closure] >= 1, (closure, closures)
    assert closures["resolved"] == max(closures.values())  # resolved most

    assert Case.objects.filter(rework_count__gte=1, closure="resolved").exists()
    assert Case.objects.filter(reopen_count__gte=1).exists()
    assert Case.objects.filter(extension_count__gte=1).exists()
    assert Case.objects.filter(misdispatch_count__gte=1).exists()
    assert Case.objects.filter(closure="duplicate", master__isnull=False).exists()
    assert Case.objects.exclude(overdue_steps=[]).exists()  # steps left late froze their facts
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    for kind in (
        EventKind.CASE_URGED,
        EventKind.CASE_SUPERVISED,
        EventKind.SUPERVISION_REPLIED,
        EventKind.CASE_RETURNED,
        EventKind.EXTENSION_APPROVED,
        EventKind.EXTENSION_REJECTED,
        EventKind.CASE_SUSPENDED,
        EventKind.CASE_RESUMED,
        EventKind.CASE_REWORK,
        EventKind.CASE_REOPENED,
        EventKind.CASE_OVERDUE,  # the sweep ran at the real now
    ):
        assert kind in kinds, kind
    manual = CaseEvent.objects.filter(kind=EventKind.CASE_SUPERVISED, actor__isnull=False)
    assert manual.exists()  # 督办 by a leader or a higher centre, not only the sweep's

    # 重大 cases close only by 销号: a department lead, after a submit carrying the 五落实 record.
    for case in Case.objects.filter(grade="major", closure="resolved"):
        verified = case.events.filter(kind=EventKind.CASE_VERIFIED).last()
        assert verified.actor.role == "dept_lead" and verified.actor.unit_id == case.department_id
        submitted = case.events.filter(kind=EventKind.CASE_SUBMITTED).last()
        assert set(submitted.payload["five_implementations"]) == {
            "measures",
            "responsibility",
            "funds",
            "deadline",
            "plan",
        }


def _bangtou_fire_module_rate_is_the_articles():
    fire = module_figures(domain="fire")
    assert fire["entries"] == round(565 * CASES / 3000)
    assert fire["excluded"] == 0
    assert fire["handled"] == round(fire["entries"] * 503 / 565)  # 处置: submitted and standing (dashboards)
    assert 0.82 <= fire["rate"] <= 0.95, fire
    road = module_figures(domain="road")
    assert road["entries"] == round(208 * CASES / 3000)
    assert 0.8 <= road["rate"] <= 1.0, road


def _timelines_start_with_the_report_and_nobody_verifies_their_own_work():
    events: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.order_by("id"):  # the order the services wrote them
        events.setdefault(event.case_id, []).append(event)
    assert set(events) == set(Case.objects.values_list("id", flat=True))
    for case_id, timeline in events.items():
        assert timeline[0].kind == EventKind.CASE_REPORTED, case_id
        times = [e.created_at for e in timeline]
        assert times == sorted(times), case_id  # back-dated instants only move forward within a case
        last_submitter = None
        for event in timeline:
            if event.kind == EventKind.CASE_SUBMITTED:
                last_submitter = event.actor_id
            elif event.kind in (EventKind.CASE_VERIFIED, EventKind.CASE_REWORK):
                assert last_submitter is not None and event.actor_id != last_submitter, case_id


def _same_seed_same_history():
    """Two plans from one seed are equal, and the run ends every case exactly as its plan says, so a rerun in a
    fresh database (another test's rollback scope) gives the same (category, state, closure) sequence."""
    grids = township_grids()
    plan = plan_history(cases=CASES, seed=SEED, grids=grids)
    assert plan == plan_history(cases=CASES, seed=SEED, grids=grids)
    assert plan != plan_history(cases=CASES, seed=SEED + 1, grids=grids)
    assert _observed() == [(p.category, *p.expected) for p in plan]
    assert list(Case.objects.order_by("id").values_list("client_id", flat=True)) == [
        uuid.UUID(p.client_id) for p in plan
    ]


def test_plan_scales_the_article_figures():
    grids = {"350322101": ["350322101201001"], "350322001": ["350322001001001", "350322001001002"]}
    plan = plan_history(cases=3000, seed=350322, grids=grids)
    fire = [p for p in plan if p.quota == "bangtou-fire"]
    road = [p for p in plan if p.quota == "bangtou-road"]
    handled = ("resolved", "pending_verification")  # 处置: rectification submitted and standing
    assert len(fire) == 565 and sum(p.outcome in handled for p in fire) == 503
    assert len(road) == 208 and sum(p.outcome in handled for p in road) == 192
    assert sum(p.outcome == "resolved" for p in fire) >= 490  # most of them verified and closed
    assert all(p.domain == "fire" for p in fire) and all(p.domain == "road" for p in road)
    assert [p.day_offset for p in plan] == sorted((p.day_offset for p in plan), reverse=True)  # oldest first
