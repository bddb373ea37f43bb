"""Hazards-app fixtures on the demo world: two enterprises with places in 南溪村's grids, their safety officers,
checklists, and session clients."""

import pytest
from django.test import Client

from gridsafe.accounts.models import Role, User
from gridsafe.field.demo import _seed_checklists
from gridsafe.field.tests.conftest import make_place
from gridsafe.places.models import Enterprise


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.GRIDSAFE_INTAKE_RATE = "100000/m"


@pytest.fixture
def flow(people):
    from gridsafe.cases.tests.helpers import Flow

    return Flow(people)


def _enterprise(uscc: str, name: str, grid) -> Enterprise:
    return Enterprise.objects.create(
        uscc=uscc, name=name, region=grid, region_path=grid.path, safety_officer_name="郑秀兰",
        safety_officer_phone="13905941234",
    )  # fmt: skip


@pytest.fixture
def ent_world(db, people):
    _seed_checklists()
    grids = list(people["nanxi_worker"].grids.order_by("code"))
    a = _enterprise("91350322MA2XXXXX1A", "仙游县南溪燃气有限公司", grids[0])
    b = _enterprise("91350322MA2YYYYY2B", "仙游县欢乐娱乐有限公司", grids[1])
    place_a = make_place(grids[0], name="南溪液化气供应站")
    place_b = make_place(grids[1], name="欢乐KTV", kind="entertainment_venue", domain="venue", risk="red")
    place_a.enterprise, place_b.enterprise = a, b
    place_a.save(update_fields=["enterprise"])
    place_b.save(update_fields=["enterprise"])
    officer_a = User.objects.create_user("ent_a", password="x-Long-Passw0rd!", display_name="郑秀兰",
                                         role=Role.ENTERPRISE, enterprise=a)  # fmt: skip
    officer_b = User.objects.create_user("ent_b", password="x-Long-Passw0rd!", display_name="黄丽",
                                         role=Role.ENTERPRISE, enterprise=b)  # fmt: skip
    return {"a": a, "b": b, "place_a": place_a, "place_b": place_b, "officer_a": officer_a, "officer_b": officer_b}


@pytest.fixture
def web_as():
    made = {}

    def get(user):
        if user.pk not in made:
            client = Client()
            client.force_login(user)
            made[user.pk] = client
        return made[user.pk]

    return get
