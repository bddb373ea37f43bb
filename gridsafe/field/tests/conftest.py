"""Field-app fixtures on top of the demo world: checklists, a few supervised places, photos, session clients."""

import io
import uuid

import pytest
from PIL import Image, ImageDraw

from gridsafe.catalog.models import Domain
from gridsafe.core import clock
from gridsafe.field.demo import _seed_checklists
from gridsafe.places.models import Place
from gridsafe.places.schedule import schedule_for


def jpeg(size=(640, 480), color=(40, 110, 170), text_box=True) -> bytes:
    image = Image.new("RGB", size, color)
    if text_box:
        ImageDraw.Draw(image).rectangle([40, 40, size[0] // 2, size[1] // 2], fill=(230, 200, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def make_place(grid, *, name="林记液化气供应点", kind="lpg_point", domain="lpg", risk="orange", phone="13812345678"):
    place = Place(
        client_id=uuid.uuid4(),
        name=name,
        kind=kind,
        domain=Domain.objects.get(code=domain),
        region=grid,
        region_path=grid.path,
        address=f"{grid.name}8号",
        lon=grid.center_lon,
        lat=grid.center_lat,
        contact_name="林建华",
        contact_phone=phone,
        risk_level=risk,
    )
    for key, value in schedule_for(place, None, clock.now()).items():
        setattr(place, key, value)
    place.save()
    return place


@pytest.fixture
def field_world(db, people):
    """Checklists, and supervised places in 王芳's two grids and in 李秀英's grid (another village)."""
    _seed_checklists()
    grids = list(people["nanxi_worker"].grids.order_by("code"))
    other = people["licheng_worker"].grids.first()
    return {
        "grids": grids,
        "other_grid": other,
        "lpg": make_place(grids[0]),
        "rental": make_place(grids[0], name="南溪3号出租房", kind="rental_housing", domain="rental", risk="yellow"),
        "second": make_place(grids[1], name="南溪欢乐KTV", kind="entertainment_venue", domain="venue", risk="red"),
        "other": make_place(other, name="城内2号出租房", kind="rental_housing", domain="rental"),
    }


@pytest.fixture
def photo_bytes():
    return jpeg()


@pytest.fixture
def pwa_server(serial_live_server):
    """The live server for the PWA (see serial_live_server in the root conftest)."""
    return serial_live_server
