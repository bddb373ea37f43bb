"""Messages out, whole stories against local contract servers (real HTTP in a thread; see contract.py): the real
阿里云短信 SDK posts to the SMS contract, WeCom goes to the WeCom contract, webhooks to a receiver that checks the
signature. Cases come in through the intake service, their events go through the real after-commit hook."""

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import TestCase

from gridsafe.accounts.models import User
from gridsafe.cases.events import EventKind
from gridsafe.cases.models import CaseEvent
from gridsafe.cases.services import case_report
from gridsafe.cases.tests.helpers import NANXI, village_grid
from gridsafe.core import clock
from gridsafe.messaging.models import (
    ChannelRule,
    DeadLetter,
    Delivery,
    DeliveryStatus,
    MessageTemplate,
    UserPreference,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)
from gridsafe.messaging.services import channel_rule_save, messages_for_event, webhook_subscription_save
from gridsafe.messaging.tasks import case_messages, messaging_tick
from gridsafe.messaging.tests.contract import AliyunSms, WebhookReceiver, Wecom
from gridsafe.messaging.webhooks import dead_letter_replay

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")
COMMAND_PHONE = "13905940101"


@pytest.fixture
def sms_server(settings):
    server = AliyunSms().start()
    settings.GRIDSAFE_MESSAGING_SMS = "aliyun"
    settings.GRIDSAFE_ALIYUN_SMS_ENDPOINT = server.url
    settings.GRIDSAFE_ALIYUN_ACCESS_KEY_ID = "LTAI5tTestKeyId"
    settings.GRIDSAFE_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
    yield server
    server.stop()


@pytest.fixture
def wecom_server(settings):
    from gridsafe.messaging.channels import WecomAppChannel

    WecomAppChannel._token = None  # a token of an earlier test's server
    server = Wecom().start()
    settings.GRIDSAFE_WECOM_BASE_URL = server.url
    settings.GRIDSAFE_WECOM_ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    settings.GRIDSAFE_WECOM_CORP_ID = "ww0123456789abcdef"
    settings.GRIDSAFE_WECOM_SECRET = "app-secret"
    settings.GRIDSAFE_WECOM_AGENT_ID = "1000002"
    yield server
    server.stop()


@pytest.fixture
def command_user(db):
    """The 榜头镇 专项整治指挥部's member, with a phone (the demo's people file has none)."""
    user = User.objects.get(username="t350322101-command")
    user.phone = COMMAND_PHONE
    user.save()
    return user


def _wecom_report_rule() -> ChannelRule:
    """一般上报 → 指挥部 by WeCom app message (not urgent, so quiet hours and rates apply)."""
    template = MessageTemplate.objects.create(
        key="report_wecom", name="一般上报", body="新上报：{title}（案件{case_no}）"
    )
    return channel_rule_save(
        ChannelRule(
            name="一般上报企业微信通知指挥部",
            event_class="report",
            recipients="command",
            channel="wecom_app",
            template=template,
        )
    )


@pytest.fixture
def urgent_rule(db):
    template = MessageTemplate.objects.create(
        key="urgent_report",
        name="紧急上报",
        body="【网格安全】{place}发生{grade}隐患“{title}”（案件{case_no}），请立即处置。",
        sms_template_code="SMS_465300001",
    )
    return channel_rule_save(
        ChannelRule(
            name="紧急和重大上报短信通知指挥部",
            event_class="urgent_report",
            recipients="command",
            channel="sms",
            template=template,
            urgent=True,
        )
    )


def report(*, urgent: bool, client_id: uuid.UUID | None = None):
    grid = village_grid(NANXI)
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _ = case_report(
            actor=User.objects.get(username="nanxi_worker"),
            client_id=client_id or uuid.uuid4(),
            category_code="fire-ebike-indoor",
            description="楼道内有电动车充电，起火冒烟",
            lon=grid.center_lon,
            lat=grid.center_lat,
            urgent=urgent,
            address="南溪村12号",
        )
    return case


def test_an_urgent_report_sends_one_sms_to_the_command_through_the_sdk(sms_server, command_user, urgent_rule):
    client_id = uuid.uuid4()
    case = report(urgent=True, client_id=client_id)

    sent = sms_server.sends(COMMAND_PHONE)
    assert len(sent) == 1
    request = sent[0]
    assert request.headers["x-acs-action"] == "SendSms" and request.headers["x-acs-version"] == "2017-05-25"
    assert request.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId,")
    assert request.query["TemplateCode"] == "SMS_465300001"
    params = __import__("json").loads(request.query["TemplateParam"])
    assert params["case_no"] == str(case.pk) and params["place"] == "南溪村12号"

    # The same event again (a retried task, a second worker), the same report resent: still one SMS.
    event = CaseEvent.objects.get(case=case, kind=EventKind.CASE_REPORTED)
    case_messages.call(event_id=event.pk)
    assert messages_for_event(event_id=event.pk) == []
    report(urgent=True, client_id=client_id)
    assert len(sms_server.sends(COMMAND_PHONE)) == 1

    log = Delivery.objects.get(event_id=event.pk)
    assert log.status == DeliveryStatus.SENT and log.attempts == 1 and log.backend == "aliyun"
    assert log.address_masked == "139****0101" and log.provider_id

    # An ordinary report is no business of the 指挥部 by SMS.
    report(urgent=False)
    assert len(sms_server.sends(COMMAND_PHONE)) == 1


def test_rate_limit_then_retry_succeeds_and_failures_stop(sms_server, command_user, urgent_rule, settings):
    settings.GRIDSAFE_MESSAGING_RETRY_SECONDS = 60
    sms_server.script = ["limit"]  # 阿里云 answers isv.BUSINESS_LIMIT_CONTROL to the first try
    case = report(urgent=True)
    row = Delivery.objects.get(case_id=case.pk)
    assert row.status == DeliveryStatus.RETRYING and "isv.BUSINESS_LIMIT_CONTROL" in row.last_error
    assert len(sms_server.received) == 1
    first_retry = row.next_attempt_at

    # Before its time the worker leaves it; after it (60 s backoff) the retry goes through.
    messaging_tick(first_retry - timedelta(seconds=1))
    assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.RETRYING
    messaging_tick(first_retry + timedelta(seconds=1))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert len(sms_server.received) == 2  # the refused one and the retry

    # A number the provider calls invalid is not retried.
    sms_server.script = ["badnumber"]
    case2 = report(urgent=True)
    bad = Delivery.objects.get(case_id=case2.pk)
    assert bad.status == DeliveryStatus.FAILED and "isv.MOBILE_NUMBER_ILLEGAL" in bad.last_error


def test_backoff_doubles_and_gives_up_after_max_attempts(sms_server, command_user, urgent_rule, settings):
    settings.GRIDSAFE_MESSAGING_RETRY_SECONDS = 10
    settings.GRIDSAFE_MESSAGING_MAX_ATTEMPTS = 3
    sms_server.script = ["error500"] * 5
    at = clock.now()
    with clock.frozen(at):
        case = report(urgent=True)
    row = Delivery.objects.get(case_id=case.pk)
    assert row.next_attempt_at == at + timedelta(seconds=10)
    messaging_tick(at + timedelta(seconds=11))
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == at + timedelta(seconds=11 + 20)
    messaging_tick(at + timedelta(seconds=40))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 3
    messaging_tick(at + timedelta(hours=2))
    assert len(sms_server.received) == 3


def _holder_lead_rule(channel="wecom_app"):
    template = MessageTemplate.objects.create(
        key=f"supervised_{channel}",
        name="督办",
        body="案件{case_no}“{title}”被督办，承办单位：{unit}，时限{deadline}。",
    )
    return channel_rule_save(
        ChannelRule(
            name="督办通知承办单位负责人",
            event_class="supervised",
            recipients="holder_lead",
            channel=channel,
            template=template,
        )
    )


def test_quiet_hours_defer_until_they_end_but_urgent_goes_at_once(sms_server, command_user, urgent_rule, wecom_server):
    # The command member keeps quiet 22:00–07:00; an urgent SMS still goes at 23:30.
    UserPreference.objects.create(user=command_user, quiet_start=time(22), quiet_end=time(7))
    night = datetime(2026, 12, 1, 23, 30, tzinfo=CST)
    with clock.frozen(night):
        report(urgent=True)
    assert len(sms_server.sends(COMMAND_PHONE)) == 1

    # A non-urgent WeCom message to the same person at night waits until 07:00.
    _wecom_report_rule()
    UserPreference.objects.filter(user=command_user).update(wecom_userid="ChenShuQiang")
    with clock.frozen(night):
        case = report(urgent=False)
    row = Delivery.objects.get(case_id=case.pk, channel="wecom_app")
    assert row.status == DeliveryStatus.DEFERRED
    assert row.next_attempt_at == datetime(2026, 12, 2, 7, 0, tzinfo=CST)
    messaging_tick(datetime(2026, 12, 2, 6, 59, tzinfo=CST))
    assert [r.path for r in wecom_server.received if r.path == "/cgi-bin/message/send"] == []
    messaging_tick(datetime(2026, 12, 2, 7, 0, 30, tzinfo=CST))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    sent = [r for r in wecom_server.received if r.path == "/cgi-bin/message/send"]
    assert len(sent) == 1 and sent[0].json()["touser"] == "ChenShuQiang"
    assert sent[0].json()["agentid"] == 1000002 and f"案件{case.pk}" in sent[0].json()["text"]["content"]


def test_per_recipient_rate_folds_the_excess_into_the_daily_digest(wecom_server, command_user, settings):
    settings.GRIDSAFE_MESSAGING_RATE = "2/h"
    MessageTemplate.objects.create(key="daily_digest", name="每日汇总", body="今日另有{count}条消息：{items}")
    _wecom_report_rule()
    morning = datetime(2026, 12, 1, 9, 0, tzinfo=CST)
    with clock.frozen(morning):
        cases = [report(urgent=False) for _ in range(4)]
    statuses = [Delivery.objects.get(case_id=c.pk).status for c in cases]
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.DIGESTED, DeliveryStatus.DIGESTED]
    app_sends = lambda: [r.json() for r in wecom_server.received if r.path == "/cgi-bin/message/send"]  # noqa: E731
    assert len(app_sends()) == 2

    # Next morning's digest: one message with the two folded ones; a second tick sends nothing more.
    messaging_tick(datetime(2026, 12, 2, 8, 5, tzinfo=CST))
    messaging_tick(datetime(2026, 12, 2, 8, 6, tzinfo=CST))
    assert len(app_sends()) == 3
    digest_text = app_sends()[-1]["text"]["content"]
    assert (
        digest_text.startswith("今日另有2条消息")
        and f"#{cases[2].pk}" in digest_text
        and f"#{cases[3].pk}" in digest_text
    )


def test_group_robot_and_switched_off_sms(wecom_server, sms_server, command_user, urgent_rule):
    template = MessageTemplate.objects.create(
        key="robot_urgent", name="群通报", body="### 紧急上报\n案件{case_no}：{title}"
    )
    channel_rule_save(
        ChannelRule(
            name="紧急上报群机器人",
            event_class="urgent_report",
            recipients="command",
            channel="wecom_robot",
            template=template,
        )
    )
    UserPreference.objects.create(user=command_user, sms_enabled=False)
    case = report(urgent=True)
    robot = [r for r in wecom_server.received if r.path == "/cgi-bin/webhook/send"]
    assert len(robot) == 1 and robot[0].query["key"] == "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    assert robot[0].json()["msgtype"] == "markdown" and f"案件{case.pk}" in robot[0].json()["markdown"]["content"]
    assert sms_server.received == []
    assert Delivery.objects.get(case_id=case.pk, channel="sms").status == DeliveryStatus.SKIPPED


def test_webhooks_are_signed_retried_dead_lettered_and_replayed(settings):
    settings.GRIDSAFE_MESSAGING_MAX_ATTEMPTS = 3
    settings.GRIDSAFE_MESSAGING_RETRY_SECONDS = 30
    receiver = WebhookReceiver().start()
    try:
        sub = webhook_subscription_save(
            WebhookSubscription(
                name="莆田市综治平台",
                url=receiver.url + "/gridsafe/events",
                secret=receiver.secret,
                event_kinds=["case.reported"],
            )
        )
        at = clock.now()
        with clock.frozen(at):
            case = report(urgent=False)
        delivered = receiver.delivered()
        assert len(delivered) == 1
        body = delivered[0].json()
        assert body["event"]["kind"] == "case.reported" and body["case"]["id"] == case.pk
        assert body["county_code"] == "350322" and "caller_phone" not in body["case"]
        assert delivered[0].headers["x-gridsafe-event"] == "case.reported"

        # The platform is down: three tries with backoff, then a 死信; the admin's replay delivers it.
        receiver.script = ["down"] * 3
        with clock.frozen(at):
            case2 = report(urgent=False)
        row = WebhookDelivery.objects.get(subscription=sub, payload__case__id=case2.pk)
        assert row.status == WebhookStatus.RETRYING and row.response_status == 503
        messaging_tick(at + timedelta(seconds=31))
        messaging_tick(at + timedelta(seconds=31 + 61))
        row.refresh_from_db()
        assert row.status == WebhookStatus.DEAD and row.attempts == 3
        assert list(DeadLetter.objects.filter(status=WebhookStatus.DEAD)) == [row]
        assert dead_letter_replay([row.pk]) == 1
        row.refresh_from_db()
        assert row.status == WebhookStatus.DELIVERED
        assert len(receiver.delivered()) == 2 and receiver.delivered()[-1].json()["case"]["id"] == case2.pk

        # A forged secret on our side would be refused by the receiver: the signature is what it checks.
        sub.secret = "wrong"
        webhook_subscription_save(sub)
        report(urgent=False)
        assert receiver.received[-1].status == 401
    finally:
        receiver.stop()


@pytest.mark.django_db(transaction=True)
def test_two_workers_processing_one_urgent_event_at_once_send_one_sms(committed_world, sms_server):
    """PostgreSQL: the task run twice at the same moment (two workers, a redelivered job): one SMS."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("threads need a real database server")
    user = User.objects.get(username="t350322101-command")
    user.phone = COMMAND_PHONE
    user.save()
    grid = village_grid(NANXI)
    case, _ = case_report(  # committed at once (no transaction around the test): no rule yet, no task
        actor=User.objects.get(username="nanxi_worker"),
        client_id=uuid.uuid4(),
        category_code="fire-ebike-indoor",
        description="配电箱冒烟",
        lon=grid.center_lon,
        lat=grid.center_lat,
        urgent=True,
    )
    template = MessageTemplate.objects.create(
        key="u", name="紧急上报", body="案件{案件编号}", sms_template_code="SMS_1"
    )
    channel_rule_save(
        ChannelRule(
            name="紧急",
            event_class="urgent_report",
            recipients="command",
            channel="sms",
            template=template,
            urgent=True,
        )
    )
    event = CaseEvent.objects.get(case=case, kind=EventKind.CASE_REPORTED)
    start = threading.Barrier(4)
    errors = []

    def worker():
        try:
            start.wait()
            case_messages.call(event_id=event.pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(sms_server.sends(COMMAND_PHONE)) == 1
    assert Delivery.objects.get(event_id=event.pk).status == DeliveryStatus.SENT
