"""巡逻队 pages as the centres see them: the county centre the demo's 18 teams with members, grids and counting
patrols that match the data, one team's members (phones masked), grids and patrols (no replay link: the county does
not see tracks); a township centre only its own team, with the replay link; another township's team and a grid
worker get 404; query counts that do not grow with the rows."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import counted_queries
from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.core import clock
from gridsafe.dashboards.tests.supervision_data import walk
from gridsafe.field.models import Patrol

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=CST)  # a Wednesday: the week began on the 16th, the month on the 1st
BANGTOU_TEAM = "team-350322101"

pytestmark = pytest.mark.django_db


def _get(client, user, url, **params):
    client.force_login(user)
    with clock.frozen(NOW):
        return client.get(url, params)


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _rows(response, table_id: str) -> list[str]:
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>.*?<tbody>(.*?)</tbody>', response.content.decode(), re.S)
    return [_plain(r) for r in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)] if found else []


@pytest.fixture
def team():
    return Unit.objects.get(code=BANGTOU_TEAM)


@pytest.fixture
def members(team):
    return list(User.objects.filter(unit=team, role=Role.PATROL_MEMBER, is_active=True).order_by("username"))


@pytest.fixture
def walks(members):
    """Two counting patrols this week by two members, one too short to count, one last month."""
    a, b = members[0], members[1]
    grid_a, grid_b = a.grids.order_by("code")[0], b.grids.order_by("code")[1]
    done = [
        walk(a, grid_a, start=NOW - timedelta(days=1, hours=3), seed=1),
        walk(b, grid_b, start=NOW - timedelta(days=2, hours=1), seed=2),
    ]
    short = walk(a, grid_a, start=NOW - timedelta(hours=5), minutes=1, points=2, seed=3)
    old = walk(b, grid_b, start=NOW - timedelta(days=30), seed=4)
    assert all(p.counts_for_coverage for p in done + [old]) and not short.counts_for_coverage
    return {"done": done, "short": short, "old": old, "grids": {grid_a.pk, grid_b.pk}}


def test_county_centre_sees_the_demos_18_teams_with_matching_figures(client, people, team, members, walks):
    page = _get(client, people["county"], "/supervision/teams/")
    assert page.status_code == 200
    rows = _rows(page, "team-rows")
    teams = Unit.objects.filter(kind=UnitKind.TEAM, is_active=True)
    assert len(rows) == teams.count() == 18
    total = User.objects.filter(unit__kind=UnitKind.TEAM, role=Role.PATROL_MEMBER, is_active=True).count()
    assert total == 448
    assert re.search(r'id="team-members">(\d+)<', page.content.decode()).group(1) == str(total)
    row = next(r for r in rows if r.startswith(team.name))
    grids = team.coverage.filter(is_active=True).count()
    # name, township, members, grids, this week 2 (the short one does not count), this month 2 (the old one is
    # October's), 2 of the team's grids walked this week.
    assert row == f"{team.name} {team.region.name} {len(members)} {grids} 2 2 2 {round(200 / grids, 1)}%"
    other = next(r for r in rows if not r.startswith(team.name))
    assert other.split(" ")[4:7] == ["0", "0", "0"]


def test_county_centre_sees_one_teams_members_grids_and_patrols_without_replay(client, people, team, members, walks):
    page = _get(client, people["county"], f"/supervision/teams/{team.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    names = _plain(re.search(r'id="team-member-list">(.*?)</ul>', html, re.S).group(1))
    assert all(m.display_name in names for m in members)
    assert len(_rows(page, "team-grid-rows")) == team.coverage.filter(is_active=True).count()
    patrols = _rows(page, "team-patrol-rows")
    assert len(patrols) == 4
    newest = patrols[0]  # the short walk, with the rule's reason
    assert members[0].display_name in newest and "否" in newest and walks["short"].coverage_reason in newest
    assert "是" in patrols[1] and "40 分钟" in patrols[1]
    assert "轨迹回放" not in html and "/supervision/patrols/" not in html  # the county does not see tracks


def test_township_centre_sees_only_its_own_team_and_may_replay(client, people, team, walks):
    page = _get(client, people["bangtou"], "/supervision/teams/")
    rows = _rows(page, "team-rows")
    assert len(rows) == 1 and rows[0].startswith(team.name)
    detail = _get(client, people["bangtou"], f"/supervision/teams/{team.pk}/")
    assert detail.status_code == 200
    assert f"/supervision/patrols/{walks['done'][0].client_id}/" in detail.content.decode()
    other = Unit.objects.filter(kind=UnitKind.TEAM).exclude(pk=team.pk).first()
    assert _get(client, people["bangtou"], f"/supervision/teams/{other.pk}/").status_code == 404
    assert _get(client, people["county"], f"/supervision/teams/{other.pk}/").status_code == 200


@pytest.mark.parametrize("username", ["nanxi_worker", "fire"])
def test_grid_worker_and_department_get_404(client, people, team, username):
    assert _get(client, people[username], "/supervision/teams/").status_code == 404
    assert _get(client, people[username], f"/supervision/teams/{team.pk}/").status_code == 404


def _queries(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm the per-process caches
    with clock.frozen(NOW), CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(counted_queries(ctx))


def test_query_count_does_not_grow_with_rows(client, people, team, members):
    urls = ["/supervision/teams/", f"/supervision/teams/{team.pk}/"]
    grid = members[0].grids.order_by("code")[0]
    walk(members[0], grid, start=NOW - timedelta(days=1), seed=5)
    few = {url: _queries(client, people["bangtou"], url) for url in urls}
    for i, member in enumerate(members[1:6]):
        walk(member, member.grids.order_by("code")[0], start=NOW - timedelta(days=1, hours=i + 1), seed=10 + i)
    many = {url: _queries(client, people["bangtou"], url) for url in urls}
    assert many == few
    county = {url: _queries(client, people["county"], url) for url in urls}
    assert county["/supervision/teams/"] == few["/supervision/teams/"]


def test_the_demo_teams_have_patrols_to_show(client, people, team):
    from gridsafe.field.demo_teams import seed_team_patrols

    with clock.frozen(NOW):
        made = seed_team_patrols()
        assert made > 18 * 8 and seed_team_patrols() == 0  # a second run adds nothing
    ours = Patrol.objects.filter(worker__unit=team)
    assert ours.filter(counts_for_coverage=True).exists() and ours.filter(counts_for_coverage=False).count() < made
    page = _get(client, people["county"], "/supervision/teams/")
    assert all(r.split(" ")[5] != "0" for r in _rows(page, "team-rows"))  # every team walked this month
    assert _rows(_get(client, people["county"], f"/supervision/teams/{team.pk}/"), "team-patrol-rows")
