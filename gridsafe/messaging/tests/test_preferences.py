from datetime import time

import pytest

from gridsafe.messaging.models import Delivery, UserPreference

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["nanxi_worker", "fire_lead", "leader", "county"])
def test_every_role_reaches_its_preferences_from_the_menu_and_saves_them(client, people, username):
    user = people[username]
    client.force_login(user)
    home = client.get("/messaging/preferences/")
    assert home.status_code == 200
    page = home.content.decode()
    assert 'href="/messaging/preferences/"' in page and "消息推送设置" in page  # the menu links here

    Delivery.objects.create(
        key="k1", channel="sms", purpose="督办", user=user, address="13912345678", text="案件1被督办"
    )
    response = client.post(
        "/messaging/preferences/",
        {
            "sms_enabled": "",
            "wecom_enabled": "on",
            "wecom_userid": "WangFang",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert response.status_code == 302
    pref = UserPreference.objects.get(user=user)
    assert (pref.sms_enabled, pref.wecom_enabled, pref.wecom_userid) == (False, True, "WangFang")
    assert (pref.quiet_start, pref.quiet_end) == (time(22), time(7))
    page = client.get("/messaging/preferences/").content.decode()
    assert "139****5678" in page and "13912345678" not in page  # my own log, masked

    bad = client.post("/messaging/preferences/", {"sms_enabled": "on", "quiet_start": "22:00"})
    assert bad.status_code == 422 and "要同时填写" in bad.content.decode()
    assert UserPreference.objects.get(user=user).quiet_start == time(22)  # nothing changed


def test_the_preferences_page_needs_a_login(client):
    assert client.get("/messaging/preferences/").status_code == 302


def test_the_api_reads_and_sets_my_preferences(api_as):
    api = api_as("nanxi_worker")
    assert api.get("/api/v1/messaging/preferences").json() == {
        "sms_enabled": True,
        "wecom_enabled": True,
        "wecom_userid": "",
        "quiet_start": None,
        "quiet_end": None,
    }
    body = {"sms_enabled": False, "wecom_enabled": True, "quiet_start": "21:30", "quiet_end": "06:30"}
    response = api.client.put(
        "/api/v1/messaging/preferences", body, content_type="application/json", headers=api.headers
    )
    assert response.status_code == 200 and response.json()["quiet_start"] == "21:30"
    assert UserPreference.objects.get(user=api.user).sms_enabled is False
    bad = api.client.put(
        "/api/v1/messaging/preferences", {"quiet_start": "21:30"}, content_type="application/json", headers=api.headers
    )
    assert bad.status_code == 422 and "同时填写" in bad.json()["detail"]
    assert UserPreference.objects.get(user=api.user).quiet_end == time(6, 30)
