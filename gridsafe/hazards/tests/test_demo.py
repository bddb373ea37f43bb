"""The hazards demo walks two 重大隐患 through the real services (one written off, one under 挂牌督办) and gives
enterprise logins a year of self-inspections; an enterprise login opens its pages."""

from django.test import Client

from gridsafe.accounts.models import Role, User
from gridsafe.field.demo import _seed_checklists
from gridsafe.field.tests.conftest import make_place
from gridsafe.hazards.demo import ENTERPRISE_USERS, PASSWORD, seed_hazards_demo
from gridsafe.hazards.models import MajorHazard, SelfInspection
from gridsafe.hazards.transitions import MajorState
from gridsafe.places.models import Enterprise


def test_the_demo_has_a_listed_and_a_written_off_major_hazard(people):
    _seed_checklists()
    for grid in people["nanxi_worker"].grids.all():
        make_place(grid, name=f"{grid.name}商铺", kind="crowded_place", domain="fire")
        make_place(grid, name=f"{grid.name}出租房", kind="rental_housing", domain="rental")
    summary = seed_hazards_demo()
    assert "企业账号 3 个" in summary, summary
    states = sorted(MajorHazard.objects.values_list("state", flat=True))
    assert states == sorted([MajorState.CLOSED, MajorState.RECTIFYING])
    closed = MajorHazard.objects.get(state=MajorState.CLOSED)
    assert closed.case.closure == "resolved" and closed.events.count() == 9
    assert SelfInspection.objects.count() >= 12
    assert {len(e.uscc) for e in Enterprise.objects.all()} == {18}

    client = Client()
    officer = User.objects.filter(role=Role.ENTERPRISE, username=ENTERPRISE_USERS[1][0]).get()
    assert client.login(username=officer.username, password=PASSWORD)
    assert client.get("/").url == "/hazards/enterprise/"  # its home is its own page
    page = client.get("/hazards/enterprise/")
    assert page.status_code == 200 and "重大" in page.content.decode()
    assert "跳过" in seed_hazards_demo()  # a second run leaves it
