"""随手拍 in real Chromium: photo, place from the browser's location, description, phone verified by an SMS code (the
messaging app's send_sms, log backend), a 受理编号, and the progress page with the phone's last four digits. And the
spam guards without a browser: honeypot, code attempts, per-phone daily limit."""

import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from playwright.sync_api import expect

from gridsafe.cases.tests.helpers import jpeg_bytes, jpeg_upload, village_grid_point
from gridsafe.channels.models import CitizenRequest, SmsCode
from gridsafe.channels.services.citizen import citizen_request_accept
from gridsafe.core.fields import blind_index


class _Codes(logging.Handler):
    """The SMS texts the log backend wrote: the code is read from there, as a person reads their phone."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.texts: list[str] = []

    def emit(self, record):
        self.texts.append(record.getMessage())

    def last_code(self) -> str:
        return re.findall(r"code=(\d{6})", " ".join(self.texts))[-1]


@pytest.fixture
def sms_codes():
    handler = _Codes()
    logger = logging.getLogger("gridsafe.messaging")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.mark.browser
def test_snap_flow_in_a_browser(serial_live_server, committed_world, browser_page, sms_codes, tmp_path):
    page = browser_page
    lon, lat = village_grid_point("南溪村")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": lat, "longitude": lon})
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{serial_live_server}/snap/")
    photo = tmp_path / "scene.jpg"
    photo.write_bytes(jpeg_bytes())
    page.set_input_files("input[name=photo]", str(photo))
    page.select_option("select[name=category]", "fire-ebike-indoor")
    page.fill("textarea[name=description]", "南溪村后街出租房楼道里有电动车在充电")
    page.click("#snap-locate")
    expect(page.locator("#snap-where")).to_contain_text("当前位置")
    page.fill("#snap-phone", "13905947788")
    page.click("#snap-send-code")
    expect(page.locator("#snap-code-status")).to_contain_text("验证码已发送")
    page.fill("#snap-code", sms_codes.last_code())
    page.click("#snap-submit")
    number = page.locator("#snap-number").inner_text()
    assert re.fullmatch(r"QZ\d{12}", number)
    row = CitizenRequest.objects.get(number=number)
    assert (row.channel, row.phone, row.category.code) == ("snap", "13905947788", "fire-ebike-indoor")
    assert row.region_path.startswith("350322.101.") and row.photo

    page.get_by_role("link", name="查询进度", exact=True).click()
    page.fill("input[name=last4]", "0000")
    page.click("button[type=submit]")
    assert "不正确" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=last4]", "7788")
    page.click("button[type=submit]")
    assert "等待网格化中心审核" in page.locator("#snap-progress").inner_text()

    citizen_request_accept(request_id=row.pk, actor=committed_world["bangtou"])
    page.goto(f"{serial_live_server}/snap/ticket/{number}/")
    page.fill("input[name=last4]", "7788")
    page.click("button[type=submit]")
    progress = page.locator("#snap-progress").inner_text()
    assert "已受理" in progress and "办理中" in progress
    row.refresh_from_db()
    assert row.case.attachments.count() == 1  # the photo went with it
    assert page.console_errors == []


def _form(**extra):
    lon, lat = village_grid_point("南溪村")
    return {
        "category": "fire-ebike-indoor",
        "description": "楼道里电动车充电",
        "lat": str(lat),
        "lon": str(lon),
        "phone": "13905947788",
        "photo": jpeg_upload(),
        **extra,
    }


def test_snap_spam_guards(client, db, sms_codes):
    # The honeypot: a bot that fills every field is refused and nothing is stored or sent.
    assert client.post("/snap/code/", {"phone": "13905947788", "website": "x"}).status_code == 422
    assert client.post("/snap/", _form(website="http://spam", code="123456")).status_code == 422
    assert not SmsCode.objects.exists() and not CitizenRequest.objects.exists()
    # A code is tried at most five times, then a new one is needed.
    assert client.post("/snap/code/", {"phone": "13905947788"}).json()["ok"]
    code = sms_codes.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/snap/", _form(code=wrong)).status_code == 422
    refused = client.post("/snap/", _form(code=code))
    assert refused.status_code == 422 and "验证码" in refused.content.decode()
    # A fresh code works; the same phone may send GRIDSAFE_SNAP_PHONE_DAILY reports a day.
    with override_settings(GRIDSAFE_SNAP_PHONE_DAILY=1):
        client.post("/snap/code/", {"phone": "13905947788"})
        assert client.post("/snap/", _form(code=sms_codes.last_code())).status_code == 201
        client.post("/snap/code/", {"phone": "13905947788"})
        again = client.post("/snap/", _form(code=sms_codes.last_code()))
        assert again.status_code == 422 and "今天已提交" in again.content.decode()
    # Not an image: refused by content.
    client.post("/snap/code/", {"phone": "13905941111"})
    fake = SimpleUploadedFile("x.jpg", b"MZ\x90\x00not a photo", content_type="image/jpeg")
    bad = client.post("/snap/", _form(phone="13905941111", code=sms_codes.last_code(), photo=fake))
    assert bad.status_code == 422
    assert not CitizenRequest.objects.filter(phone_hash=blind_index("13905941111")).exists()
    # Codes are limited per address (and per phone): this client has asked for four already.
    with override_settings(GRIDSAFE_SNAP_CODE_RATE="5/h"):
        assert client.post("/snap/code/", {"phone": "13905940000"}).status_code == 200
        assert client.post("/snap/code/", {"phone": "13905940000"}).status_code == 429


def test_the_snap_map_draws_the_configured_tiles_and_may_load_them(client, db):
    url = "https://tiles.example.cn/{z}/{x}/{y}.png"
    with override_settings(GRIDSAFE_TILE_URL=url):
        page = client.get("/snap/")
    assert f'data-tiles="{url}"' in page.content.decode()
    assert "https://tiles.example.cn" in page.headers["Content-Security-Policy"]  # img-src, as on the other maps
    assert 'data-tiles=""' in client.get("/snap/").content.decode()  # no tiles configured: the plain picker
