"""The idle warning in real Chromium (web/session.js, an ES module under the site's CSP): two minutes before the idle
limit a dialog says so, 继续 extends the session on the server, and at the limit the tab goes to the login page,
which says why."""

import re
import time

import pytest

from gridsafe.dashboards.tests.conftest import session_cookie

pytestmark = pytest.mark.browser


def _dialog_open(page) -> bool:
    return page.eval_on_selector("#idle-dialog", "d => d.open")


def test_warning_continue_and_sign_out(committed_world, serial_live_server, browser_page, settings):
    page = browser_page
    settings.SESSION_COOKIE_AGE = 124  # the warning (120 s before the end) comes 4 s after the page loads
    page.context.add_cookies([session_cookie(committed_world["county"], serial_live_server)])
    page.goto(f"{serial_live_server}/")
    assert not _dialog_open(page)
    page.wait_for_selector("#idle-dialog[open]", timeout=15_000)
    assert page.text_content("#idle-text") == "您将在 2 分钟后因长时间未操作而退出登录"
    page.click("#idle-continue")  # a real request: the session has its full 124 s again
    page.wait_for_selector("#idle-dialog:not([open])", state="attached", timeout=5_000)
    assert page.evaluate("() => window.GridsafeSession.deadline() - Date.now()") > 120_000

    settings.SESSION_COOKIE_AGE = 8
    page.goto(f"{serial_live_server}/cases/")
    page.wait_for_url(re.compile(r"/login/\?.*idle=1"), timeout=30_000)
    assert "因长时间未操作，您已退出登录" in page.text_content("main")
    assert "next=%2Fcases%2F" in page.url
    time.sleep(0.5)
    assert page.request.get(f"{serial_live_server}/cases/", max_redirects=0).status == 302  # ended on the server
    assert page.console_errors == [], page.console_errors
