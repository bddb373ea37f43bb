"""Races between real transactions on PostgreSQL: two people acting on one case with the same version, two
identical offline resends arriving together, a PWA retry racing its own first attempt.

SQLite serialises writers (one database lock; `transaction_mode=IMMEDIATE` takes it at BEGIN), so these races
cannot happen there and the file is skipped; CI runs the suite on PostgreSQL as well.

Isolation. These tests must commit (each thread has its own connection and sees only committed rows), so they
cannot use the rolled-back transaction of the `db` fixture. They use conftest's `committed_world` (a transactional
test database with the demo world committed); its teardown puts the world back from the session's `WorldSnapshot`
instead of flushing, so whatever rows a race left behind are gone before the next test."""

import threading
import uuid

import pytest
from django.db import connection, connections

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.permissions import get_case_for_user
from gridsafe.cases.services import ACTION_SERVICES, case_report
from gridsafe.cases.tests.helpers import NANXI, village_grid
from gridsafe.core.errors import StaleVersion

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so concurrent transactions cannot race (CI runs both)",
)


def _race(*calls):
    """Run each call in its own thread (own connection); all start together. Returns their results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = call(barrier)
        except Exception as exc:  # the test asserts on what each side got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung: a lock was never released"
    return results


def _report(client_id=None) -> Case:
    grid = village_grid(NANXI)
    case, _ = case_report(
        actor=User.objects.get(username="nanxi_worker"),
        client_id=client_id or uuid.uuid4(),
        category_code="fire-ebike-indoor",
        description="楼道内有电动车充电",
        lon=grid.center_lon,
        lat=grid.center_lat,
    )
    return case


def _act(username, case_id, action, version, request_id=None, **fields):
    """A thread's action: read the case as the actor, wait for the other thread, then act on what was read."""

    def call(barrier):
        user = User.objects.get(username=username)
        case = get_case_for_user(user, case_id)
        barrier.wait()
        return ACTION_SERVICES[action](
            case=case, actor=user, expected_version=version, request_id=request_id or uuid.uuid4(), **fields
        )

    return call


def test_two_officers_acting_on_the_same_version_one_wins_the_other_is_stale(committed_world):
    case = _report()
    second_officer = User.objects.get(username=f"v{village_grid(NANXI).parent.code}")  # 南溪村's other 站长

    results = _race(
        _act("nanxi", case.pk, "escalate", case.version, reason="本级力量不能消除"),
        _act(second_officer.username, case.pk, "assign", case.version),
    )

    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if isinstance(r, StaleVersion)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].status == 409 and lost[0].code == "stale_version"
    stored = Case.objects.get(pk=case.pk)
    assert stored.version == 2
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert len(kinds) == 2 and kinds[0] == "case.reported"
    # The row shows the winner's move and nothing of the loser's.
    if kinds[1] == "case.escalated":
        assert (stored.state, stored.level, stored.handler_id) == ("pending_review", 2, None)
    else:
        assert (kinds[1], stored.state, stored.level, stored.handler_id) == (
            "case.assigned",
            "handling",
            1,
            second_officer.pk,
        )


def test_two_escalations_of_the_same_version_move_the_case_one_tier_only(committed_world):
    case = _report()
    second_officer = User.objects.get(username=f"v{village_grid(NANXI).parent.code}")

    results = _race(
        _act("nanxi", case.pk, "escalate", case.version, reason="本级力量不能消除"),
        _act(second_officer.username, case.pk, "escalate", case.version, reason="需乡镇执法"),
    )

    assert sorted(type(r).__name__ for r in results) == ["Case", "StaleVersion"], results
    stored = Case.objects.get(pk=case.pk)
    assert (stored.level, stored.version) == (2, 2)
    assert CaseEvent.objects.filter(case=case, kind="case.escalated").count() == 1


def test_a_retry_racing_its_own_first_attempt_lands_once_and_both_get_the_case(committed_world):
    case = _report()
    request_id = uuid.uuid4()

    results = _race(
        _act("nanxi", case.pk, "escalate", case.version, request_id=request_id, reason="本级力量不能消除"),
        _act("nanxi", case.pk, "escalate", case.version, request_id=request_id, reason="本级力量不能消除"),
    )

    assert all(isinstance(r, Case) for r in results), results
    assert [(r.level, r.version) for r in results] == [(2, 2), (2, 2)]
    assert CaseEvent.objects.filter(case=case, kind="case.escalated").count() == 1


def test_two_identical_creates_at_once_make_one_case(committed_world):
    client_id = uuid.uuid4()

    def create(barrier):
        barrier.wait()
        return _report(client_id)

    results = _race(create, create)

    assert all(isinstance(r, Case) for r in results), results
    assert results[0].pk == results[1].pk
    assert Case.objects.filter(client_id=client_id).count() == 1
    assert CaseEvent.objects.filter(case_id=results[0].pk).count() == 1
