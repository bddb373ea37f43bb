"""The county big screen in headless Chromium: renders at 1920×1080 with no console error (CSP included), updates
itself by polling without growing the page, and keeps the last picture through a network failure."""

import re
import time

import pytest

from gridsafe.dashboards.tests.conftest import session_cookie
from gridsafe.dashboards.tests.screen_data import seed_screen_cases

pytestmark = pytest.mark.browser
NETWORK_NOISE = re.compile(r"Failed to load resource|net::ERR_FAILED|Failed to fetch")
SHOT = "/tmp/screen.png"


def _dom_size(page) -> tuple[int, int]:
    return page.eval_on_selector_all("*", "els => els.length"), page.eval_on_selector_all("canvas", "els => els.length")


def _wait_text(page, selector, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while not re.search(pattern, page.text_content(selector) or ""):
        assert time.monotonic() < deadline, f"{selector}: {page.text_content(selector)!r} never matched {pattern}"
        time.sleep(0.2)


def test_big_screen(committed_world, screen_server, browser_page, settings):
    settings.GRIDSAFE_SCREEN_POLL_SECONDS = 5
    assert seed_screen_cases(cases=60) == 60
    from gridsafe.video.tests.helpers import camera_in

    for serial in range(1, 4):
        camera_in("南溪村", serial)  # the big screen counts the camera register
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.context.add_cookies([session_cookie(committed_world["county"], screen_server)])
    page.goto(f"{screen_server}/screen/")
    _wait_text(page, "#sc-status", r"数据更新于")
    page.wait_for_selector("#chart-ranking canvas")
    page.wait_for_selector(".leaflet-overlay-pane canvas")
    time.sleep(2)  # let the charts finish their entry animation for the picture
    page.screenshot(path=SHOT)
    assert page.console_errors == [], page.console_errors
    assert page.text_content("#c-cameras") == "3"
    assert page.text_content("#c-grids") == "711"
    assert len(page.query_selector_all("#sc-latest li")) == 12
    # Today's reports by their time; older ones with their date (issue 14: "12:05" alone was yesterday's or not).
    stamps = [li.text_content() for li in page.query_selector_all("#sc-latest li .t")]
    assert all(re.fullmatch(r"(\d{2}-\d{2} )?\d{2}:\d{2}", t) for t in stamps), stamps
    assert any(re.fullmatch(r"\d{2}-\d{2} \d{2}:\d{2}", t) for t in stamps), stamps  # the seed spans 25 days
    assert int(page.text_content("#c-open").replace(",", "")) > 0

    # It polls again on its own, updating in place: the page does not grow.
    first = _dom_size(page)
    stamp = page.text_content("#sc-status")
    _wait_text(page, "#sc-status", r"数据更新于 (?!" + re.escape(stamp[-8:]) + ")", timeout=20)
    _wait_text(page, "#sc-status", r"数据更新于", timeout=20)
    time.sleep(6)
    assert _dom_size(page) == first
    assert page.console_errors == [], page.console_errors

    # The network fails: the last picture stays, the status says so, and it recovers by itself.
    page.route(re.compile(r".*/api/v1/stats/screen\?.*"), lambda route: route.abort())
    _wait_text(page, "#sc-status", r"连接中断", timeout=20)
    assert page.text_content("#c-cameras") == "3"
    page.unroute(re.compile(r".*/api/v1/stats/screen\?.*"))
    _wait_text(page, "#sc-status", r"数据更新于", timeout=30)
    assert _dom_size(page) == first
    assert [e for e in page.console_errors if not NETWORK_NOISE.search(e)] == []


def test_region_dashboard_charts(committed_world, screen_server, browser_page):
    seed_screen_cases(cases=25, seed=7)
    page = browser_page
    page.context.add_cookies([session_cookie(committed_world["county"], screen_server)])
    page.goto(f"{screen_server}/dashboards/r/350322/?period=all")
    page.wait_for_selector("[data-chart=modules] canvas")
    page.wait_for_selector("[data-chart=months] canvas")
    page.wait_for_selector("[data-chart=days] canvas")
    time.sleep(1)
    page.screenshot(path="/tmp/dashboard.png", full_page=True)
    assert page.console_errors == [], page.console_errors
