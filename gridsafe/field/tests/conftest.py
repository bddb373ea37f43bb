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


class _OneRequestAtATime:
    """WSGI wrapper: the in-memory SQLite test database is one connection shared by every server thread, and
    SQLite answers "database table is locked" when two requests use it at once. A PWA loads in parallel (the
    page, its data, the service worker's precache), so requests run one at a time here. A real server (and
    the test server on PostgreSQL or a file database) gives each thread its own connection."""

    def __init__(self, app):
        import threading

        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return self.app(environ, start_response)


@pytest.fixture
def pwa_server(committed_world, live_server, request):
    """The URL of a live server for the PWA: the project's `live_server`, unless the test database is in-memory
    SQLite, in which case a live server that takes one request at a time on the shared connection."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread, _MediaFilesHandler

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    if not shared:
        yield live_server.url
        return

    class SerialThread(LiveServerThread):
        def run(self):
            from django.core.handlers.wsgi import WSGIHandler

            for alias, conn in self.connections_override.items():
                connections[alias] = conn
            try:
                handler = _OneRequestAtATime(self.static_handler(_MediaFilesHandler(WSGIHandler())))
                self.httpd = self._create_server(connections_override=self.connections_override)
                self.port = self.httpd.server_address[1]
                self.httpd.set_app(handler)
                self.is_ready.set()
                self.httpd.serve_forever()
            except Exception as exc:  # reported to the test below
                self.error = exc
                self.is_ready.set()

    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = SerialThread("localhost", StaticFilesHandler, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()
