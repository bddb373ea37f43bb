"""The closed loop in a real browser: a grid worker reports through the API, then every step after that is taken
on the web pages by the person whose job it is, ending 已结案·已整改 with the full timeline."""

import io
import uuid

import httpx
import pytest

from gridsafe.web.tests.case_page import confirm

pytestmark = pytest.mark.browser

PASSWORD = "gridsafe-demo"


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (46, 139, 87)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _report_through_api(base: str, worker) -> dict:
    grid = worker.grids.order_by("code").first()
    with httpx.Client(base_url=base, timeout=20) as http:
        token = http.post("/api/v1/auth/token", json={"username": "nanxi_worker", "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        created = http.post(
            "/api/v1/cases",
            headers=headers,
            json={
                "client_id": str(uuid.uuid4()),
                "category": "fire-ebike-indoor",
                "description": "南溪村3号楼楼道内电动车充电，堵塞安全出口",
                "address": "南溪村3号楼一单元",
                "lon": grid.center_lon,
                "lat": grid.center_lat,
                "accuracy_m": 8,
            },
        )
        assert created.status_code == 201, created.text
        case = created.json()
        photo = http.post(
            f"/api/v1/cases/{case['id']}/attachments",
            headers=headers,
            data={"client_id": str(uuid.uuid4()), "role": "report"},
            files={"file": ("report.jpg", _jpeg(), "image/jpeg")},
        )
        assert photo.status_code == 201, photo.text
        return case


def _login(page, base: str, username: str, then: str | None = None) -> None:
    """Signs in and lands on the home page, or on `then` (a URL on `base`) where the next step is: the home page
    is not loaded only to leave it, nor the sign-in page again right after signing out."""
    login = f"{base}/login/" + (f"?next={then.removeprefix(base)}" if then else "")
    if page.url != login:
        page.goto(login)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(then or f"{base}/")
    assert page.locator(".who-name").is_visible()


def _logout(page, base: str) -> None:
    page.click(".who button[type=submit]")
    page.wait_for_url(f"{base}/login/")


def _act(page, action: str, expected_state: str) -> None:
    page.locator(f"details[data-action={action}] > summary").click()
    confirm(page, action, expected_state)


def test_closed_loop_through_the_pages(committed_world, serial_live_server, browser_page):
    page, base, people = browser_page, serial_live_server, committed_world
    case = _report_through_api(base, people["nanxi_worker"])
    case_url = f"{base}/cases/{case['id']}/"

    # 南溪村 station: the queue on the home page leads to the case; escalate (上报) to 榜头镇.
    _login(page, base, "nanxi")
    review = page.locator("a.queue[data-queue=review]")
    assert review.locator(".queue-count").inner_text() == "1"
    review.click()
    page.wait_for_url(f"{base}/cases/?queue=review")
    page.click(f"a[href='/cases/{case['id']}/'] >> nth=0")
    page.wait_for_url(case_url)
    assert "剩余" in page.locator("#case-time-left").inner_text()
    assert page.locator(".case-map .leaflet-interactive").count() >= 1  # the marker (and grid) drawn
    _act(page, "escalate", "待研判")
    assert "乡镇" in page.locator(".facts").inner_text()
    _logout(page, base)

    # 榜头镇 centre escalates to the county centre.
    _login(page, base, "bangtou", then=case_url)
    _act(page, "escalate", "待研判")
    _logout(page, base)

    # County centre dispatches to 县消防救援大队.
    _login(page, base, "county", then=case_url)
    details = page.locator("details[data-action=dispatch]")
    details.locator("summary").click()
    details.locator("select[name=department_id]").select_option(label="县消防救援大队")
    confirm(page, "dispatch", "已派遣")
    _logout(page, base)

    # The fire brigade signs (签收), then submits the rectification with an after photo.
    _login(page, base, "fire")
    assert page.locator("a.queue[data-queue=sign] .queue-count").inner_text() == "1"
    page.goto(case_url)
    _act(page, "start", "处置中")
    details = page.locator("details[data-action=submit]")
    details.locator("summary").click()
    details.locator("textarea[name=measures]").fill("已清理楼道电动车，设置集中充电棚并张贴警示")
    details.locator("input[name=photos]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    confirm(page, "submit", "待核查")
    assert page.locator(".photo-compare .photo-col").nth(1).locator("img").count() == 1
    assert page.locator("details[data-action=verify_pass]").count() == 0  # a handler never verifies own work
    _logout(page, base)

    # The county centre's lead verifies on site: closed as resolved, never just "closed".
    _login(page, base, "county_lead")
    assert page.locator("a.queue[data-queue=verify] .queue-count").inner_text() == "1"
    page.goto(case_url)
    _act(page, "verify_pass", "已结案·已整改销号")
    page.reload()
    assert page.locator("#case-state").inner_text() == "已结案·已整改销号"
    assert page.locator("#timeline > li").count() == 7
    timeline = page.locator("#timeline").inner_text()
    for step in ("上报隐患", "上报上级", "派遣", "签收", "提交整改", "核查通过"):
        assert step in timeline
    page.screenshot(path="/tmp/e2e-case.png", full_page=True)
    assert page.console_errors == [], page.console_errors
    _logout(page, base)

    # 泉山村 is a sibling village: the case does not exist for it.
    _login(page, base, "quanshan")
    response = page.goto(case_url)
    assert response.status == 404
    assert "未找到" in page.locator("main").inner_text()
    assert page.locator(f"text=#{case['id']}").count() == 0
    unexpected = [e for e in page.console_errors if "404" not in e]
    assert unexpected == [], unexpected
