"""Rollups equal the direct count after a randomised sequence of transitions through the real services.

Cases in two villages of 榜头镇 and in 鲤城街道, from several sources and domains, are pushed by whoever may act
on them (any allowed action, chosen at random, with a valid body) while the clock jumps forward and the sweep
runs. After every batch the rollups must equal a recount from the Case and CaseEvent rows, and the ORM's own
count per township and per grid."""

import random
import uuid
from datetime import timedelta

import pytest

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.permissions import allowed_actions, cases_visible_to, jurisdiction_of
from gridsafe.cases.services import ACTION_SERVICES, RETURN_REASONS, attachment_add, case_report
from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.cases.tests.helpers import at, jpeg_upload, village_grid
from gridsafe.core import clock
from gridsafe.core.errors import DomainError
from gridsafe.dashboards.periods import parse_period
from gridsafe.dashboards.rollups import direct_counts, rollups_diff, rollups_rebuild
from gridsafe.dashboards.selectors import region_report
from gridsafe.regions.models import Region

CATEGORIES = [
    "fire-ebike-indoor",
    "fire-escape-blocked",
    "rental-wiring",
    "lpg-no-inspection",
    "elevator-no-mark",
    "road-damaged",
    "fire-major",
    "lpg-illegal-filling",
]
SOURCES = ["hotline", "video", "department", "leader", "walk_in"]


def _actors():
    names = [
        "nanxi",
        "nanxi_worker",
        "quanshan",
        "bangtou",
        "bangtou_lead",
        "county",
        "county_lead",
        "fire",
        "fire_lead",
        "gas",
        "leader",
        "licheng_worker",
    ]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    extra = User.objects.filter(username__startswith="t350322101-") | User.objects.filter(
        username__in=["market-staff", "market-lead", "police-staff", "police-lead", "gas-lead"]
    )
    nanxi_station = users["nanxi"].unit_id
    extra |= User.objects.filter(unit_id=nanxi_station, role="station_officer")
    extra |= User.objects.filter(unit__code__startswith="centre-350322001") | User.objects.filter(
        unit__code__in=["safety-350322001", "construction-350322001"]
    )
    chengnei = users["licheng_worker"].unit_id
    extra |= User.objects.filter(unit_id=chengnei, role="station_officer")
    for user in extra:
        users.setdefault(user.username, user)
    return dict(sorted(users.items()))  # a fixed order: the same seed walks the same path on SQLite and PostgreSQL


def _body(rng, action, case, actor, visible_ids):
    now = clock.now()
    if action == "submit":
        att, _ = attachment_add(case=case, actor=actor, client_id=uuid.uuid4(), upload=jpeg_upload(), role="after")
        return {"method": "rectified", "measures": "已整改", "attachment_ids": [att.pk]}
    bodies = {
        "assign": {},
        "escalate": {"reason": "本级力量不能消除"},
        "dispatch": {},
        "start": {},
        "return": {"reason_code": rng.choice(list(RETURN_REASONS)), "reason": "退回"},
        "verify_pass": {"comment": "已整改"},
        "verify_fail": {"reason": "整改不到位"},
        "request_extension": {"requested_due": (case.due_at or now) + timedelta(days=3), "reason": "需采购设备"},
        "approve_extension": {},
        "reject_extension": {"reason": "理由不充分"},
        "suspend": {"reason": "需要资金", "review_date": (now + timedelta(days=10)).date()},
        "resume": {},
        "void": {"reason_code": "not_hazard", "reason": "现场无隐患"},
        "merge": {"master_id": rng.choice([i for i in visible_ids if i != case.pk] or [case.pk])},
        "transfer": {"external_body": "12345热线", "external_ref": f"GD-{case.pk}"},
        "reopen": {"reason": "回访未整改"},
        "supervise": {"level": rng.choice(["normal", "yellow", "red"]), "instruction": "请加快办理"},
        "reply_supervision": {"reply": "已安排处置"},
        "urge": {"comment": "请尽快处置"},
        "comment": {"comment": "备注"},
        "regrade": {"grade": "general" if case.grade == "major" else "major", "basis": "GB 35181-2025 第5.1条"},
        "request_info": {"reason": "请到现场核实"},
        "supply_info": {"answer": "已核实"},
        "assist_start": {},
        "assist_report": {"report": "协办已处置"},
        # 更正: another category, and now and then a point a kilometre or so away (another grid, perhaps another
        # desk: the rollups move with the case; outside the actor's 辖区 it is refused)
        "correct": {
            "reason": "更正",
            "category": rng.choice([c for c in CATEGORIES if c != case.category.code]),
            **(
                {"lon": case.lon + rng.uniform(-0.01, 0.01), "lat": case.lat + rng.uniform(-0.01, 0.01)}
                if rng.random() < 0.5
                else {}
            ),
        },
    }
    return bodies[action]


def _report(rng, users, points):
    who = rng.choice(["nanxi_worker", "nanxi_worker", "licheng_worker", "county", "leader"])
    actor = users[who]
    lon, lat = rng.choice(points[who])
    source = rng.choice(SOURCES) if who in ("county", "leader") else None
    case, _ = case_report(
        actor=actor,
        client_id=uuid.uuid4(),
        category_code=rng.choice(CATEGORIES),
        description="随机生成的隐患",
        lon=lon,
        lat=lat,
        source=source,
    )
    return case


@pytest.mark.parametrize("seed", [7, 2026])
def test_rollups_equal_direct_counts_after_random_transitions(seed, people):
    rng = random.Random(seed)
    users = _actors()
    nanxi_points = [(g.center_lon, g.center_lat) for g in users["nanxi_worker"].grids.order_by("code")]
    quanshan = village_grid("泉山村")
    licheng = [(g.center_lon, g.center_lat) for g in users["licheng_worker"].grids.order_by("code")]
    anywhere = nanxi_points + [(quanshan.center_lon, quanshan.center_lat)] + licheng
    points = {"nanxi_worker": nanxi_points, "licheng_worker": licheng, "county": anywhere, "leader": anywhere}
    t = at("2026-05-04 08:30")
    moves = {"ok": 0, "refused": 0}
    with clock.frozen(t):
        case_ids = [_report(rng, users, points).pk for _ in range(12)]
    for step in range(260):
        t += timedelta(minutes=rng.choice([5, 20, 60, 240, 900, 2000]))
        if step % 25 == 24:
            sweep_due_cases(now=t)
        with clock.frozen(t):
            if rng.random() < 0.08:
                case_ids.append(_report(rng, users, points).pk)
                continue
            case = Case.objects.get(pk=rng.choice(case_ids))
            options = []
            for actor in users.values():
                scope = jurisdiction_of(actor)  # the visibility rule of cases_visible_to, without a query
                if not (
                    scope.covers_path(case.region_path)
                    or (scope.department_id and case.department_id == scope.department_id)
                    or (scope.reporter_id and case.reporter_id == scope.reporter_id)
                ):
                    continue
                options += [(actor, action) for action in allowed_actions(actor, case)]
            if not options:
                continue
            # Prefer moves over flags so cases travel the whole loop.
            # The desk's side steps (退回核实, 更正) now and then.
            side = ("comment", "urge", "reply_supervision", "request_info", "correct")
            moving = [o for o in options if o[1] not in side]
            actor, action = rng.choice(options if rng.random() < 0.15 or not moving else moving)
            visible = list(cases_visible_to(actor).filter(pk__in=case_ids).order_by("pk").values_list("pk", flat=True))
            try:
                body = _body(rng, action, case, actor, visible)
                ACTION_SERVICES[action](
                    case=case, actor=actor, expected_version=case.version, request_id=uuid.uuid4(), **body
                )
                moves["ok"] += 1
            except DomainError:
                moves["refused"] += 1
        if step % 65 == 64:
            assert rollups_diff() == {"cells": [], "gauges": [], "watched": []}, f"drift after step {step}"
    sweep_due_cases(now=t + timedelta(days=30))
    assert moves["ok"] > 150, moves
    states = set(Case.objects.values_list("state", flat=True))
    assert "closed" in states and len(states) >= 3, states
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    assert len(kinds) >= 10, kinds
    assert rollups_diff() == {"cells": [], "gauges": [], "watched": []}
    for level in (1, 2, 3, 4):
        assert direct_counts(level=level) == []
    # The county report over all time agrees with a plain count of the case table.
    county = Region.objects.get(code="350322")
    report = region_report(county, parse_period("all"), children=False)
    assert report["counts"]["reported"] == Case.objects.count()
    assert report["counts"]["resolved"] == Case.objects.filter(closure="resolved").count()
    handled = (
        Case.objects.filter(state="pending_verification").count() + Case.objects.filter(closure="resolved").count()
    )
    assert report["counts"]["handled"] == handled
    # A rebuild from the events finds nothing to correct.
    assert rollups_rebuild() == {"cells": 0, "gauges": 0, "watched": 0}
    assert rollups_diff() == {"cells": [], "gauges": [], "watched": []}
