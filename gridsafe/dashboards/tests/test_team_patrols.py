"""The township patrol teams (imported by `gridsafe import teams`): a member walks a grid their team covers, and the
township centre sees that patrol with every other in its 巡查监督 list (the county centre sees patrols as
coverage, not as tracks: field.permissions.track_supervisor_path)."""

import uuid

import pytest

from gridsafe.accounts.models import Role, User
from gridsafe.core.errors import NotFound
from gridsafe.dashboards.supervision import patrol_list
from gridsafe.field.services import patrol_start


@pytest.mark.django_db
def test_a_team_members_patrol_is_seen_by_the_township_centre():
    member = User.objects.filter(role=Role.PATROL_MEMBER, unit__code="team-350322101").order_by("username").first()
    grid = member.grids.order_by("code").first()
    assert grid.code.startswith("350322101")  # the team covers its own township's grids
    patrol, created = patrol_start(actor=member, client_id=uuid.uuid4(), grid_code=grid.code)
    assert created and patrol.worker == member
    assert patrol in patrol_list(User.objects.get(username="bangtou"))
    outside = User.objects.filter(role=Role.GRID_WORKER).exclude(grids__path__startswith="350322.101.").first()
    other_grid = outside.grids.first()
    with pytest.raises(NotFound):  # not one of their grids
        patrol_start(actor=member, client_id=uuid.uuid4(), grid_code=other_grid.code)
