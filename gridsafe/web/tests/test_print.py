"""Printing (county offices print and file the case page and the bulletins): Chromium renders the pages to PDF in
print media, and the printed text holds the content without the navigation, the action buttons or the forms."""

import io
import unicodedata
from datetime import timedelta

import pytest

from gridsafe.web.tests.helpers import act, new_case

pytestmark = pytest.mark.browser

HIDDEN_IN_PRINT = ("header.topbar", ".case-actions", "form", ".dash-subnav")


def printed_text(page) -> str:
    from pypdf import PdfReader

    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    # The CJK font maps some glyphs to Kangxi radicals (⼝ U+2F1D for 口): NFKC gives the ideographs back.
    return unicodedata.normalize("NFKC", text), len(reader.pages)


def hidden(page, selector: str) -> bool:
    return page.eval_on_selector_all(selector, "els => els.every(el => getComputedStyle(el).display === 'none')")


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "gridsafe-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def test_the_case_page_and_a_bulletin_print_without_navigation(committed_world, serial_live_server, browser_page):
    from gridsafe.core import clock
    from gridsafe.dashboards.bulletins import bulletin_generate
    from gridsafe.dashboards.periods import parse_period

    people, page, base = committed_world, browser_page, serial_live_server
    case = new_case(people["nanxi_worker"], category="fire-escape-blocked", description="安全出口被货物堵塞待清理")
    case = act(case, people["nanxi"], "escalate", reason="需乡镇协调")
    sign_in(page, base, "bangtou")
    page.goto(f"{base}/cases/{case.pk}/")
    page.wait_for_selector(".case-map .leaflet-map-pane", state="attached")
    assert page.locator("header.topbar").is_visible() and page.locator(".case-actions").is_visible()

    page.emulate_media(media="print")
    for selector in HIDDEN_IN_PRINT:
        if page.locator(selector).count():
            assert hidden(page, selector), f"{selector} is printed"
    assert page.eval_on_selector("body", "el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
    assert page.eval_on_selector(".case-description", "el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
    text, pages = printed_text(page)
    assert "安全出口被货物堵塞待清理" in text  # the case itself
    assert "处置过程" in text and "基本情况" in text  # its facts and timeline
    for nav_text in ("隐患列表", "统计看板", "退出", "确认"):
        assert nav_text not in text, f"{nav_text!r} printed"
    assert pages <= 3

    # A bulletin's preview: the document, without the menu or the 监督考核 tabs.
    last_month = (clock.now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    bulletin = bulletin_generate(kind="monthly", period=parse_period(last_month))
    page.emulate_media(media="screen")
    page.goto(f"{base}/bulletins/{bulletin.pk}/")
    assert page.locator(".dash-subnav").is_visible()
    page.emulate_media(media="print")
    text, _pages = printed_text(page)
    assert unicodedata.normalize("NFKC", bulletin.title) in text.replace("\n", "")
    assert unicodedata.normalize("NFKC", "乡镇（街道）排名") in text
    assert hidden(page, ".dash-subnav") and hidden(page, "header.topbar")
    for nav_text in ("隐患列表", "统计看板", "退出", "下载 Word"):
        assert nav_text not in text, f"{nav_text!r} printed"
