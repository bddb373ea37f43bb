"""The demo's messaging data, and the admin pages that show it: Chinese throughout (the admin walk's own checker,
here with rows in every list), numbers masked, the dead letters' 重新投递 action."""

import pytest
from django.contrib import admin
from django.urls import reverse

from gridsafe.cases.models import CaseEvent
from gridsafe.messaging.demo import seed_messaging_demo
from gridsafe.messaging.models import ChannelRule, DeadLetter, Delivery, WebhookDelivery
from gridsafe.messaging.tests.test_messages_out import report
from gridsafe.ops.tests.test_admin_chinese import Checker, choice_codes

pytestmark = pytest.mark.django_db


def test_demo_history_and_the_admin_pages_in_chinese(client, people, settings):
    settings.GRIDSAFE_2FA_REQUIRED = False
    cases = [report(urgent=True) for _ in range(3)] + [report(urgent=False)]
    # Only the demo's people file has no phones: the command members get plausible ones, sealed and masked.
    first = seed_messaging_demo(seed=1)
    assert first["rules"] == ChannelRule.objects.count() > 0
    assert seed_messaging_demo(seed=1) == {"rules": 0, "deliveries": 0, "webhooks": 0}
    urgent_events = CaseEvent.objects.filter(case__in=cases[:3], kind="case.reported")
    rows = Delivery.objects.filter(event_id__in=urgent_events.values("id"))
    assert rows.count() == 3 and not Delivery.objects.filter(case_id=cases[3].pk).exists()
    row = rows.first()
    assert row.channel == "sms" and row.address_masked[3:7] == "****" and len(row.address) == 11
    # …and keeps it, so the live demo's next urgent report reaches them (by the log backend) too.
    assert row.user.phone == row.address

    WebhookDelivery.objects.filter(pk=WebhookDelivery.objects.first().pk).update(status="dead", attempts=5)
    client.force_login(people["admin"])
    checker = Checker(codes=choice_codes())
    for model in [m for m in admin.site._registry if m._meta.app_label == "messaging"]:
        listing = reverse(f"admin:messaging_{model._meta.model_name}_changelist")
        response = client.get(listing)
        assert response.status_code == 200, listing
        page = response.content.decode()
        assert row.address not in page
        for link in checker.changelist(listing, page)[:2]:
            detail = client.get(link)
            assert detail.status_code == 200
            checker.form(link, detail.content.decode())
            assert row.address not in detail.content.decode()
        add = client.get(reverse(f"admin:messaging_{model._meta.model_name}_add"))
        if add.status_code == 200:
            checker.form(listing + "add/", add.content.decode())
    mine = [f for f in checker.findings if f.part != "sidebar"]  # the sidebar lists other apps' models
    assert not mine, "\n".join(str(f) for f in mine)

    # 重新投递 from the dead-letter list: the demo's platform is unreachable, so it stays a dead letter and says so.
    dead = DeadLetter.objects.filter(status="dead").first()
    settings.GRIDSAFE_MESSAGING_MAX_ATTEMPTS = 1
    WebhookDelivery.objects.filter(pk=dead.pk).update(payload={"event": {"id": 1}})
    from gridsafe.messaging.models import WebhookSubscription

    WebhookSubscription.objects.update(url="http://127.0.0.1:9/unreachable")
    response = client.post(
        reverse("admin:messaging_deadletter_changelist"),
        {"action": "replay", "_selected_action": [dead.pk]},
        follow=True,
    )
    assert "重新投递 1 条，成功送达 0 条" in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == "dead" and "网络错误" in dead.last_error


def test_a_subscription_is_added_and_renamed_in_the_admin_without_showing_its_secret(client, people, settings):
    from gridsafe.messaging.models import WebhookSubscription
    from gridsafe.messaging.services import wants_event

    settings.GRIDSAFE_2FA_REQUIRED = False
    client.force_login(people["admin"])
    assert not wants_event("case.reported")  # nothing listens yet: a report queues no task
    add = reverse("admin:messaging_webhooksubscription_add")
    body = {"name": "福建省应急平台", "url": "https://yj.fj.example.gov.cn/hook", "event_kinds": ["case.reported"]}
    refused = client.post(add, {**body, "active": "on"})
    assert refused.status_code == 200 and "请填写签名密钥" in refused.content.decode()
    assert client.post(add, {**body, "secret": "s3cret-value", "active": "on"}).status_code == 302
    sub = WebhookSubscription.objects.get()
    assert sub.secret == "s3cret-value" and sub.event_kinds == ["case.reported"]
    # The admin saved through the service, which invalidated the event filter: the next report is pushed.
    assert wants_event("case.reported") and not wants_event("case.commented")
    change = reverse("admin:messaging_webhooksubscription_change", args=[sub.pk])
    assert "s3cret-value" not in client.get(change).content.decode()
    assert (
        client.post(change, {**body, "name": "福建省应急管理厅平台", "secret": "", "active": "on"}).status_code == 302
    )
    sub.refresh_from_db()
    assert (sub.name, sub.secret) == ("福建省应急管理厅平台", "s3cret-value")
    delete = reverse("admin:messaging_webhooksubscription_delete", args=[sub.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not WebhookSubscription.objects.exists() and not wants_event("case.reported")
