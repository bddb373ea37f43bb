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
POLL_S = 5  # the screen's shortest poll (screen.js)


def _dom_size(page) -> tuple[int, int]:
    return page.eval_on_selector_all("*", "els => els.length"), page.eval_on_selector_all("canvas", "els => els.length")


def _wait_text(page, selector, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while not re.search(pattern, page.text_content(selector) or ""):
        assert time.monotonic() < deadline, f"{selector}: {page.text_content(selector)!r} never matched {pattern}"
        time.sleep(0.2)


def _next_poll(page, stamp: str, seen_at: float) -> tuple[str, float]:
    """The poll interval passes on the page's clock (Playwright's fake timers jump it, instead of the test waiting
    it out) and the status shows the new poll's time: a later second than `stamp`, so the page's clock is moved only
    once a real second has passed since `stamp` was seen (the server stamps each answer with its own time)."""
    time.sleep(max(0.0, seen_at + 1.05 - time.monotonic()))
    page.clock.fast_forward(POLL_S * 1000)
    _wait_text(page, "#sc-status", r"数据更新于 (?!" + re.escape(stamp[-8:]) + ")", timeout=20)
    return page.text_content("#sc-status"), time.monotonic()


def test_big_screen(committed_world, screen_server, browser_page, settings):
    settings.GRIDSAFE_SCREEN_POLL_SECONDS = POLL_S
    assert seed_screen_cases(cases=60) == 60
    from gridsafe.video.tests.helpers import camera_in

    for serial in range(1, 4):
        camera_in("南溪村", serial)  # the big screen counts the camera register
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.context.add_cookies([session_cookie(committed_world["county"], screen_server)])
    page.clock.install()  # time flows as usual until the test moves it on
    page.goto(f"{screen_server}/screen/")
    _wait_text(page, "#sc-status", r"数据更新于")
    stamp, seen_at = page.text_content("#sc-status"), time.monotonic()
    page.wait_for_selector("#chart-ranking canvas")
    page.wait_for_selector(".leaflet-overlay-pane canvas")
    page.clock.run_for(2000)  # the charts finish their entry animation for the picture (less than a poll)
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

    # It polls again on its own, twice, updating in place: the page does not grow.
    first = _dom_size(page)
    stamp, seen_at = _next_poll(page, stamp, seen_at)
    _next_poll(page, stamp, seen_at)
    assert _dom_size(page) == first
    assert page.console_errors == [], page.console_errors

    # The network fails: the last picture stays, the status says so, and it recovers by itself (one poll later:
    # the first retry waits one interval).
    page.route(re.compile(r".*/api/v1/stats/screen\?.*"), lambda route: route.abort())
    page.clock.fast_forward(POLL_S * 1000)
    _wait_text(page, "#sc-status", r"连接中断", timeout=20)
    assert page.text_content("#c-cameras") == "3"
    page.unroute(re.compile(r".*/api/v1/stats/screen\?.*"))
    page.clock.fast_forward(POLL_S * 1000)
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
