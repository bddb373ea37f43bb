"""A one-time password reset code sent to the user's phone goes through the county's SMS channel of 消息推送 (the
real 阿里云 SDK against the local contract server): the provider gets the 消息模板's template code and the code as
a parameter, the 发送记录 keeps no code, and a refused message issues nothing and tells the administrator why."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from gridsafe.accounts.models import PasswordResetCode, Role, User
from gridsafe.accounts.tests.helpers import make_user
from gridsafe.messaging.models import Delivery, DeliveryStatus, MessageTemplate
from gridsafe.messaging.tests.contract import AliyunSms

pytestmark = pytest.mark.django_db
NEW = "Own-Choice-2026z"
CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def sms_gateway(settings):
    server = AliyunSms().start()
    settings.GRIDSAFE_SMS_BACKEND = "gridsafe.messaging.sms.send_for_accounts"
    settings.GRIDSAFE_MESSAGING_SMS = "aliyun"
    settings.GRIDSAFE_ALIYUN_SMS_ENDPOINT = server.url
    settings.GRIDSAFE_ALIYUN_ACCESS_KEY_ID = "LTAI5tTestKeyId"
    settings.GRIDSAFE_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
    MessageTemplate.objects.create(
        key="password_reset",
        name="密码重置码",
        body="您的密码重置码：{验证码}，{时限}内有效。",
        sms_template_code="SMS_465300010",
    )
    yield server
    server.stop()


@pytest.fixture
def sysadmin_and_worker(client, people):
    admin = make_user("sysadmin8", Role.SYSTEM_ADMIN)
    User.objects.filter(pk=admin.pk).update(is_staff=True)
    worker = people["nanxi_worker"]
    worker.phone = "13812345678"
    worker.save()
    client.force_login(User.objects.get(pk=admin.pk))
    return client, worker


def _issue(client, worker):
    return client.post(reverse("admin:accounts_user_reset_code", args=[worker.pk]), {"delivery": "phone"})


def test_the_reset_code_reaches_the_phone_through_the_sms_channel(sysadmin_and_worker, sms_gateway):
    client, worker = sysadmin_and_worker
    page = _issue(client, worker).content.decode()
    assert "重置码已发送到本人手机 138****5678" in page and not CODE.search(page)
    (sent,) = sms_gateway.sends("13812345678")
    assert sent.query["TemplateCode"] == "SMS_465300010"
    params = json.loads(sent.query["TemplateParam"])
    assert params["deadline"] == "24小时" and CODE.fullmatch(params["code"])
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.purpose == "密码重置码"
    assert params["code"] not in delivery.text and params["code"] not in json.dumps(delivery.params)
    answer = Client().post(
        "/account/reset/",
        {"username": worker.username, "code": params["code"], "new_password1": NEW, "new_password2": NEW},
    )
    assert answer.status_code == 302 and User.objects.get(pk=worker.pk).check_password(NEW)


def test_a_refused_message_issues_no_code_and_says_why(sysadmin_and_worker, sms_gateway):
    client, worker = sysadmin_and_worker
    sms_gateway.script = ["badnumber"]
    response = _issue(client, worker)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="reset-error"' in page and "短信发送失败" in page
    assert "重置码已发送" not in page
    assert not PasswordResetCode.objects.filter(user=worker).exists()  # nothing the user could not receive
