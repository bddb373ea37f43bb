"""The camera page and its live view through the video gateway, against a local server speaking the WVP-GB28181-pro
contract (wvp_contract.py): login with the MD5 password, play start with the token, a re-login when the token has
expired, a clear Chinese answer when the gateway fails; and in Chromium, hls.js asks the media server for the
playlist the gateway handed out."""

import pytest

from gridsafe.video import streams
from gridsafe.video.tests.helpers import camera_in
from gridsafe.video.tests.wvp_contract import WvpContract


@pytest.fixture
def gateway_settings(settings):
    def use(contract: WvpContract, password="admin"):
        settings.GRIDSAFE_VIDEO_GATEWAY_URL = contract.url
        settings.GRIDSAFE_VIDEO_GATEWAY_USER = "admin"
        settings.GRIDSAFE_VIDEO_GATEWAY_PASSWORD = password
        settings.GRIDSAFE_VIDEO_MEDIA_ORIGINS = [contract.url]
        streams._backend = None

    yield use
    streams._backend = None


def test_play_address_through_the_wvp_contract(client, people, gateway_settings):
    camera = camera_in("南溪村")
    with WvpContract(devices=[(camera.device_id, camera.channel_id)]) as wvp:
        gateway_settings(wvp)
        client.force_login(people["nanxi"])
        page = client.get(f"/video/cameras/{camera.pk}/")
        assert page.status_code == 200 and camera.name in page.content.decode()
        assert wvp.url in page["Content-Security-Policy"]  # the player may fetch from the media server
        answer = client.get(f"/video/cameras/{camera.pk}/play.json").json()
        assert answer["ok"] and answer["hls"].endswith(f"/rtp/{camera.device_id}_{camera.channel_id}/hls.m3u8")
        assert wvp.paths()[:2] == ["/api/user/login", f"/api/play/start/{camera.device_id}/{camera.channel_id}"]
        wvp.tokens.clear()  # the token expired at the gateway: one new login, then the play succeeds
        assert client.get(f"/video/cameras/{camera.pk}/play.json").json()["ok"]
        assert wvp.paths().count("/api/user/login") == 2
        wvp.devices.clear()  # the gateway no longer knows the channel
        failed = client.get(f"/video/cameras/{camera.pk}/play.json")
        assert failed.status_code == 502 and "通道不存在" in failed.json()["detail"]
    # A camera outside the reader's 辖区 is missing, page and play address alike.
    client.force_login(people["licheng_worker"])
    assert client.get(f"/video/cameras/{camera.pk}/").status_code == 404
    assert client.get(f"/video/cameras/{camera.pk}/play.json").status_code == 404


def test_wrong_gateway_password_is_a_clear_error(client, people, gateway_settings):
    camera = camera_in("南溪村")
    with WvpContract(devices=[(camera.device_id, camera.channel_id)]) as wvp:
        gateway_settings(wvp, password="wrong")
        client.force_login(people["nanxi"])
        failed = client.get(f"/video/cameras/{camera.pk}/play.json")
        assert failed.status_code == 502 and "登录失败" in failed.json()["detail"]


def test_no_gateway_configured_says_so(client, people, settings):
    settings.GRIDSAFE_VIDEO_GATEWAY_URL = ""
    streams._backend = None
    camera = camera_in("南溪村")
    client.force_login(people["nanxi"])
    answer = client.get(f"/video/cameras/{camera.pk}/play.json").json()
    assert answer["ok"] is False and "未配置视频网关" in answer["detail"]


@pytest.mark.browser
def test_the_browser_player_asks_the_media_server_for_the_playlist(
    committed_world, serial_live_server, browser_page, gateway_settings
):
    from gridsafe.dashboards.tests.conftest import session_cookie

    camera = camera_in("南溪村")
    with WvpContract(devices=[(camera.device_id, camera.channel_id)]) as wvp:
        gateway_settings(wvp)
        page = browser_page
        page.context.add_cookies([session_cookie(committed_world["nanxi"], serial_live_server)])
        page.goto(f"{serial_live_server}/video/cameras/{camera.pk}/")
        page.wait_for_function(
            "() => document.getElementById('video-player').dataset.source !== undefined", timeout=15_000
        )
        page.wait_for_timeout(1500)
        assert f"/rtp/{camera.device_id}_{camera.channel_id}/hls.m3u8" in wvp.paths()  # hls.js fetched it
        csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
        assert csp_errors == []


@pytest.mark.browser
def test_the_map_shows_the_cameras_layer(committed_world, serial_live_server, browser_page):
    from gridsafe.dashboards.tests.conftest import session_cookie

    camera_in("南溪村", 1)
    camera_in("南溪村", 2, is_online=False)
    page = browser_page
    page.context.add_cookies([session_cookie(committed_world["bangtou"], serial_live_server)])
    page.goto(f"{serial_live_server}/map/")
    page.wait_for_function("() => document.getElementById('gs-map') && document.getElementById('gs-map').gsMap")
    page.evaluate(
        """() => {
        const label = [...document.querySelectorAll('.leaflet-control-layers label')]
            .find(l => l.textContent.trim() === '摄像机');
        label.querySelector('input').click();
    }"""
    )
    page.wait_for_function("() => document.getElementById('gs-map').dataset.cameras === '2'", timeout=45_000)
    assert page.locator("path.video-camera-marker").count() == 2
    page.locator("path.video-camera-marker").first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    assert "/video/cameras/" in link.get_attribute("href")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
