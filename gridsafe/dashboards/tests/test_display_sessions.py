"""大屏显示会话: an administrator issues a long-lived, read-only display session for one region in the admin (the
URL with its secret is shown once), the display opens the big screen and its feeds and nothing else, it is not ended
by idleness but by its expiry or a revocation (seen at the next poll), and issue and revocation are audited."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from freezegun import freeze_time

import gridsafe.urls  # noqa: F401  (the API's schemas are built before freezegun swaps datetime)
from gridsafe.core import clock
from gridsafe.core.errors import NotPermitted
from gridsafe.core.models import AuditEvent
from gridsafe.dashboards.display import COOKIE, display_issue
from gridsafe.dashboards.models import DisplaySession
from gridsafe.regions.models import Region

BANGTOU = "350322101"
LICHENG = "350322001"
ADD = "/admin/dashboards/displaysession/add/"
LIST = "/admin/dashboards/displaysession/"
POLL = {"X-GridSafe-Poll": "1"}


@pytest.fixture
def case(flow):
    return flow.dispatched()


def _issue_in_admin(client, admin_user, *, code=BANGTOU, name="榜头镇指挥中心大屏") -> str:
    client.force_login(admin_user)
    response = client.post(ADD, {"name": name, "region_code": code, "days": "30"})
    assert response.status_code == 302, response.content.decode()[:2000]
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    found = re.search(r"http://testserver(/screen/display/[^/\s]+/)", text)
    assert found, text
    client.logout()
    return found.group(1)


def _display(url: str) -> Client:
    wall = Client()
    response = wall.get(url)
    assert response.status_code == 302 and response["Location"] == "/screen/"
    assert response.cookies[COOKIE]["httponly"]
    return wall


def test_issue_open_poll_and_revoke(client, people, case):
    admin_user = people["admin"]
    url = _issue_in_admin(client, admin_user)
    display = DisplaySession.objects.get()
    assert display.region.code == BANGTOU and display.issued_by == admin_user
    assert url.split("/")[-2] not in display.secret_hash  # only a digest is kept
    issued = AuditEvent.objects.get(action="display.issued")
    assert issued.actor == admin_user and issued.payload["region"] == BANGTOU

    wall = _display(url)
    page = wall.get("/screen/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-display="1"' in html and "榜头镇" in html and 'data-feed="/api/v1/stats/screen?node=350322101"' in html
    assert "no-store" in page["Cache-Control"]

    # The feed is the region's, the same a 榜头镇 centre operator sees.
    feed = wall.get("/api/v1/stats/screen", {"node": BANGTOU}, headers=POLL)
    assert feed.status_code == 200, feed.content
    person = Client()
    person.force_login(people["bangtou"])
    same = person.get("/api/v1/stats/screen", {"node": BANGTOU}).json()
    assert [r["id"] for r in feed.json()["latest"]] == [r["id"] for r in same["latest"]]
    assert feed.json()["counters"] == same["counters"]
    assert wall.get("/api/v1/stats/screen").json()["node"]["code"] == BANGTOU  # its own region by default
    assert wall.get("/api/v1/stats/screen/regions").status_code == 200
    # Outside its region: 404, like a person's 辖区.
    assert wall.get("/api/v1/stats/screen", {"node": LICHENG}).status_code == 404
    assert wall.get("/api/v1/stats/screen", {"node": "350322"}).status_code == 404
    assert wall.get("/screen/", {"node": LICHENG}).status_code == 404

    # Nothing else: pages, other API endpoints, the admin, writes.
    for path in ("/", "/cases/", "/cases/export.csv", "/dashboards/", "/map/", "/m/", "/admin/", "/notifications/"):
        assert wall.get(path).status_code == 404, path
    for path in ("/api/v1/cases", "/api/v1/me", f"/api/v1/cases/{case.pk}", "/api/v1/stats/regions"):
        assert wall.get(path).status_code == 404, path
    assert wall.post("/api/v1/cases", {}, content_type="application/json").status_code == 404
    assert wall.post("/api/v1/stats/screen").status_code == 404

    # Revoked in the admin: the next poll is refused and the cookie dropped.
    client.force_login(admin_user)
    response = client.post(LIST, {"action": "revoke", "_selected_action": [display.pk]})
    assert response.status_code == 302
    display.refresh_from_db()
    assert display.revoked_at is not None and display.revoked_by == admin_user
    assert AuditEvent.objects.get(action="display.revoked").actor == admin_user
    refused = wall.get("/api/v1/stats/screen", headers=POLL)
    assert refused.status_code == 401 and refused.json()["code"] == "display_revoked"
    assert refused.cookies[COOKIE].value == ""
    assert Client().get(url).status_code == 404  # the issue URL is dead too


def test_display_is_not_ended_by_idleness_but_by_its_expiry(people, db):
    region = Region.objects.get(code=BANGTOU)
    start = clock.now()
    with freeze_time(start) as frozen:
        _display_row, secret = display_issue(actor=people["county"], name="大厅", region=region, days=2)
        wall = _display(f"/screen/display/{secret}/")
        person = Client()
        person.force_login(people["bangtou"])
        person.get("/")
        frozen.move_to(start + timedelta(hours=3))  # hours of polls only
        assert wall.get("/api/v1/stats/screen", headers=POLL).status_code == 200
        assert person.get("/api/v1/stats/screen", headers=POLL).status_code == 401  # a person's session ended
        frozen.move_to(start + timedelta(days=2, minutes=1))
        assert wall.get("/api/v1/stats/screen", headers=POLL).status_code == 401


def test_issuer_needs_the_region_in_their_jurisdiction(people, db):
    with pytest.raises(NotPermitted):
        display_issue(actor=people["bangtou"], name="越权", region=Region.objects.get(code=LICHENG))
    with pytest.raises(NotPermitted):
        display_issue(actor=people["nanxi_worker"], name="越权", region=Region.objects.get(code=BANGTOU))
    assert not DisplaySession.objects.exists()


def test_admin_pages_are_chinese_and_say_why(client, people):
    client.force_login(people["admin"])
    html = client.get(ADD).content.decode()
    assert "签发大屏显示会话" in html and "显示区划代码" in html and "有效期（天）" in html
    assert "后台刷新不算操作" in html
    outside = client.post(ADD, {"name": "x", "region_code": "999", "days": "30"})
    assert outside.status_code == 200 and "没有这个区划代码" in outside.content.decode()


def test_a_person_can_still_open_the_big_screen_and_is_told_to_use_a_display(client, people):
    client.force_login(people["county"])
    html = client.get("/screen/").content.decode()
    assert 'data-display="0"' in html and "墙面大屏请使用管理员签发的大屏显示会话" in html
    assert "30 分钟无操作后将退出登录" in html


@pytest.mark.browser
def test_wall_display_in_chromium_until_revoked(committed_world, screen_server, browser_page, settings):
    """A display opens the big screen from its URL alone (no sign-in), keeps updating, and says so when revoked."""
    from gridsafe.dashboards.display import display_revoke

    settings.GRIDSAFE_SCREEN_POLL_SECONDS = 5
    page = browser_page
    page.set_viewport_size({"width": 1920, "height": 1080})
    display, secret = display_issue(
        actor=committed_world["county"], name="大厅大屏", region=Region.objects.get(code=BANGTOU)
    )
    page.goto(f"{screen_server}/screen/display/{secret}/")
    page.wait_for_url(re.compile(r"/screen/$"))
    page.wait_for_selector("#sc-status:has-text('数据更新于')", timeout=30_000)
    assert "榜头镇" in page.text_content(".sc-title")
    assert page.query_selector("#sc-notice") is None  # no "use a display session" notice on a display
    assert page.goto(f"{screen_server}/cases/").status == 404
    page.goto(f"{screen_server}/screen/")
    page.wait_for_selector("#sc-status:has-text('数据更新于')", timeout=30_000)

    display_revoke(actor=committed_world["county"], display=display)
    page.wait_for_selector("#sc-status:has-text('大屏显示会话已被吊销或已到期')", timeout=30_000)
    errors = [e for e in page.console_errors if "Failed to load resource" not in e]  # the 404 and the 401 above
    assert errors == [], errors
