"""Patrols, places and publicity for the 巡查监督 page tests, made through the field services as a phone would."""

import random
import uuid
from datetime import timedelta

from gridsafe.core import clock
from gridsafe.field.demo import _point_in
from gridsafe.field.services import patrol_end, patrol_start, patrol_track_append, publicity_record


def walk(worker, grid, *, start, minutes=40, points=12, end=True, seed=1):
    """A patrol of `grid` by `worker` starting at `start`: `points` fixes spread over `minutes` at random spots
    inside the grid (hundreds of metres apart, so it meets the county's patrol rule), ended unless `end` is False."""
    rng = random.Random(seed)
    with clock.frozen(start):
        patrol, _ = patrol_start(actor=worker, client_id=uuid.uuid4(), grid_code=grid.code, started_at=start)
    step = timedelta(minutes=minutes) / max(points - 1, 1)
    fixes = []
    for seq in range(points):
        lon, lat = _point_in(grid.geometry, rng, (grid.center_lon, grid.center_lat))
        fixes.append({"seq": seq, "lon": lon, "lat": lat, "accuracy_m": 8.0, "recorded_at": start + step * seq})
    finish = start + timedelta(minutes=minutes)
    with clock.frozen(finish if end else min(finish, clock.now())):
        patrol_track_append(actor=worker, patrol=patrol, points=fixes)
        if end:
            patrol = patrol_end(actor=worker, patrol=patrol, ended_at=finish, nothing_found=True, note="已巡查无隐患")
    patrol.refresh_from_db()
    return patrol


def publicity(worker, grid, *, held_at, kind="door_to_door", title="入户宣传燃气安全", people=20, leaflets=40):
    activity, _ = publicity_record(
        actor=worker,
        client_id=uuid.uuid4(),
        grid_code=grid.code,
        title=title,
        held_at=held_at,
        kind=kind,
        head_count=people,
        materials=leaflets,
        address=f"{grid.name}文化广场",
    )
    return activity
