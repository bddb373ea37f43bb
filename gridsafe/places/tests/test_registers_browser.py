"""The map page in Chromium: the register layers (one per domain) and the township risk colours attach to the
map, load their data and show a legend; the register page opens from the menu."""

import pytest

from gridsafe.dashboards.tests.conftest import session_cookie
from gridsafe.places.models import PlaceKind
from gridsafe.places.registers import place_facts_save, risk_point_save
from gridsafe.places.tests.test_registers import make_place

pytestmark = pytest.mark.browser


def test_map_register_layers_and_risk_colours(committed_world, serial_live_server, browser_page):
    worker = committed_world["nanxi_worker"]
    gas = make_place(worker, "lpg", PlaceKind.LPG_POINT, "陈记小吃")
    place_facts_save(actor=worker, place=gas, values={"role": "餐饮用户"})
    risk_point_save(actor=worker, place=gas, name="后厨钢瓶间", grade="red", control_measures="钢瓶移至地上专用间")
    page = browser_page
    page.context.add_cookies([session_cookie(committed_world["county"], serial_live_server)])
    page.goto(f"{serial_live_server}/map/")
    control = page.locator('.leaflet-control-layers[aria-label="台账图层"]')
    control.hover()
    page.get_by_text("液化气（1）").wait_for()
    page.get_by_text("风险分布（乡镇）").click()
    legend = page.locator(".risk-legend")
    legend.get_by_text("重大风险").wait_for()
    swatch = legend.locator(".reg-swatch").first
    assert swatch.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(217, 52, 43)"
    # The township with the red point is drawn in red (the choropleth paths carry the fill colour).
    assert page.locator('path[fill="#d9342b"]').count() >= 1
    assert not [e for e in page.console_errors if "places" in e or "map_layers" in e], page.console_errors

    page.goto(f"{serial_live_server}/places/registers/")
    page.get_by_role("link", name="液化气").first.click()
    page.get_by_role("link", name="陈记小吃").click()
    page.get_by_text("钢瓶移至地上专用间").wait_for()
