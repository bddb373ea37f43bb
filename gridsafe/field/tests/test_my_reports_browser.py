"""我的上报 in real headless Chromium: 王芳 (nanxi_worker) opens the field app on a phone-sized screen, goes from 本周
to 我的上报, finds her closed report (it no longer disappears), opens it and reads the whole timeline — the centre's
note, the department's return, the leader's red card, the rectification and the check that closed it — and the
result; then 我的 offers 我的上报, 修改密码 and 退出登录."""

import pytest

from gridsafe.cases.tests.helpers import Flow
from gridsafe.field.tests.test_browser import login
from gridsafe.field.tests.test_my_reports import closed_with_history

pytestmark = pytest.mark.browser


def test_my_reports_show_a_closed_report_with_its_timeline(committed_world, pwa_server, browser_page):
    flow = Flow(committed_world)
    closed = closed_with_history(flow)
    still_open = flow.report(description="液化气钢瓶放在地下室")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})

    login(page, pwa_server, "nanxi_worker")
    page.wait_for_selector("#app[data-ready='1']")
    page.click("#week-mine")
    page.wait_for_selector(f"[data-report='{closed.pk}']")
    assert page.text_content("#title") == "我的上报"
    line = page.text_content(f"[data-report='{closed.pk}']")
    assert "已结案·已整改销号" in line and "核查通过" in line and "现场复核，已清理完毕" in line
    assert page.is_visible(f"[data-report='{still_open.pk}']"), page.text_content("#mine-list")
    assert "null" not in page.text_content("#mine-list")

    page.click("#mine-filter [data-filter='closed']")
    page.wait_for_selector(f"[data-report='{closed.pk}']")
    assert not page.query_selector(f"[data-report='{still_open.pk}']")

    page.click(f"[data-report='{closed.pk}']")
    page.wait_for_selector("#report-timeline li")
    timeline = page.text_content("#report-timeline")
    for text in (
        "上报隐患",
        "已收到，转消防大队",
        "回退",
        "请补充楼栋号",
        "督办",
        "三日内整改到位",
        "红牌",
        "提交整改",
        "核查通过",
    ):
        assert text in timeline, text
    assert page.locator("#report-timeline li.standout").count() >= 3  # the note, the return, the red card …
    result = page.text_content("#report-result")
    assert "已结案·已整改销号" in result and "已清理楼道" in result and "现场复核，已清理完毕" in result

    page.click("#account-chip")
    page.wait_for_selector("#signout")
    assert page.get_attribute("#account-password", "href") == "/account/password/"
    page.click("#account-mine")
    page.wait_for_selector(f"[data-report='{closed.pk}']")
    assert page.console_errors == []
