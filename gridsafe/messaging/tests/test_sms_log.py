import pytest

from gridsafe.messaging.models import Delivery, DeliveryStatus, MessageTemplate
from gridsafe.messaging.sms import send_sms


@pytest.mark.django_db
def test_send_sms_through_the_log_backend_is_logged_masked_and_without_the_code():
    MessageTemplate.objects.create(key="verify_code", name="验证码", body="您的验证码为{code}，5分钟内有效。")
    result = send_sms("13812345678", "verify_code", {"code": "482913"}, purpose="随手拍验证码")
    assert result.ok and result.backend == "log"
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.SENT and row.address_masked == "138****5678"
    assert row.address == "13812345678"  # decrypts for the sender; stored sealed
    assert "482913" not in row.text and "482913" not in str(row.params)
    again = send_sms("13812345678", "verify_code", {"code": "482913"}, purpose="随手拍验证码", key="k1")
    repeat = send_sms("13812345678", "verify_code", {"code": "482913"}, purpose="随手拍验证码", key="k1")
    assert again.ok and repeat.ok and Delivery.objects.count() == 2


@pytest.mark.django_db
def test_a_rule_added_in_the_admin_reaches_the_event_filter_at_once():
    from gridsafe.messaging.models import ChannelRule
    from gridsafe.messaging.services import channel_rule_delete, channel_rule_save, wants_event

    assert not wants_event("case.supervised")  # no rule, no subscription: a 督办 queues no task
    template = MessageTemplate.objects.create(key="t", name="督办", body="案件{案件编号}被督办")
    rule = channel_rule_save(
        ChannelRule(name="督办", event_class="supervised", recipients="holder_lead", channel="sms", template=template)
    )
    assert wants_event("case.supervised") and not wants_event("case.commented")
    channel_rule_delete(rule)
    assert not wants_event("case.supervised")


@pytest.mark.django_db
def test_the_worker_sends_what_is_due(monkeypatch):
    from datetime import timedelta

    from django.core.management import call_command

    from gridsafe.core import clock
    from gridsafe.ops.management.commands import worker

    # The tick's oversight calendar would write last month's bulletin (charts, a DOCX: most of this test's time);
    # the worker's calendar jobs are dashboards/tests/test_schedule.py's. Here: the messages.
    monkeypatch.setattr(worker, "oversight_tick", lambda: [])

    due = Delivery.objects.create(
        key="w1",
        channel="wecom_app",
        purpose="督办",
        address="WangFang",
        text="案件1被督办",
        status=DeliveryStatus.RETRYING,
        attempts=1,
        next_attempt_at=clock.now() - timedelta(seconds=1),
    )
    later = Delivery.objects.create(
        key="w2",
        channel="wecom_app",
        purpose="督办",
        address="WangFang",
        text="案件2被督办",
        status=DeliveryStatus.DEFERRED,
        next_attempt_at=clock.now() + timedelta(hours=1),
    )
    call_command("worker", "--once")
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, due.attempts, due.backend) == (DeliveryStatus.SENT, 2, "log")
    assert later.status == DeliveryStatus.DEFERRED
