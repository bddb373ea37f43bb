"""The base map (regions/basemap.py, web/static/web/basemap.js): 天地图 from its key alone, the CSP only when tiles are
configured, the GCJ-02 shift of the JS against regions/coords.py, and in Chromium: 天地图's layers with a switcher
when its tiles answer (served by a route standing in for t0-t7.tianditu.gov.cn, which the test machine cannot
reach), and the plain background with a note when they do not."""

import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from gridsafe.regions.basemap import basemap_config
from gridsafe.regions.coords import from_wgs84
from gridsafe.web.tests.helpers import new_case
from gridsafe.web.tests.test_a11y import AXE, BLOCKING, axe_violations

ROOT = Path(__file__).resolve().parents[3]


def test_no_key_no_tiles(settings):
    settings.GRIDSAFE_TIANDITU_KEY = ""
    settings.GRIDSAFE_TILE_URL = ""
    assert basemap_config() == {"crs": "wgs84", "layers": []}


def test_the_tianditu_key_alone_gives_vector_and_imagery_with_annotations(settings):
    settings.GRIDSAFE_TIANDITU_KEY = "abc123"
    config = basemap_config()
    assert config["crs"] == "wgs84"  # CGCS2000 tiles: the stored coordinates need no shift
    vec, img = config["layers"]
    assert (vec["name"], img["name"]) == ("天地图矢量", "天地图影像")
    assert vec["url"] == (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
        "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abc123"
    )
    assert "/cva_w/wmts?" in vec["labelsUrl"] and "LAYER=cva" in vec["labelsUrl"]
    assert "/img_w/wmts?" in img["url"] and "/cia_w/wmts?" in img["labelsUrl"]
    assert vec["subdomains"] == "01234567"


def test_a_gcj02_provider_is_marked_and_cannot_be_mixed_with_tianditu(settings):
    settings.GRIDSAFE_TILE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"
    settings.GRIDSAFE_TILE_SUBDOMAINS = "1234"
    settings.GRIDSAFE_TILE_CRS = "GCJ-02"
    config = basemap_config()
    assert config["crs"] == "gcj02" and config["layers"][0]["key"] == "custom"
    settings.GRIDSAFE_TIANDITU_KEY = "abc123"
    with pytest.raises(ImproperlyConfigured):
        basemap_config()
    settings.GRIDSAFE_TIANDITU_KEY = ""
    settings.GRIDSAFE_TILE_CRS = "bd09"
    with pytest.raises(ImproperlyConfigured):
        basemap_config()


def img_src(response) -> str:
    return next(d for d in response["Content-Security-Policy"].split(";") if d.strip().startswith("img-src"))


def test_the_csp_allows_the_tile_hosts_only_when_configured(client, people, settings):
    case = new_case(people["nanxi_worker"])
    client.force_login(people["county"])
    pages = ["/map/", f"/cases/{case.pk}/", "/cases/new/", "/supervision/places/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "tianditu" not in img_src(response), url
    settings.GRIDSAFE_TIANDITU_KEY = "abc123"
    for url in pages:
        response = client.get(url)
        assert "https://*.tianditu.gov.cn" in img_src(response), url
        assert "tianditu" not in response["Content-Security-Policy"].replace(img_src(response), ""), url
    case_page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "tk=abc123" in case_page and "/static/web/basemap.js" in case_page
    assert "tianditu" not in img_src(client.get("/notifications/"))  # a page without a map: no tile hosts


@pytest.mark.skipif(not shutil.which("node"), reason="node not installed")
def test_the_js_shift_matches_regions_coords_over_china():
    rng = random.Random(18)
    points = [(rng.uniform(73.7, 135.0), rng.uniform(18.2, 53.5)) for _ in range(300)]
    points += [(118.6 + i / 50, 25.2 + i / 60) for i in range(20)]  # 仙游县
    script = (
        "import { wgsToGcj } from './gridsafe/web/static/web/basemap.js';"
        f"console.log(JSON.stringify({json.dumps(points)}.map(([lon, lat]) => wgsToGcj(lon, lat))));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for (lon, lat), (x, y) in zip(points, json.loads(out.stdout), strict=True):
        gx, gy = from_wgs84(lon, lat, "gcj02")
        assert abs(x - gx) < 1e-9 and abs(y - gy) < 1e-9, (lon, lat, x, y, gx, gy)


# ---------------------------------------------------------------------------------------------- in Chromium


def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 200)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.browser
def test_tianditu_layers_switch_and_fall_back_when_unreachable(
    committed_world, serial_live_server, browser_page, settings
):
    settings.GRIDSAFE_TIANDITU_KEY = "testkey"
    page, base = browser_page, serial_live_server
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "county")
    page.fill("input[name=password]", "gridsafe-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")

    # 天地图 answers (a route stands in for it): 矢量 + 注记 tiles with the key, the switcher, the status line.
    requested = []
    tile = png()

    def serve(route):
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=tile)

    page.route("https://*.tianditu.gov.cn/**", serve)
    page.goto(f"{base}/map/")
    status = page.locator("#gs-map .gs-basemap-status")
    page.wait_for_selector("#gs-map[data-basemap='天地图矢量']")
    assert status.inner_text() == "底图：天地图矢量"
    assert any("/vec_w/wmts?" in u and "tk=testkey" in u for u in requested)
    assert any("/cva_w/wmts?" in u for u in requested)
    assert "map-canvas--plain" not in page.locator("#gs-map").get_attribute("class")
    page.locator(".leaflet-control-layers label:has-text('天地图影像') input").check()
    page.wait_for_selector("#gs-map[data-basemap='天地图影像']")
    assert any("/img_w/wmts?" in u for u in requested) and any("/cia_w/wmts?" in u for u in requested)
    # The switcher and the status line pass the accessibility check too (the axe test runs without tiles).
    serious = [v for v in axe_violations(page, AXE.read_text(encoding="utf-8")) if v["impact"] in BLOCKING]
    assert not serious, serious
    page.locator(".leaflet-control-layers label:has-text('无底图') input").check()
    assert status.inner_text() == "底图：无（区划边界）"

    # Offline (the tiles fail): the plain background, and the map says so.
    page.unroute("https://*.tianditu.gov.cn/**")
    page.route("https://*.tianditu.gov.cn/**", lambda route: route.abort("internetdisconnected"))
    page.goto(f"{base}/map/")
    page.wait_for_selector("#gs-map .gs-basemap-status:has-text('无法加载')")
    assert "已改用无底图背景" in status.inner_text()
    assert "map-canvas--plain" in page.locator("#gs-map").get_attribute("class")
    assert page.locator("#gs-map path.leaflet-interactive").count() > 0  # the region polygons are still drawn
    assert not [e for e in page.console_errors if "basemap" in e or "TypeError" in e], page.console_errors


@pytest.mark.browser
def test_on_gcj02_tiles_the_map_projects_wgs84_overlays_shifted(
    committed_world, serial_live_server, browser_page, settings
):
    """With real Leaflet: a 高德-style provider in GCJ-02; a WGS-84 point lands on the pixel of its GCJ-02 position,
    and a click there comes back as the WGS-84 point."""
    settings.GRIDSAFE_TILE_URL = "https://webrd0{s}.example-gcj.test/appmaptile?x={x}&y={y}&z={z}"
    settings.GRIDSAFE_TILE_SUBDOMAINS = "1234"
    settings.GRIDSAFE_TILE_NAME = "高德矢量"
    settings.GRIDSAFE_TILE_CRS = "gcj02"
    page, base = browser_page, serial_live_server
    tile = png()
    page.route(
        "https://*.example-gcj.test/**", lambda route: route.fulfill(status=200, content_type="image/png", body=tile)
    )
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "county")
    page.fill("input[name=password]", "gridsafe-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    response = page.goto(f"{base}/map/")
    assert "https://*.example-gcj.test" in response.headers["content-security-policy"]
    page.wait_for_selector("#gs-map[data-basemap='高德矢量']")
    wgs, gcj = (25.3621, 118.6946), from_wgs84(118.6946, 25.3621, "gcj02")
    offset, back = page.evaluate(
        """([wgs, gcj]) => {
          const map = document.getElementById("gs-map").gsMap;
          const p = map.options.crs.project(L.latLng(wgs[0], wgs[1]));
          const q = L.CRS.EPSG3857.project(L.latLng(gcj[1], gcj[0]));
          const ll = map.options.crs.unproject(p);
          return [[p.x - q.x, p.y - q.y], [ll.lat, ll.lng]];
        }""",
        [list(wgs), list(gcj)],
    )
    assert abs(offset[0]) < 0.01 and abs(offset[1]) < 0.01  # metres in Web Mercator: on the GCJ-02 spot
    assert abs(back[0] - wgs[0]) < 1e-9 and abs(back[1] - wgs[1]) < 1e-9  # and a click there is the WGS-84 point
    plain = page.evaluate(
        """([wgs]) => { const p = L.CRS.EPSG3857.project(L.latLng(wgs[0], wgs[1]));
          const q = document.getElementById("gs-map").gsMap.options.crs.project(L.latLng(wgs[0], wgs[1]));
          return Math.hypot(p.x - q.x, p.y - q.y); }""",
        [list(wgs)],
    )
    assert 300 < plain < 800  # unshifted, the point would sit this many (Mercator) metres off
