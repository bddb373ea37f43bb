"""Reads of the video app, every one scoped by the reader's 辖区 (out of it = 404, as missing)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from gridsafe.accounts.jurisdiction import jurisdiction_of
from gridsafe.accounts.models import User
from gridsafe.core.errors import NotFound
from gridsafe.regions.cities import subtree_q
from gridsafe.video.models import Camera, Outcome, VideoAlarm

DECIDED = (Outcome.CASE_OPENED, Outcome.JOINED, Outcome.CASE_FROM_REVIEW, Outcome.FALSE_ALARM)


def in_reach(user: User) -> Q:
    """Rows whose `region_path` lies in the user's 辖区 (its region part: cameras belong to no department)."""
    query = Q(pk__in=[])
    for path in jurisdiction_of(user).paths:
        query |= Q(region_path=path) | Q(region_path__startswith=path + ".")
    return query


def cameras_visible_to(user: User) -> QuerySet[Camera]:
    return Camera.objects.filter(in_reach(user), is_active=True)


def get_camera_for_user(user: User, camera_id: int) -> Camera:
    camera = cameras_visible_to(user).select_related("region").filter(pk=camera_id).first()
    if camera is None:
        raise NotFound("摄像机不存在")
    return camera


def alarms_visible_to(user: User) -> QuerySet[VideoAlarm]:
    return VideoAlarm.objects.filter(in_reach(user))


def camera_count(*, region_path: str | None = None) -> dict[str, int]:
    """The register's cameras in use (under `region_path`, cities included; else all) and how many are online:
    what the big screen and the dashboards show."""
    cameras = Camera.objects.filter(is_active=True)
    if region_path:
        cameras = cameras.filter(subtree_q("region_path", region_path))
    counts = cameras.aggregate(total=Count("pk"), online=Count("pk", filter=Q(is_online=True)))
    return {"total": counts["total"] or 0, "online": counts["online"] or 0}


def map_points(user: User) -> list[dict]:
    """The map layer: every camera the user may see, as compact rows (a county has a few thousand)."""
    rows = cameras_visible_to(user).values_list("pk", "name", "lon", "lat", "owner", "is_online")
    return [
        {"id": pk, "name": name, "lon": lon, "lat": lat, "owner": owner, "online": online}
        for pk, name, lon, lat, owner, online in rows
    ]


def _precision(decided: int, false: int) -> float | None:
    return round((decided - false) / decided, 3) if decided else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def precision_by(alarms: QuerySet[VideoAlarm], field: str, *, limit: int = 50) -> list[dict]:
    """准确率 per `field` (type = algorithm, camera): of the alarms decided (a case opened or joined, or 误报), the
    share not marked 误报. Alarms still waiting count in `pending` only."""
    rows = (
        alarms.values(field)
        .annotate(
            total=Count("pk"),
            decided=Count("pk", filter=Q(outcome__in=DECIDED)),
            false=Count("pk", filter=Q(outcome=Outcome.FALSE_ALARM)),
            pending=Count("pk", filter=Q(outcome=Outcome.REVIEW)),
        )
        .order_by("-total")[:limit]
    )
    out = []
    for row in rows:
        precision = _precision(row["decided"], row["false"])
        out.append({**row, "precision": precision, "precision_pct": _pct(precision)})
    return out


def camera_precision(camera: Camera) -> dict:
    counts = VideoAlarm.objects.filter(camera=camera).aggregate(
        total=Count("pk"),
        decided=Count("pk", filter=Q(outcome__in=DECIDED)),
        false=Count("pk", filter=Q(outcome=Outcome.FALSE_ALARM)),
        pending=Count("pk", filter=Q(outcome=Outcome.REVIEW)),
    )
    precision = _precision(counts["decided"], counts["false"])
    return {**counts, "precision": precision, "precision_pct": _pct(precision)}
