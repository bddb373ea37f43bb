"""巡逻队 — the township patrol teams (accounts `Unit` kind TEAM) for the county and township centres: members,
the grids each team covers (`Unit.coverage`) and the team's own patrols, counted by the patrol rule
(`counted_patrols`). Reads only.

Who sees what: the same people as the coverage page (`supervision.may_see_coverage`), each the teams of their
辖区 (a township centre its township's team, the county centre and leaders all); any other team is the same 404 as
a missing one. Patrol figures and rows carry no positions; a patrol's track stays behind the replay rule
(`field.permissions.track_supervisor_path`), so only a township centre or station officer over the grid gets the
link to the replay page. Query cost is stated per selector and does not grow with the rows."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.core.errors import NotFound
from gridsafe.core.masking import mask_phone
from gridsafe.dashboards.patrols import counted_patrols
from gridsafe.dashboards.supervision import _rate, may_see_coverage, patrol_counts, window
from gridsafe.field.models import Patrol
from gridsafe.field.permissions import track_supervisor_path
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region


def _scope_q(user: User, field: str) -> Q:
    """The user's 辖区 as a filter on a path field (nothing for a user without one)."""
    query = Q(pk__in=[])
    for path in jurisdiction_of(user).paths:
        query |= subtree_q(field, path)
    return query


def teams_visible_to(user: User) -> QuerySet[Unit]:
    """The active patrol teams in the user's 辖区, for the users of the coverage page; none for anyone else."""
    if not may_see_coverage(user):
        return Unit.objects.none()
    return Unit.objects.filter(_scope_q(user, "region__path"), kind=UnitKind.TEAM, is_active=True)


def get_team_for_user(user: User, team_id: int) -> Unit:
    team = teams_visible_to(user).select_related("region").defer("region__geometry").filter(pk=team_id).first()
    if team is None:
        raise NotFound("未找到该巡逻队")  # the same answer for missing and not yours
    return team


def _members(team_ids: list[int]) -> QuerySet[User]:
    return User.objects.filter(unit_id__in=team_ids, role=Role.PATROL_MEMBER, is_active=True)


def team_rows(user: User, now: datetime) -> list[dict]:
    """Per team: township, members, grids covered, counting patrols this week / this month and the share of its
    grids walked this week (a counting patrol by anyone, as on the coverage page). Five queries, however many."""
    win = window(now)
    teams = list(
        teams_visible_to(user).select_related("region").defer("region__geometry").order_by("region__path", "code")
    )
    ids = [t.pk for t in teams]
    members = dict(_members(ids).order_by().values_list("unit_id").annotate(n=Count("id")))
    grids: dict[int, set[int]] = {pk: set() for pk in ids}
    for unit_id, region_id in Unit.coverage.through.objects.filter(unit_id__in=ids, region__is_active=True).values_list(
        "unit_id", "region_id"
    ):
        grids[unit_id].add(region_id)
    since = min(win.week_start, win.month_start)
    patrols = {
        r["worker__unit_id"]: r
        for r in counted_patrols()
        .filter(worker__unit_id__in=ids, ended_at__gte=since, ended_at__lt=win.week_end)
        .order_by()
        .values("worker__unit_id")
        .annotate(
            week=Count("id", filter=Q(ended_at__gte=win.week_start)),
            month=Count("id", filter=Q(ended_at__gte=win.month_start)),
        )
    }
    all_grids = set().union(*grids.values()) if grids else set()
    walked = (
        set(
            counted_patrols()
            .filter(grid_id__in=all_grids, ended_at__gte=win.week_start, ended_at__lt=win.week_end)
            .order_by()
            .values_list("grid_id", flat=True)
            .distinct()
        )
        if all_grids
        else set()
    )
    rows = []
    for team in teams:
        mine = grids[team.pk]
        covered = len(mine & walked)
        stats = patrols.get(team.pk, {})
        rows.append(
            {
                "team": team,
                "township": team.region.name,
                "members": members.get(team.pk, 0),
                "grids": len(mine),
                "week": stats.get("week", 0),
                "month": stats.get("month", 0),
                "covered": covered,
                "week_rate": _rate(covered, len(mine)),
            }
        )
    return rows


def team_members(team: Unit) -> list[dict]:
    """The team's active members by name; phones masked. One query."""
    return [
        {"name": u.display_name or u.username, "username": u.username, "phone": mask_phone(u.phone) if u.phone else ""}
        for u in _members([team.pk]).order_by("username")
    ]


def team_grids(team: Unit, now: datetime) -> list[dict]:
    """The grids the team covers with their village and this week's counting patrols (anyone's). Two queries."""
    win = window(now)
    grids = list(
        Region.objects.filter(covering_units=team, is_active=True)
        .order_by("path")
        .values("pk", "code", "name", "parent__name")
    )
    week = dict(
        counted_patrols()
        .filter(grid_id__in=[g["pk"] for g in grids], ended_at__gte=win.week_start, ended_at__lt=win.week_end)
        .order_by()
        .values_list("grid_id")
        .annotate(n=Count("id"))
    )
    return [{**g, "village": g["parent__name"] or "", "week": week.get(g["pk"], 0)} for g in grids]


def team_patrols(user: User, team: Unit) -> QuerySet[Patrol]:
    """The patrols of the team's members in the user's 辖区, newest first, with grid, village and member joined. No
    positions are read here."""
    return (
        Patrol.objects.filter(_scope_q(user, "grid_path"), worker__unit=team)
        .select_related("grid__parent", "worker")
        .defer("grid__geometry", "grid__parent__geometry")
        .order_by("-started_at", "-id")
    )


def team_patrol_rows(user: User, patrols: list[Patrol]) -> list[dict]:
    """A page of patrols as the team page shows them; the replay link only where the replay rule allows."""
    path = track_supervisor_path(user)
    rows = []
    for p in patrols:
        minutes = round((p.ended_at - p.started_at).total_seconds() / 60) if p.ended_at else None
        counts = patrol_counts(p)
        may_replay = path is not None and (p.grid_path == path or p.grid_path.startswith(path + "."))
        rows.append(
            {
                "patrol": p,
                "member": p.worker.display_name or p.worker.username,
                "grid": p.grid.name,
                "village": p.grid.parent.name if p.grid.parent_id else "",
                "minutes": minutes,
                "counts": counts,
                "reason": p.coverage_reason or ("" if counts else p.get_status_display()),
                "replay_url": f"/supervision/patrols/{p.client_id}/" if may_replay else "",
            }
        )
    return rows
