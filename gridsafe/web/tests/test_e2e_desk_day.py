"""The desk's day in a real browser (issue 14): the county grid centre registers a 12345 call, sends it back to the
grid worker to check on site (she answers in the field app with a photo, the clock paused meanwhile), dispatches it
to 县消防救援大队 (主办) with 县燃气 as co-handler (协办); the lead cannot submit before the co-handler's part is in;
both handle; the lead submits; the leader supervises it from the cockpit; the worker verifies it in the field app;
her 我的上报 shows the whole timeline."""

import io
import re

import pytest

from gridsafe.field.tests.test_browser import login as field_login
from gridsafe.field.tests.test_browser import wait_for_db, wait_synced
from gridsafe.web.tests.case_page import confirm

pytestmark = pytest.mark.browser

PASSWORD = "gridsafe-demo"


def _jpeg(colour=(46, 139, 87)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _photo(name: str, colour=(46, 139, 87)) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": _jpeg(colour)}


def _signed_out(page) -> None:
    """Leave the page first, so that no poll still in flight brings the last person's session cookie back."""
    page.goto("about:blank")
    page.context.clear_cookies()


def _login(page, base: str, username: str, then: str | None = None) -> None:
    """Signs in and lands on the home page, or on `then` (a URL on `base`) where the next step is: the home page
    is not loaded only to leave it."""
    _signed_out(page)
    page.goto(f"{base}/login/" + (f"?next={then.removeprefix(base)}" if then else ""))
    if not page.locator("input[name=username]").count():
        page.screenshot(path="/tmp/e2e_login.png")
        raise AssertionError(f"no login form at {page.url}: {page.content()[:1500]}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(then or re.compile(rf"{re.escape(base)}/(cockpit/|dashboards/cockpit/)?$"))


def _phone(page, base: str, grid):
    """The worker's phone: a fresh browser context (its own cookies, service worker and outbox) at her grid."""
    context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"latitude": grid.center_lat, "longitude": grid.center_lon, "accuracy": 10})
    phone = context.new_page()
    phone.console_errors = []
    phone.on("console", lambda msg: phone.console_errors.append(msg.text) if msg.type == "error" else None)
    phone.on("pageerror", lambda exc: phone.console_errors.append(str(exc)))
    phone.set_default_timeout(30_000)
    return phone


def _open_action(page, action: str):
    details = page.locator(f"details[data-action={action}]")
    if not details.count():
        page.screenshot(path=f"/tmp/e2e_{action}.png", full_page=True)
        who = page.locator(".who").inner_text() if page.locator(".who").count() else "?"
        panel = page.locator(".case-actions").inner_text() if page.locator(".case-actions").count() else page.url
        raise AssertionError(f"no {action} for {who} at {page.url}: {panel}")
    details.locator("summary").click()
    return details


def test_the_desk_registers_a_hotline_case_and_it_is_handled_jointly_to_closure(
    committed_world, serial_live_server, browser_page
):
    from gridsafe.cases.models import Case

    page, base, people = browser_page, serial_live_server, committed_world
    grid = people["nanxi_worker"].grids.order_by("code").first()

    # 县网格化中心 registers a 12345 call from the menu: caller, category, place found by name, county level, photo.
    _login(page, base, "county")
    page.click("nav a:has-text('案件登记')")
    page.wait_for_url(f"{base}/cases/new/")
    page.check("input[name=source][value=hotline]")
    page.fill("input[name=caller_name]", "陈晓红")
    page.fill("input[name=caller_phone]", "13812345678")
    page.select_option("select[name=category]", "fire-escape-blocked")
    page.fill("textarea[name=description]", "市民来电：南溪村一商铺安全出口被货物堵塞")
    page.fill("#register-search", grid.name)
    page.click(f".register-hit[data-name='{grid.name}']")
    assert "已选位置" in page.locator("#register-point").inner_text()
    page.select_option("select[name=start_level]", "3")
    page.set_input_files("input[name=photos]", files=[_photo("call.jpg")])
    page.click("#register-submit")
    page.wait_for_url(re.compile(r"/cases/\d+/\?done=register$"))
    case_url = page.url.split("?")[0]
    case_id = int(case_url.rstrip("/").split("/")[-1])
    facts = page.locator(".facts").inner_text()
    assert "12345" in facts and "138****5678" in facts and "13812345678" not in facts
    assert "县" in page.locator("#case-clock-step").inner_text()  # the county's 审核转送 clock runs

    # 退回核实: back to the grid worker of that grid; the clock pauses and says so.
    details = _open_action(page, "request_info")
    details.locator("textarea[name=reason]").fill("请到现场核实堵塞情况并拍照")
    confirm(page, "request_info", "待研判")
    assert "计时暂停" in page.locator("#case-clock").inner_text()

    # 王芳 answers in the field app, under 退回, with a photo (her own phone: a browser context of its own).
    desk_page = page
    page = phone = _phone(page, base, grid)
    field_login(page, base, "nanxi_worker")
    page.wait_for_selector("body[data-bundle]", state="attached", timeout=60_000)
    page.click("a[data-tab=returned]")
    page.wait_for_selector(f"button[data-supply='{case_id}']")
    card = page.locator(".card", has=page.locator(f"button[data-supply='{case_id}']"))
    card.locator("textarea").fill("现场核实：安全出口堆放纸箱约2立方米")
    card.locator("input[type=file]").set_input_files(files=[_photo("onsite.jpg", (180, 60, 40))])
    card.locator(".thumbs img").wait_for()
    page.click(f"button[data-supply='{case_id}']")
    wait_for_db(lambda: Case.objects.get(pk=case_id).with_worker_id is None)
    wait_synced(page)
    page = desk_page

    # The county dispatches: 县消防救援大队 leads, 县燃气 co-handles; the deadline defaults to the time limit.
    _login(page, base, "county", then=case_url)
    assert "剩余" in page.locator("#case-time-left").inner_text()  # the clock runs again
    details = _open_action(page, "dispatch")
    details.locator("select[name=department_id]").select_option(label="县消防救援大队")
    gas = people["gas"].unit
    details.locator(f"input[name=co_department_ids][value='{gas.pk}']").check()
    assert details.locator("input[name=due_at]").input_value()  # prefilled from the category's limit
    confirm(page, "dispatch", "已派遣")
    assert gas.name in page.locator("#case-parts").inner_text()

    # The lead signs; its submit waits for the co-handler's part.
    _login(page, base, "fire", then=case_url)
    _open_action(page, "start")
    confirm(page, "start", "处置中")
    assert "处置" in page.locator("#case-clock-step").inner_text()
    details = _open_action(page, "submit")
    details.locator("textarea[name=measures]").fill("已清理安全出口")
    details.locator("input[name=photos]").set_input_files(files=[_photo("after.jpg")])
    with page.expect_response(lambda r: "/actions/submit/" in r.url) as answer:
        details.locator("button[type=submit]").click()
    assert answer.value.status == 409
    page.wait_for_selector("#msg-submit:has-text('协办单位尚未反馈')")

    # 县燃气 finds it under 协办, signs and reports its part with a photo.
    _login(page, base, "gas")
    assist = page.locator("a.queue[data-queue=assist]")
    assert assist.locator(".queue-count").inner_text() == "1"
    page.goto(case_url)
    _open_action(page, "assist_start")
    confirm(page, "assist_start", "处置中")
    details = _open_action(page, "assist_report")
    details.locator("textarea[name=report]").fill("已检查商铺燃气管线，关闭违规钢瓶")
    details.locator("input[name=photos]").set_input_files(files=[_photo("gas.jpg", (60, 60, 180))])
    confirm(page, "assist_report", "处置中")
    assert "已反馈" in page.locator("#case-parts").inner_text()

    # Now the lead submits.
    _login(page, base, "fire", then=case_url)
    details = _open_action(page, "submit")
    details.locator("textarea[name=measures]").fill("已清理安全出口，燃气部门已关闭违规钢瓶")
    details.locator("input[name=photos]").set_input_files(files=[_photo("after.jpg")])
    confirm(page, "submit", "待核查")

    # The leader supervises it; the cockpit lists it under 督办.
    _login(page, base, "leader", then=case_url)
    details = _open_action(page, "supervise")
    details.locator("select[name=level]").select_option("yellow")
    details.locator("textarea[name=instruction]").fill("请尽快核查销号")
    confirm(page, "supervise", "待核查")
    page.goto(f"{base}/")
    page.wait_for_selector("#cockpit-supervised")
    assert f"#{case_id}" in page.locator("#cockpit-supervised").inner_text()
    assert page.locator(".who-name").inner_text() == "张书记"

    # 王芳 verifies on site in the field app; the case closes as resolved.
    assert [e for e in page.console_errors if "409 (Conflict)" not in e] == []  # only the refused early submit
    # Her phone, still signed in (a second sign-in on a fresh phone cost a second service worker install): the app
    # opened afresh loads her work, now with the case to verify.
    page = phone
    page.goto(f"{base}/m/")
    page.wait_for_selector("body[data-bundle]", state="attached", timeout=60_000)
    page.click("a[data-tab=verify]")
    page.wait_for_selector(f"button[data-pass='{case_id}']")
    page.click(f"button[data-pass='{case_id}']")
    wait_for_db(lambda: Case.objects.get(pk=case_id).closure == "resolved")
    wait_synced(page)

    # Her 我的上报 has the case she checked, with the whole timeline.
    page.goto(f"{base}/m/#week")
    page.click("#week-mine")
    page.wait_for_selector(f"[data-report='{case_id}']")
    page.click(f"[data-report='{case_id}']")
    page.wait_for_selector("#report-timeline li")
    timeline = page.text_content("#report-timeline")
    for text in (
        "上报隐患",
        "退回核实/补充",
        "核实补充",
        "派遣",
        "协办签收",
        "协办反馈",
        "提交整改",
        "督办",
        "核查通过",
    ):
        assert text in timeline, text
    assert "已结案·已整改销号" in page.text_content("#report-result")
    assert page.console_errors == []  # the phone's, from her first sign-in on
    page.context.close()
