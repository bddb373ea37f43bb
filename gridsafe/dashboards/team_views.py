"""巡逻队 pages of 巡查监督: the teams of the caller's 辖区 and one team's members, grids and patrols. Each view
checks the team is in the 辖区 (404 otherwise), calls `dashboards.teams` and renders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridsafe.core import clock
from gridsafe.core.errors import NotFound
from gridsafe.dashboards import supervision as sv
from gridsafe.dashboards import teams
from gridsafe.dashboards.supervision_views import PER_PAGE, _nav, _query
from gridsafe.dashboards.views import page
from gridsafe.web.paging import CappedPaginator


@require_GET
@page
def team_list(request: HttpRequest) -> HttpResponse:
    """The patrol teams of the 辖区 with members, grids, this week's and month's counting patrols and coverage."""
    if not sv.may_see_coverage(request.user):
        raise NotFound("未找到")
    now = clock.now()
    rows = teams.team_rows(request.user, now)
    return render(
        request,
        "dashboards/sv_teams.html",
        {
            **_nav(request, "teams"),
            "rows": rows,
            "window": sv.window(now),
            "totals": {k: sum(r[k] for r in rows) for k in ("members", "grids", "week", "month", "covered")},
        },
    )


@require_GET
@page
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """One team: members (phones masked), the grids it covers, its patrols (paged; replay only where allowed)."""
    team = teams.get_team_for_user(request.user, team_id)
    now = clock.now()
    page_obj = CappedPaginator(teams.team_patrols(request.user, team), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/sv_team_detail.html",
        {
            **_nav(request, "teams"),
            "team": team,
            "members": teams.team_members(team),
            "grids": teams.team_grids(team, now),
            "rows": teams.team_patrol_rows(request.user, list(page_obj.object_list)),
            "page": page_obj,
            "query": _query(request),
            "window": sv.window(now),
        },
    )
