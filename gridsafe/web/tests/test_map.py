"""The map: region polygons scoped to the 辖区, case points by traffic light, the grid panel, fixed query counts,
and the page in a real browser without tiles."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import expect
from shapely.geometry import Point, shape

from gridsafe.accounts.models import Unit, UnitKind
from gridsafe.cases.models import Case
from gridsafe.catalog.models import Category
from gridsafe.core import clock
from gridsafe.regions.models import Region, RegionLevel

BANGTOU = "350322.101"
PASSWORD = "gridsafe-demo"


def _village(name: str, township: str = BANGTOU) -> Region:
    return Region.objects.get(level=RegionLevel.VILLAGE, name=name, path__startswith=township + ".")


def _grid(village_name: str) -> Region:
    return Region.objects.filter(level=RegionLevel.GRID, parent=_village(village_name)).order_by("code").first()


def make_case(grid: Region, light: str, *, category: Category | None = None, days_ago: float = 1, point=None) -> Case:
    """A case row with the deadlines that give `light` now ("none": closed and resolved)."""
    now = clock.now()
    category = category or Category.objects.order_by("code").first()
    lon, lat = point or (grid.center_lon, grid.center_lat)
    deadlines = {
        "green": (now + timedelta(days=1), now + timedelta(days=2)),
        "yellow": (now - timedelta(hours=2), now + timedelta(days=1)),
        "red": (now - timedelta(days=2), now - timedelta(hours=1)),
        "none": (now - timedelta(days=2), now - timedelta(hours=1)),
    }[light]
    closed = light == "none"
    created = now - timedelta(days=days_ago)
    return Case.objects.create(
        client_id=uuid.uuid4(),
        client_fingerprint="test",
        category=category,
        domain_id=category.domain_id,
        description="测试隐患",
        lon=lon,
        lat=lat,
        raw_lon=lon,
        raw_lat=lat,
        region=grid,
        region_path=grid.path,
        holder_unit=Unit.objects.get(kind=UnitKind.STATION, region=grid.parent),
        state="closed" if closed else "handling",
        closure="resolved" if closed else "",
        yellow_at=deadlines[0],
        due_at=deadlines[1],
        created_at=created,
        updated_at=created,
        closed_at=now if closed else None,
    )


@pytest.fixture
def login(client, people):
    def as_user(username):
        client.force_login(people[username])
        return client

    return as_user


def _regions(client, level, **params):
    response = client.get("/map/regions.json", {"level": level, **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/geo+json")
    return json.loads(response.content)


def _cases(client, **params):
    response = client.get("/map/cases.geojson", params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


# ---------------------------------------------------------------------------------------------- page


def test_map_needs_login(client, db):
    assert client.get("/map/")["Location"].startswith("/login/")
    for url in ("/map/regions.json?level=2", "/map/cases.geojson", f"/map/grid/{'3' * 15}/"):
        assert client.get(url).status_code == 401


def test_map_page_passes_config_in_data_attributes_and_has_no_inline_script(login, settings):
    page = login("county").get("/map/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> found"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler found"
    for asset in ("leaflet/leaflet.js", "markercluster/leaflet.markercluster.js", "leaflet-heat/leaflet-heat.js"):
        assert f"/static/vendor/{asset}" in html
    config = json.loads(page.context["config_json"])
    assert [lv["level"] for lv in config["levels"]] == [1, 2, 3, 4]
    assert config["basemap"] == {"crs": "wgs84", "layers": []}  # no tiles configured: polygons only
    assert "map-canvas--plain" in html
    assert "tianditu" not in page["Content-Security-Policy"]

    settings.GRIDSAFE_TIANDITU_KEY = "KEY"
    page = login("county").get("/map/")
    config = json.loads(page.context["config_json"])
    assert config["basemap"]["layers"][0]["url"].startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?")
    assert config["basemap"]["layers"][0]["attribution"].startswith("天地图")
    assert "map-canvas--plain" not in page.content.decode()
    img_src = next(d for d in page["Content-Security-Policy"].split(";") if d.strip().startswith("img-src"))
    assert "https://*.tianditu.gov.cn" in img_src  # the page may load the configured tiles


def test_levels_follow_the_jurisdiction(login):
    levels = json.loads(login("quanshan").get("/map/").context["config_json"])["levels"]
    assert [(lv["level"], lv["minZoom"]) for lv in levels] == [(3, 0), (4, 0)]  # a village: all of it, any zoom
    levels = json.loads(login("bangtou").get("/map/").context["config_json"])["levels"]
    assert [(lv["level"], lv["bbox"]) for lv in levels] == [(2, False), (3, False), (4, True)]


# ---------------------------------------------------------------------------------------------- regions


def test_quanshan_sees_only_its_village_and_grids(login):
    client = login("quanshan")
    village = _village("泉山村")
    grids = _regions(client, 4, zoom=14)["features"]
    expected = set(Region.objects.filter(parent=village, is_active=True).values_list("code", flat=True))
    assert {f["properties"]["code"] for f in grids} == expected and len(expected) >= 3
    assert all(f["properties"]["name"].startswith("泉山村") for f in grids)
    assert all(f["properties"]["short"].startswith("第") for f in grids)
    assert [f["properties"]["name"] for f in _regions(client, 3, zoom=14)["features"]] == ["泉山村"]
    assert _regions(client, 2)["features"] == [] and _regions(client, 1)["features"] == []


def test_county_sees_outline_and_townships_with_names(login):
    client = login("county")
    county = _regions(client, 1, zoom=10)["features"]
    assert [f["properties"]["name"] for f in county] == ["仙游县"]
    townships = _regions(client, 2, zoom=10)["features"]
    assert len(townships) == 24 and "榜头镇" in {f["properties"]["name"] for f in townships}
    for feature in townships:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        lon, lat = feature["properties"]["label"]
        assert shape(feature["geometry"]).buffer(0.002).contains(Point(lon, lat))  # the label sits inside


def test_township_officer_does_not_see_other_townships(login):
    client = login("bangtou")
    assert [f["properties"]["name"] for f in _regions(client, 2)["features"]] == ["榜头镇"]
    villages = _regions(client, 3, zoom=12)["features"]
    assert villages and all(f["properties"]["code"].startswith("350322101") for f in villages)


def test_low_zoom_is_simplified_and_small(login):
    client = login("county")
    coarse = client.get("/map/regions.json", {"level": 3, "zoom": 8}).content
    fine = client.get("/map/regions.json", {"level": 3, "zoom": 16}).content
    assert len(coarse) < len(fine)
    feature = json.loads(coarse)["features"][0]
    ring = feature["geometry"]["coordinates"][0]
    ring = ring[0] if isinstance(ring[0][0], list) else ring
    assert all(len(str(v).split(".")[-1]) <= 4 for point in ring for v in point)  # rounded for the zoom
    county_level = len(client.get("/map/regions.json", {"level": 1, "zoom": 10}).content) + len(
        client.get("/map/regions.json", {"level": 2, "zoom": 10}).content
    )
    assert county_level < 40_000


def test_bbox_limits_deep_levels_to_the_viewport(login):
    client = login("county")
    everything = _regions(client, 4, zoom=14)["features"]
    assert len(everything) == Region.objects.filter(level=RegionLevel.GRID, is_active=True).count()
    west, south, east, north = 118.78, 25.37, 118.82, 25.40
    inside = _regions(client, 4, zoom=14, bbox=f"{west},{south},{east},{north}")["features"]
    assert 0 < len(inside) < len(everything) / 5
    for feature in inside:
        minx, miny, maxx, maxy = shape(feature["geometry"]).bounds
        assert minx <= east and maxx >= west and miny <= north and maxy >= south
    assert client.get("/map/regions.json", {"level": 4, "bbox": "a,b,c,d"}).status_code == 400
    assert client.get("/map/regions.json", {"level": 9}).status_code == 400


def test_regions_are_cached_per_level_and_scope(login):
    client = login("county")
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        _regions(client, 4, zoom=12)
    with CaptureQueriesContext(connection) as warm:
        _regions(client, 4, zoom=12)
    assert len(warm) == len(cold) - 1  # the one region query is gone; the rest is session, user, jurisdiction
    level_query = [q["sql"] for q in cold.captured_queries if '"regions_region"."level" = 4' in q["sql"]]
    assert len(level_query) == 1
    assert not [q for q in warm.captured_queries if '"regions_region"."level" = 4' in q["sql"]]
    # Another scope does not get the county's payload from the cache.
    assert len(_regions(login("quanshan"), 4, zoom=12)["features"]) < 10


def test_admin_geometry_edit_reaches_the_map(login):
    from gridsafe.regions.locate import grid_index

    client = login("quanshan")
    village = _village("泉山村")
    before = _regions(client, 3, zoom=16)["features"][0]["geometry"]
    Region.objects.filter(pk=village.pk).update(
        geometry={"type": "Polygon", "coordinates": [[[118.8, 25.4], [118.81, 25.4], [118.81, 25.41], [118.8, 25.4]]]}
    )
    assert _regions(client, 3, zoom=16)["features"][0]["geometry"] == before  # cached
    grid_index.invalidate()
    assert _regions(client, 3, zoom=16)["features"][0]["geometry"] != before


# ---------------------------------------------------------------------------------------------- cases


@pytest.fixture
def lit_cases(db):
    quanshan, nanxi = _grid("泉山村"), _grid("南溪村")
    return {
        "quanshan": {light: make_case(quanshan, light) for light in ("green", "yellow", "red", "none")},
        "nanxi": {light: make_case(nanxi, light) for light in ("green", "red")},
    }


def test_cases_geojson_holds_only_visible_cases_with_their_light(login, lit_cases):
    data = _cases(login("quanshan"))
    by_id = {f["id"]: f for f in data["features"]}
    assert set(by_id) == {c.pk for c in lit_cases["quanshan"].values()}
    for light, case in lit_cases["quanshan"].items():
        feature = by_id[case.pk]
        assert feature["properties"]["light"] == light
        assert feature["geometry"] == {"type": "Point", "coordinates": [round(case.lon, 6), round(case.lat, 6)]}
    assert by_id[lit_cases["quanshan"]["none"].pk]["properties"]["state"] == "已结案·已整改销号"
    assert data["total"] == 4 and data["truncated"] is False

    county = {f["id"] for f in _cases(login("county"))["features"]}
    assert {c.pk for group in lit_cases.values() for c in group.values()} <= county


def test_case_filters(login, lit_cases):
    client = login("quanshan")
    red = _cases(client, light="red")["features"]
    assert [f["id"] for f in red] == [lit_cases["quanshan"]["red"].pk]
    open_ids = {f["id"] for f in _cases(client, state="open")["features"]}
    assert lit_cases["quanshan"]["none"].pk not in open_ids and len(open_ids) == 3
    assert {f["id"] for f in _cases(client, state="closed")["features"]} == {lit_cases["quanshan"]["none"].pk}
    domain = lit_cases["quanshan"]["green"].domain.code
    assert len(_cases(client, domain=domain)["features"]) == 4
    assert _cases(client, domain="no-such-domain")["features"] == []
    today = clock.now().date()
    assert _cases(client, date_from=str(today + timedelta(days=1)))["features"] == []
    assert len(_cases(client, date_from=str(today - timedelta(days=3)), date_to=str(today))["features"]) == 4
    assert client.get("/map/cases.geojson", {"light": "purple"}).status_code == 400
    bad = client.get("/map/cases.geojson", {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert bad.status_code == 400 and "开始日期" in bad.json()["detail"]


def test_cases_are_capped_and_say_so(login, lit_cases, settings):
    settings.GRIDSAFE_MAP_CASE_LIMIT = 2
    data = _cases(login("county"))
    assert len(data["features"]) == 2 and data["limit"] == 2
    assert data["truncated"] is True and data["total"] >= 6


def test_cases_query_count_is_fixed(login, lit_cases):
    client = login("county")
    domain = lit_cases["nanxi"]["red"].domain.code
    with CaptureQueriesContext(connection) as few:
        assert len(_cases(client, domain=domain)["features"]) >= 6
    grid = _grid("南溪村")
    for i in range(30):
        make_case(grid, ("green", "yellow", "red", "none")[i % 4], days_ago=i / 10)
    with CaptureQueriesContext(connection) as many:
        assert len(_cases(client, domain=domain)["features"]) >= 36
    assert len(many) == len(few)


def test_department_sees_county_regions_but_only_its_cases(login, lit_cases):
    client = login("fire")
    assert len(_regions(client, 2)["features"]) == 24  # 18 乡镇(街道) + 6 管委会
    assert _cases(client)["features"] == []  # nothing dispatched to the fire brigade yet


# ---------------------------------------------------------------------------------------------- grid panel


def test_grid_panel_stats_and_latest_cases(login, lit_cases):
    grid = _grid("泉山村")
    page = login("quanshan").get(f"/map/grid/{grid.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert grid.name in html and "榜头镇" in html
    assert page.context["totals"] == {"open": 3, "overdue": 1, "resolved": 1, "total": 4}
    assert re.search(r'data-stat="open">3<', html) and re.search(r'data-stat="overdue">1<', html)
    assert re.search(r'data-stat="resolved">1<', html)
    domain_names = {row["domain__name"] for row in page.context["by_domain"]}
    assert domain_names == {lit_cases["quanshan"]["green"].domain.name}
    for case in lit_cases["quanshan"].values():
        assert f'href="/cases/{case.pk}/"' in html
    assert "<script" not in html


def test_grid_panel_is_404_outside_the_jurisdiction(login, lit_cases):
    nanxi_grid = _grid("南溪村")
    client = login("quanshan")
    assert client.get(f"/map/grid/{nanxi_grid.code}/").status_code == 404
    assert client.get(f"/map/grid/{_village('泉山村').code}/").status_code == 404  # a village is not a grid
    assert client.get("/map/grid/999999999999999/").status_code == 404
    assert login("county").get(f"/map/grid/{nanxi_grid.code}/").status_code == 200
    worker = login("nanxi_worker")
    own, other = worker.get(f"/map/grid/{nanxi_grid.code}/"), worker.get(f"/map/grid/{_grid('泉山村').code}/")
    assert own.status_code == 200 and other.status_code == 404


def test_grid_panel_query_count_is_fixed(login, lit_cases):
    grid = _grid("泉山村")
    client = login("quanshan")
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/map/grid/{grid.code}/").status_code == 200
    used = lit_cases["quanshan"]["green"].domain_id
    others = list({c.domain_id: c for c in Category.objects.exclude(domain_id=used).order_by("-code")}.values())[:3]
    assert len(others) == 3
    for i in range(20):
        make_case(grid, ("green", "red", "none")[i % 3], category=others[i % 3], days_ago=i)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/map/grid/{grid.code}/")
    assert len(page.context["by_domain"]) >= 3 and len(page.context["latest"]) == 8
    assert len(many) == len(few)


# ---------------------------------------------------------------------------------------------- browser


def _points_away_from(polygon, centre: Point, count: int, min_distance: float) -> list[tuple[float, float]]:
    """Points inside the grid, well away from where the test clicks (a marker there would take the click)."""
    minx, miny, maxx, maxy = polygon.bounds
    found = []
    steps = 24
    for i in range(1, steps):
        for j in range(1, steps):
            p = Point(minx + (maxx - minx) * i / steps, miny + (maxy - miny) * j / steps)
            if p.x > centre.x and polygon.buffer(-0.0003).contains(p) and p.distance(centre) >= min_distance:
                found.append((p.x, p.y))
    found.sort(key=lambda xy: -Point(xy).distance(centre))
    return found[:count]


@pytest.mark.browser
def test_map_in_a_browser_without_tiles(committed_world, serial_live_server, browser_page):
    """`serial_live_server` is the project's live_server, except on in-memory SQLite where the live server's threads share
    one connection: there it takes one request at a time (the map page fires four requests at once, and
    concurrent session saves on the shared connection fail as 400 SessionInterrupted)."""
    page, base = browser_page, serial_live_server
    grids = Region.objects.filter(level=RegionLevel.GRID, path__startswith=BANGTOU + ".")
    grid = max(grids, key=lambda g: shape(g.geometry).area)
    centre = Point(grid.center_lon, grid.center_lat)
    points = _points_away_from(shape(grid.geometry), centre, 3, 0.0025)
    assert len(points) == 3
    for light, point in zip(("red", "yellow", "green"), points, strict=True):
        make_case(grid, light, point=point)
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{base}/login/?next=/map/")
    page.fill("input[name=username]", "county")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/map/.*"))
    # The CSP forbids eval, so waits go through locators (Playwright's own isolated world), not wait_for_function.
    expect(page.locator("path.map-region--l2")).to_have_count(24)
    expect(page.locator("path.map-region--l1")).to_have_count(1)
    expect(page.locator(".map-label--l2")).to_have_count(24)
    expect(page.locator("#gs-map")).to_have_attribute("data-cases", re.compile(r"^([3-9]|\d\d+)$"))
    expect(page.locator("#map-status")).to_contain_text("条隐患")
    assert "榜头镇" in page.locator(".leaflet-labels-pane").inner_text()
    page.screenshot(path="/tmp/map-county.png")

    # A shared link to the grid (#zoom/lat/lon), then a click in the middle of the map: on the grid.
    page.goto(f"{base}/map/#15/{grid.center_lat}/{grid.center_lon}")
    expect(page.locator(f"path.map-code-{grid.code}")).to_have_count(1)
    page.wait_for_timeout(400)  # let the zoom animation settle
    box = page.locator("#gs-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    panel = page.locator(f"#map-panel [data-grid-code='{grid.code}']")
    panel.wait_for()
    assert grid.name in panel.locator(".map-panel-title").inner_text()
    assert panel.locator("[data-stat=open]").inner_text() == "3"
    assert panel.locator("[data-stat=overdue]").inner_text() == "1"
    assert panel.locator(".map-latest a").count() == 3
    page.wait_for_timeout(300)
    page.screenshot(path="/tmp/map.png")

    page.click("[data-map-close]")
    assert page.locator("#map-panel").is_hidden()
    page.check("input[data-map-toggle=heat]")
    page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached")

    assert not [url for url in failed if not url.endswith("/favicon.ico")], failed
    errors = [e for e in page.console_errors if not ("Failed to load resource" in e and failed)]
    assert errors == [], errors
