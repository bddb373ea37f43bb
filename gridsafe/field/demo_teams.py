"""The patrol teams' (巡逻队) recent walks for the demo: each team walks a few of the grids it covers every week, so
the 巡逻队 pages (dashboards/teams.py) and the township centres' patrol lists show the teams at work. Deterministic;
a second run adds nothing. Bulk inserts as in demo_history, each walk judged by the county's PatrolRule."""

import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.core import clock
from gridsafe.field.demo import NS, _points_in
from gridsafe.field.demo_history import save_patrols
from gridsafe.field.models import Patrol, PatrolRule, PatrolStatus
from gridsafe.regions.coords import haversine_m

TEAM_WEEKS = 8  # this many weeks back, and this week so far
TEAM_WALKS = 3  # walks per team per week
POINTS = 9


def seed_team_patrols(*, seed: int = 350322) -> int:
    marker = uuid.uuid5(NS, "team-patrols")
    if Patrol.objects.filter(client_id=marker).exists():
        return 0
    rng = random.Random(seed + 13)
    now = clock.now()
    rule = PatrolRule.current()
    retention = timedelta(days=settings.GRIDSAFE_TRACK_RETENTION_DAYS)
    local = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = local - timedelta(days=local.weekday())
    patrols: list[Patrol] = []
    tracks: dict[int, list[dict]] = {}
    for team in Unit.objects.filter(kind=UnitKind.TEAM, is_active=True).order_by("code"):
        members = list(User.objects.filter(unit=team, role=Role.PATROL_MEMBER, is_active=True).order_by("username"))
        grids = list(team.coverage.filter(is_active=True).order_by("path"))
        if not members or not grids:
            continue
        for weeks_ago in range(TEAM_WEEKS, -1, -1):
            for n in range(TEAM_WALKS):
                start = (
                    monday
                    - timedelta(weeks=weeks_ago)
                    + timedelta(days=rng.randint(0, 5), hours=rng.randint(8, 16), minutes=rng.randint(0, 59))
                )
                short = rng.random() < 0.05
                minutes = rng.randint(3, 8) if short else rng.randint(30, 80)
                end = start + timedelta(minutes=minutes)
                if end > now - timedelta(minutes=30):
                    continue  # not walked yet
                grid, member = rng.choice(grids), rng.choice(members)
                fallback = (grid.center_lon, grid.center_lat)
                path = _points_in(grid.geometry, rng, fallback, 2 if short else POINTS)
                gap = (end - start) / max(len(path) - 1, 1)
                fixes = [
                    {"seq": i, "lon": lon, "lat": lat, "accuracy_m": 8.0, "at": start + gap * i}
                    for i, (lon, lat) in enumerate(path)
                ]
                metres = sum(
                    haversine_m(a["lon"], a["lat"], b["lon"], b["lat"]) for a, b in zip(fixes, fixes[1:], strict=False)
                )
                counts, reason = rule.judge(minutes=minutes, metres=metres)
                purged = end < now - retention
                first = not patrols
                patrols.append(
                    Patrol(
                        client_id=marker if first else uuid.uuid5(NS, f"team-patrol:{team.code}:{weeks_ago}:{n}"),
                        client_fingerprint="demo-team",
                        worker=member,
                        grid=grid,
                        grid_path=grid.path,
                        status=PatrolStatus.ENDED,
                        started_at=start,
                        ended_at=end,
                        nothing_found=True,
                        note="已巡查无隐患",
                        end_fingerprint="demo",
                        point_count=len(fixes),
                        distance_m=round(metres, 1),
                        counts_for_coverage=counts,
                        coverage_reason=reason,
                        in_grid_minutes=float(minutes),
                        in_grid_distance_m=round(metres, 1),
                        track_purged_at=end + retention if purged else None,
                        received_at=end,
                        updated_at=end,
                    )
                )
                if not purged:
                    tracks[len(patrols) - 1] = fixes
    return save_patrols(patrols, tracks, fingerprint="demo-team")
