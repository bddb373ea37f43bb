"""A year of the county's field work for the demo, beyond 王芳's recent weeks (field/demo.py): every grid's weekly
patrols with their GPS tracks, and the publicity drives (宣传, 安全生产宣传周), so the supervision pages, coverage
figures and scores have something to show. Deterministic; a second run adds nothing.

Bulk inserts, not the services: the services would take minutes for ~30 000 walks. The rule's outcome of each walk
is computed here with the county's PatrolRule, as the service does when a patrol ends."""

import random
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from gridsafe.accounts.models import Role, User
from gridsafe.core import clock
from gridsafe.field.demo import BANGTOU_PATH, NS, _points_in
from gridsafe.field.models import Patrol, PatrolRule, PatrolStatus, PublicityActivity, PublicityKind, TrackPoint
from gridsafe.regions.coords import haversine_m
from gridsafe.regions.models import Region, RegionLevel

HISTORY_WEEKS = 52  # weekly patrols of every grid this far back
HISTORY_POINTS = 9  # GPS fixes per walk (the field app samples more; enough for the replay)
# The rule's demo outcome: most walks meet it, a few are cut short (a 5-minute walk is not 已巡查).
SHORT_WALK_SHARE = 0.03
ON_PATROL_NOW = 4  # synthetic workers of 榜头镇 walking when the demo starts (only in daytime)
PUBLICITY_TITLES = {
    PublicityKind.DOOR_TO_DOOR: [
        "入户宣传燃气安全",
        "出租房电动自行车充电安全宣传",
        "入户发放消防安全提示",
        "防汛防台安全宣传",
    ],
    PublicityKind.CAMPAIGN_WEEK: [
        "安全生产宣传周：人人讲安全、个个会应急",
        "安全生产月宣传咨询日",
        "安全生产宣传周进村入户",
    ],
    PublicityKind.TRAINING: ["网格员消防器材使用培训", "液化气使用安全培训"],
    PublicityKind.MEETING: ["村民安全生产宣讲会", "出租房业主安全会"],
}


def seed_field_history(*, seed: int = 350322) -> dict[str, int]:
    """Every grid's year of patrols and the publicity drives. Call after `seed_field_demo()` (王芳's recent walks go
    through the services there); ~10 s on SQLite. The demo command runs it; tests that need it call it."""
    return {"patrol_history": _seed_patrol_history(seed), "publicity": _seed_publicity(seed)}


def _grid_workers() -> dict[int, int]:
    """{grid id: worker id}: the first grid worker of each grid (synthetic staff, or 王芳/李秀英 for theirs).

    Three plain queries matched here, not one query joining the links to users and regions: on PostgreSQL, in a
    freshly loaded database not yet ANALYZEd (a new demo, minutes before autovacuum), the planner expects one grid
    worker and probes the links 400 000 times (0.4 s, twice per run); these take a few ms with or without statistics."""
    grids = set(Region.objects.filter(level=RegionLevel.GRID).values_list("pk", flat=True))
    workers = set(User.objects.filter(role=Role.GRID_WORKER, is_active=True).values_list("pk", flat=True))
    links = User.grids.through.objects.order_by("region_id", "user_id").values_list("region_id", "user_id")
    out: dict[int, int] = {}
    for grid_id, user_id in links:
        if grid_id in grids and user_id in workers:
            out.setdefault(grid_id, user_id)
    return out


def _spots(grid: Region, rng: random.Random, n: int = 24) -> list[tuple[float, float]]:
    return _points_in(grid.geometry, rng, (grid.center_lon, grid.center_lat), n)


def _local_day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _seed_patrol_history(seed: int, *, weeks: int = HISTORY_WEEKS) -> int:
    """Every grid walked about weekly for a year by its worker, with the GPS track for the retention period (older
    tracks purged, as `purge_patrol_tracks` does), some grids missed in some weeks (each grid has its own
    reliability), a few walks too short for the county's patrol rule, and a few workers of 榜头镇 on patrol now
    when the demo starts in daytime. Bulk inserts: the services would take minutes for ~35 000 walks; the rule's
    figures are computed here the way the service computes them. 王芳's last weeks come from `_seed_patrols`."""
    marker = uuid.uuid5(NS, "patrol-history")
    if Patrol.objects.filter(client_id=marker).exists():
        return 0
    rng = random.Random(seed + 7)
    now = clock.now()
    rule = PatrolRule.current()
    retention = timedelta(days=settings.GRIDSAFE_TRACK_RETENTION_DAYS)
    workers = _grid_workers()
    wang = User.objects.filter(username="nanxi_worker").values_list("pk", flat=True).first()
    grids = list(Region.objects.filter(level=RegionLevel.GRID, is_active=True, pk__in=list(workers)).order_by("path"))
    today = _local_day_start(now)
    monday = today - timedelta(days=today.weekday())
    daytime = 8 <= timezone.localtime(now).hour < 18
    walking_now: set[int] = set()
    if daytime:
        # One of them in 王芳's village (南溪村, so its station officer sees one), the others elsewhere in 榜头镇.
        wang_grid = next((g for g in grids if workers[g.pk] == wang), None)
        bangtou = [g for g in grids if g.path.startswith(BANGTOU_PATH + ".") and workers[g.pk] != wang]
        village = [g for g in bangtou if wang_grid is not None and g.parent_id == wang_grid.parent_id]
        for grid in village[:1] + rng.sample(bangtou, len(bangtou)):
            walkers = {workers[pk] for pk in walking_now}
            if len(walking_now) < ON_PATROL_NOW and workers[grid.pk] not in walkers:
                walking_now.add(grid.pk)  # one walk at a time per worker (a worker may hold two grids)
    patrols: list[Patrol] = []
    tracks: dict[int, list[dict]] = {}  # index in patrols → fixes
    first = True
    for grid in grids:
        worker_id = workers[grid.pk]
        reliability = rng.uniform(0.72, 0.99)
        spots = _spots(grid, rng)
        for weeks_ago in range(weeks, -1, -1):
            week_start = monday - timedelta(weeks=weeks_ago)
            if worker_id == wang and weeks_ago <= 3:
                continue  # 王芳's recent weeks are walked through the services (_seed_patrols)
            if grid.pk in walking_now and weeks_ago == 0:
                start = now - timedelta(minutes=rng.randint(12, 50))
                minutes, status = None, PatrolStatus.ACTIVE
            else:
                if rng.random() > reliability:
                    continue  # missed this week
                start = week_start + timedelta(
                    days=rng.randint(0, 5), hours=rng.randint(8, 15), minutes=rng.randint(0, 59)
                )
                short = rng.random() < SHORT_WALK_SHARE
                minutes = rng.randint(3, 9) if short else rng.randint(28, 95)
                if start + timedelta(minutes=minutes) > now - timedelta(minutes=30):
                    continue  # this week's walk has not happened yet
                status = PatrolStatus.ENDED
            end = start + timedelta(minutes=minutes) if minutes is not None else None
            last = end or now - timedelta(minutes=1)
            n = 2 if minutes is not None and minutes < 10 else HISTORY_POINTS
            path = rng.sample(spots, min(n, len(spots)))
            if minutes is not None and minutes < 10:
                path = [path[0], (round(path[0][0] + 0.0008, 6), path[0][1])]  # ~80 m: cut short
            gap = (last - start) / max(len(path) - 1, 1)
            fixes = [
                {
                    "seq": i,
                    "lon": lon,
                    "lat": lat,
                    "accuracy_m": float(rng.choice([5, 8, 10, 15])),
                    "at": start + gap * i,
                }
                for i, (lon, lat) in enumerate(path)
            ]
            metres = sum(
                haversine_m(a["lon"], a["lat"], b["lon"], b["lat"]) for a, b in zip(fixes, fixes[1:], strict=False)
            )
            walked = (last - start).total_seconds() / 60
            counts, reason = rule.judge(minutes=walked, metres=metres) if end else (False, "")
            purged = end is not None and end < now - retention
            client_id = marker if first else uuid.uuid5(NS, f"patrol-history:{grid.code}:{weeks_ago}")
            first = False
            patrols.append(
                Patrol(
                    client_id=client_id,
                    client_fingerprint="demo",
                    worker_id=worker_id,
                    grid=grid,
                    grid_path=grid.path,
                    status=status,
                    started_at=start,
                    ended_at=end,
                    nothing_found=end is not None and rng.random() < 0.85,
                    note="" if end is None else "已巡查无隐患",
                    end_fingerprint="demo" if end else "",
                    point_count=len(fixes),
                    distance_m=round(metres, 1),
                    counts_for_coverage=counts,
                    coverage_reason=reason,
                    in_grid_minutes=round(walked, 1) if end else 0,
                    in_grid_distance_m=round(metres, 1) if end else 0,
                    track_purged_at=end + retention if purged else None,
                    received_at=last,
                    updated_at=last,
                )
            )
            if not purged:
                tracks[len(patrols) - 1] = fixes
    return save_patrols(patrols, tracks, fingerprint="demo")


def save_patrols(patrols: list[Patrol], tracks: dict[int, list[dict]], *, fingerprint: str) -> int:
    """Bulk-insert demo patrols (all with `client_fingerprint=fingerprint`) and the fixes of those whose track is
    kept (`tracks`: index in `patrols` → fixes)."""
    Patrol.objects.bulk_create(patrols, batch_size=1000)
    ids = dict(
        Patrol.objects.filter(client_fingerprint=fingerprint, track_purged_at__isnull=True).values_list(
            "client_id", "pk"
        )
    )
    TrackPoint.objects.bulk_create(
        (
            TrackPoint(
                patrol_id=ids[patrols[i].client_id],
                seq=f["seq"],
                lon=f["lon"],
                lat=f["lat"],
                accuracy_m=f["accuracy_m"],
                recorded_at=f["at"],
                flags=[],
            )
            for i, fixes in tracks.items()
            for f in fixes
        ),
        batch_size=2000,
    )
    return len(patrols)


def _seed_publicity(seed: int) -> int:
    """宣传 for a year: door-to-door drives most months in part of the grids, the 安全生产宣传周 in June in about
    two grids of three in every township, trainings and meetings now and then. Bulk inserts."""
    marker = uuid.uuid5(NS, "publicity-history")
    if PublicityActivity.objects.filter(client_id=marker).exists():
        return 0
    rng = random.Random(seed + 11)
    now = clock.now()
    workers = _grid_workers()
    grids = list(Region.objects.filter(level=RegionLevel.GRID, is_active=True, pk__in=list(workers)).order_by("path"))
    today = _local_day_start(now)
    rows: list[PublicityActivity] = []

    def add(grid, kind, held_at):
        if held_at > now - timedelta(hours=1):
            return
        client_id = marker if not rows else uuid.uuid5(NS, f"publicity:{grid.code}:{len(rows)}")
        people = rng.randint(40, 300) if kind == PublicityKind.CAMPAIGN_WEEK else rng.randint(5, 60)
        rows.append(
            PublicityActivity(
                client_id=client_id,
                client_fingerprint="demo",
                worker_id=workers[grid.pk],
                grid=grid,
                grid_path=grid.path,
                kind=kind,
                title=rng.choice(PUBLICITY_TITLES[kind]),
                held_at=held_at,
                address=f"{grid.parent.name if grid.parent_id else ''}{rng.choice(['文化广场', '村委会', '农贸市场', '祠堂前'])}",
                head_count=people,
                materials=people * rng.randint(1, 3),
                received_at=held_at + timedelta(minutes=rng.randint(5, 90)),
            )
        )

    grids_by_parent = {g.pk: g for g in Region.objects.filter(pk__in=[g.parent_id for g in grids])}
    for grid in grids:
        grid.parent = grids_by_parent.get(grid.parent_id)
        for months_ago in range(12):
            day = (today.replace(day=15) - timedelta(days=30 * months_ago)).replace(day=rng.randint(1, 27))
            if rng.random() < 0.35:
                add(grid, PublicityKind.DOOR_TO_DOOR, day.replace(hour=rng.randint(9, 16)))
        for year in {today.year - 1, today.year}:
            june = today.replace(year=year, month=6, day=rng.randint(8, 14), hour=rng.randint(9, 15))
            if rng.random() < 0.67:
                add(grid, PublicityKind.CAMPAIGN_WEEK, june)
        if rng.random() < 0.25:
            add(
                grid,
                rng.choice([PublicityKind.TRAINING, PublicityKind.MEETING]),
                today - timedelta(days=rng.randint(3, 200), hours=-10),
            )
    PublicityActivity.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
