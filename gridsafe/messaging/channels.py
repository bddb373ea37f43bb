"""One interface for every way a message leaves GridSafe: `Channel.send(recipient, message) -> DeliveryResult`.

Backends (settings, from the environment):

* SMS — GRIDSAFE_MESSAGING_SMS: "log" (default; the `gridsafe.messaging` logger) or "aliyun" (阿里云短信 through its
  SDK `alibabacloud_dysmsapi20170525`, SendSms; GRIDSAFE_ALIYUN_SMS_ENDPOINT points it elsewhere, tests at a local
  contract server).
* 企业微信群机器人 — GRIDSAFE_WECOM_ROBOT_KEY set: POST {base}/cgi-bin/webhook/send?key=…; otherwise "log".
* 企业微信应用消息 — GRIDSAFE_WECOM_CORP_ID + GRIDSAFE_WECOM_SECRET + GRIDSAFE_WECOM_AGENT_ID set: gettoken then
  message/send; otherwise "log". GRIDSAFE_WECOM_BASE_URL (default https://qyapi.weixin.qq.com) for both.

A backend never raises for a refusal it understands: it answers DeliveryResult(ok=False, retry=…, error=…). `retry`
says whether trying later can help (rate limits, network, 5xx) or not (an invalid number, a missing template)."""

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from django.conf import settings

logger = logging.getLogger("gridsafe.messaging")


@dataclass(frozen=True)
class Message:
    """What to say. `template`/`params` for template-only channels (SMS); `text` for the others (and the log)."""

    text: str
    template: str = ""
    params: dict[str, str] = field(default_factory=dict)
    title: str = ""
    markdown: bool = False


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    backend: str
    provider_id: str = ""
    error: str = ""
    retry: bool = False


class Channel(Protocol):
    name: str

    def send(self, recipient: str, message: Message) -> DeliveryResult: ...


class LogChannel:
    """Development and tests: the message goes to the log, nowhere else."""

    name = "log"

    def __init__(self, kind: str):
        self.kind = kind
        self.sent: list[tuple[str, Message]] = []

    def send(self, recipient: str, message: Message) -> DeliveryResult:
        logger.info("%s to %s: %s", self.kind, recipient[:3] + "…", message.text)
        return DeliveryResult(ok=True, backend=self.name, provider_id=f"LOG{time.time_ns()}")


# Aliyun codes where a later try may pass; the others (isv.MOBILE_NUMBER_ILLEGAL, isv.SMS_TEMPLATE_ILLEGAL, …) won't.
ALIYUN_RETRYABLE = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User", "SignatureNonceUsed"}


class AliyunSmsChannel:
    """阿里云短信服务 SendSms (API version 2017-05-25) through the official SDK."""

    name = "aliyun"

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client  # type: ignore[import-untyped]
        from alibabacloud_tea_openapi import models as open_api_models  # type: ignore[import-untyped]

        endpoint = settings.GRIDSAFE_ALIYUN_SMS_ENDPOINT
        protocol = "https"
        if "://" in endpoint:
            protocol, endpoint = endpoint.split("://", 1)
        config = open_api_models.Config(
            access_key_id=settings.GRIDSAFE_ALIYUN_ACCESS_KEY_ID,
            access_key_secret=settings.GRIDSAFE_ALIYUN_ACCESS_KEY_SECRET,
            endpoint=endpoint.rstrip("/"),
            protocol=protocol.upper(),
            read_timeout=10000,
            connect_timeout=5000,
        )
        self.client = Client(config)

    def send(self, recipient: str, message: Message) -> DeliveryResult:
        from alibabacloud_dysmsapi20170525 import models as sms_models  # type: ignore[import-untyped]
        from alibabacloud_tea_util import models as util_models  # type: ignore[import-untyped]

        if not message.template:
            return DeliveryResult(ok=False, backend=self.name, error="短信只能按平台模板发送：未配置模板编号")
        request = sms_models.SendSmsRequest(
            phone_numbers=recipient,
            sign_name=settings.GRIDSAFE_ALIYUN_SMS_SIGN_NAME,
            template_code=message.template,
            # 阿里云 caps a variable at 35 characters (a 验证码 variable at 6 digits): cut here, not refused there.
            template_param=json.dumps({k: str(v)[:35] for k, v in message.params.items()}, ensure_ascii=False)
            if message.params
            else None,
        )
        try:
            response = self.client.send_sms_with_options(request, util_models.RuntimeOptions(autoretry=False))
        except Exception as exc:  # network, 5xx, an unreadable answer: the SDK raises TeaException and others
            code = getattr(exc, "code", "") or type(exc).__name__
            return DeliveryResult(ok=False, backend=self.name, error=f"{code}: {exc}"[:500], retry=True)
        body = response.body
        if body.code == "OK":
            return DeliveryResult(ok=True, backend=self.name, provider_id=body.biz_id or "")
        return DeliveryResult(
            ok=False,
            backend=self.name,
            error=f"{body.code}: {body.message}"[:500],
            retry=body.code in ALIYUN_RETRYABLE,
        )


_client: httpx.Client | None = None


def http() -> httpx.Client:
    """One HTTP client per process, kept: a new one per request builds an SSL context each time (~25 ms of CPU a
    send, bench/messaging_send.py)."""
    global _client
    if _client is None:
        _client = httpx.Client(timeout=10)
    return _client


def _wecom_result(backend: str, response: httpx.Response) -> DeliveryResult:
    if response.status_code >= 500:
        return DeliveryResult(ok=False, backend=backend, error=f"HTTP {response.status_code}", retry=True)
    try:
        data = response.json()
    except ValueError:
        return DeliveryResult(
            ok=False, backend=backend, error=f"HTTP {response.status_code}: 应答不是 JSON", retry=True
        )
    errcode = data.get("errcode", -1)
    if errcode == 0:
        return DeliveryResult(ok=True, backend=backend, provider_id=str(data.get("msgid", "")))
    # -1 系统繁忙, 45009 接口调用超过限制, 45033 并发过多: later may pass
    return DeliveryResult(
        ok=False,
        backend=backend,
        error=f"errcode {errcode}: {data.get('errmsg', '')}"[:500],
        retry=errcode in (-1, 45009, 45033, 42001, 40014),
    )


def _wecom_payload(message: Message) -> dict:
    if message.markdown:
        return {"msgtype": "markdown", "markdown": {"content": message.text}}
    return {"msgtype": "text", "text": {"content": message.text}}


class WecomRobotChannel:
    """企业微信群机器人: POST /cgi-bin/webhook/send?key=KEY with a text or markdown message. The recipient is the
    robot's key (a unit's group) or "" for the configured one."""

    name = "wecom_robot"

    def send(self, recipient: str, message: Message) -> DeliveryResult:
        key = recipient or settings.GRIDSAFE_WECOM_ROBOT_KEY
        url = settings.GRIDSAFE_WECOM_BASE_URL.rstrip("/") + "/cgi-bin/webhook/send"
        try:
            response = http().post(url, params={"key": key}, json=_wecom_payload(message))
        except httpx.HTTPError as exc:
            return DeliveryResult(ok=False, backend=self.name, error=f"网络错误: {exc}"[:500], retry=True)
        return _wecom_result(self.name, response)


class WecomAppChannel:
    """企业微信应用消息: GET /cgi-bin/gettoken?corpid&corpsecret (token kept until expires_in), then
    POST /cgi-bin/message/send?access_token=… {touser, msgtype, agentid, text|markdown}. Recipient: the userid."""

    name = "wecom_app"
    _lock = threading.Lock()
    _token: tuple[str, float] | None = None

    def _base(self) -> str:
        return settings.GRIDSAFE_WECOM_BASE_URL.rstrip("/")

    def _access_token(self, *, fresh: bool = False) -> str:
        with self._lock:
            cached = WecomAppChannel._token
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
            response = http().get(
                self._base() + "/cgi-bin/gettoken",
                params={"corpid": settings.GRIDSAFE_WECOM_CORP_ID, "corpsecret": settings.GRIDSAFE_WECOM_SECRET},
                timeout=10,
            )
            data = response.json()
            if data.get("errcode", 0) != 0:
                raise RuntimeError(f"gettoken errcode {data.get('errcode')}: {data.get('errmsg', '')}")
            token = data["access_token"]
            WecomAppChannel._token = (token, time.monotonic() + int(data.get("expires_in", 7200)) - 300)
            return token

    def send(self, recipient: str, message: Message) -> DeliveryResult:
        payload = {
            "touser": recipient,
            "agentid": int(settings.GRIDSAFE_WECOM_AGENT_ID or 0),
            **_wecom_payload(message),
        }
        try:
            for fresh in (False, True):
                token = self._access_token(fresh=fresh)
                response = http().post(
                    self._base() + "/cgi-bin/message/send", params={"access_token": token}, json=payload
                )
                result = _wecom_result(self.name, response)
                if result.ok or "errcode 42001" not in result.error and "errcode 40014" not in result.error:
                    return result  # 42001 token expired / 40014 invalid token: fetch a fresh one once
            return result
        except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as exc:
            return DeliveryResult(ok=False, backend=self.name, error=f"{exc}"[:500], retry=True)


_log_channels: dict[str, LogChannel] = {}


def channel_for(kind: str) -> Channel:
    """The configured backend of a channel kind ("sms", "wecom_robot", "wecom_app")."""
    if kind == "sms" and settings.GRIDSAFE_MESSAGING_SMS == "aliyun":
        return AliyunSmsChannel()
    if kind == "wecom_robot" and settings.GRIDSAFE_WECOM_ROBOT_KEY:
        return WecomRobotChannel()
    if kind == "wecom_app" and settings.GRIDSAFE_WECOM_CORP_ID and settings.GRIDSAFE_WECOM_SECRET:
        return WecomAppChannel()
    return _log_channels.setdefault(kind, LogChannel(kind))
