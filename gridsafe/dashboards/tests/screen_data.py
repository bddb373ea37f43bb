"""A month of varied hazard cases across the county, pushed through the real services: enough for the big screen
and the dashboards to show every kind of figure (reports from several sources, handled, resolved, overdue, red
cards). Deterministic for a seed."""

import random
import uuid
from datetime import timedelta

from gridsafe.accounts.models import Role, User
from gridsafe.cases.services import ACTION_SERVICES, attachment_add, case_report
from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.cases.tests.helpers import jpeg_upload
from gridsafe.core import clock
from gridsafe.regions.models import Region

CATEGORIES = [
    "fire-ebike-indoor",
    "fire-escape-blocked",
    "fire-extinguisher",
    "rental-wiring",
    "rental-overcrowded",
    "lpg-no-inspection",
    "lpg-basement",
    "fireworks-stored-home",
    "venue-exit",
    "elevator-no-mark",
    "road-damaged",
    "road-signs",
]


def _act(action, case, actor, **body):
    return ACTION_SERVICES[action](
        case=case, actor=actor, expected_version=case.version, request_id=uuid.uuid4(), **body
    )


def seed_screen_cases(*, cases: int = 60, seed: int = 350322, days: int = 25) -> int:
    rng = random.Random(seed)
    now = clock.now()
    grids = list(Region.objects.filter(level=4).order_by("code"))
    county = User.objects.get(username="county")
    county_lead = User.objects.get(username="county_lead")
    made = 0
    for _ in range(cases):
        grid = rng.choice(grids)
        village = grid.path.rsplit(".", 1)[0]
        worker = User.objects.filter(grids=grid, role=Role.GRID_WORKER).first()
        officer = User.objects.filter(unit__region__path=village, role=Role.STATION_OFFICER).order_by("pk").first()
        at = now - timedelta(days=rng.uniform(0.1, days))
        external = worker is None or rng.random() < 0.3
        reporter = county if external else worker
        with clock.frozen(at):
            case, _ = case_report(
                actor=reporter,
                client_id=uuid.uuid4(),
                category_code=rng.choice(CATEGORIES),
                description="大屏演示隐患",
                lon=grid.center_lon,
                lat=grid.center_lat,
                source=rng.choice(["hotline", "video", "department"]) if external else None,
            )
        made += 1
        if officer is None or case.level != 1 or rng.random() < 0.3:
            continue
        with clock.frozen(at + timedelta(minutes=30)):
            case = _act("assign", case, officer)
        if rng.random() < 0.35:
            continue
        with clock.frozen(at + timedelta(hours=3)):
            photo, _ = attachment_add(
                case=case, actor=officer, client_id=uuid.uuid4(), upload=jpeg_upload(), role="after"
            )
            case = _act("submit", case, officer, method="rectified", measures="已整改", attachment_ids=[photo.pk])
        if worker is not None and rng.random() < 0.7:
            with clock.frozen(at + timedelta(hours=6)):
                case = _act("verify_pass", case, worker, comment="现场核查已整改")
    sweep_due_cases(now=now)
    for case in _open_overdue()[:3]:
        _act("supervise", case, county_lead, level="red", instruction="限期整改")
    return made


def _open_overdue():
    from gridsafe.cases.models import Case

    return list(Case.objects.filter(state__in=["pending_review", "handling"], alert_stage__gte=2).order_by("pk"))
