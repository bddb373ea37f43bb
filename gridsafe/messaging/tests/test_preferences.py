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
