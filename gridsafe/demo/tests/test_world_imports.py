"""The demo county goes live the way a county does: its units, people, patrol teams and places come from the XLSX
files in demo/data through `gridsafe import`'s functions, with the article's figures (domain.md §1.1)."""

import pytest

from gridsafe.accounts.importer import import_people, import_teams, import_units
from gridsafe.accounts.models import GridDuty, GridPost, Role, Unit, UnitKind, User
from gridsafe.core.models import AuditEvent
from gridsafe.demo.world import DATA, NAMED_USERS
from gridsafe.regions.models import Region, RegionLevel


@pytest.mark.django_db
def test_demo_world_came_through_the_imports():
    """613 grid workers, 18 teams with 448 members; every grid has its main worker, some a deputy."""
    assert User.objects.filter(role=Role.GRID_WORKER, is_active=True).count() == 613
    assert Unit.objects.filter(kind=UnitKind.TEAM).count() == 18
    assert User.objects.filter(role=Role.PATROL_MEMBER).count() == 448
    grids = Region.objects.filter(level=RegionLevel.GRID).count()
    assert GridDuty.objects.filter(post=GridPost.MAIN).count() == grids
    assert GridDuty.objects.filter(post=GridPost.DEPUTY).exists()
    # 24 township-level units: 17 乡镇 + 1 街道 + the 6 管委会 (internal codes 9xx), each with its centre.
    assert Region.objects.filter(level=RegionLevel.TOWNSHIP).count() == 24
    assert Unit.objects.filter(kind=UnitKind.CENTRE, region__level=RegionLevel.TOWNSHIP).count() == 24
    assert Unit.objects.filter(kind=UnitKind.CENTRE, region__code__startswith="3503229").count() == 6
    for action in ("import.units", "import.people", "import.teams"):
        assert AuditEvent.objects.filter(action=action).exists()
    assert set(User.objects.filter(username__in=[n for n, *_ in NAMED_USERS]).values_list("username", flat=True)) == {
        n for n, *_ in NAMED_USERS
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "run"), [("units", import_units), ("people", import_people), ("teams", import_teams)])
def test_shipped_files_import_again_without_a_change(kind, run):
    report = run(DATA / f"{kind}.xlsx", dry_run=True)
    assert report.ok and report.created == report.updated == 0 and report.unchanged > 0


def test_shipped_files_are_small():
    for path in DATA.glob("*.xlsx"):
        assert path.stat().st_size < 1_000_000, path
