"""A station officer replays a grid worker's patrol in Chromium: from the patrol list to the track, played in
order to its end point on the Leaflet map, with no console error (CSP included)."""

import re
import time
from datetime import timedelta

import pytest

from gridsafe.core import clock
from gridsafe.dashboards.tests.conftest import session_cookie
from gridsafe.dashboards.tests.supervision_data import walk

pytestmark = pytest.mark.browser


def _wait_text(page, selector, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while not re.search(pattern, page.text_content(selector) or ""):
        assert time.monotonic() < deadline, f"{selector}: {page.text_content(selector)!r} never matched {pattern}"
        time.sleep(0.2)


def test_station_officer_replays_a_patrol(committed_world, screen_server, browser_page):
    wang = committed_world["nanxi_worker"]
    grid = wang.grids.order_by("code").first()
    patrol = walk(wang, grid, start=clock.now() - timedelta(hours=3), minutes=30, points=8, seed=5)
    page = browser_page
    page.context.add_cookies([session_cookie(committed_world["nanxi"], screen_server)])

    page.goto(f"{screen_server}/supervision/patrols/")
    row = page.locator("#sv-patrol-rows tbody tr").first
    assert "王芳" in row.text_content() and grid.name in row.text_content()
    row.get_by_role("link", name="轨迹回放").click()
    page.wait_for_url(re.compile(rf".*/supervision/patrols/{patrol.client_id}/$"))
    assert "王芳" in page.text_content("#sv-patrol-title")
    page.wait_for_selector("#sv-replay .leaflet-overlay-pane path")  # the track and the grid drawn
    _wait_text(page, "#sv-clock", r"第 1 / 8 点")

    page.select_option("#sv-speed", "1200")
    page.click("#sv-play")
    assert page.text_content("#sv-play") == "暂停"
    _wait_text(page, "#sv-clock", r"第 8 / 8 点 .* 终点", timeout=20)
    assert page.get_attribute("#sv-replay", "data-index") == "7"
    assert page.text_content("#sv-play") == "播放"  # stopped by itself at the end

    # Seeking back moves the walker to that point.
    page.fill("#sv-seek", "3")
    page.dispatch_event("#sv-seek", "input")
    _wait_text(page, "#sv-clock", r"第 4 / 8 点")
    page.screenshot(path="/tmp/supervision-replay.png", full_page=True)
    assert page.console_errors == [], page.console_errors
