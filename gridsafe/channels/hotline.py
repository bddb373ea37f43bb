"""The 12345 platform interface (省/市 12345 政务服务便民热线 platforms differ) and the reference adapter.

A platform adapter does two things: it turns what the platform sends (or what we pull from it) into `WorkOrder`s,
and it pushes our answers back: 签收 (sign), 退单 (return, with a reason), 延期申请 (extend) and 办结回复 (reply,
with the result and photos). `JsonHttpPlatform` speaks the JSON-over-HTTP contract of docs/hotline-12345.md;
another province's platform is another class with the same methods, named by GRIDSAFE_HOTLINE_ADAPTER."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from gridsafe.core.errors import ValidationFailed
from gridsafe.core.signing import signed_headers


@dataclass(frozen=True)
class WorkOrder:
    """One 工单 as every adapter hands it over."""

    order_no: str
    content: str
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    due_at: datetime | None = None
    category: str = ""  # our catalogue code, when the platform already maps its own classification to it
    lon: float | None = None  # WGS-84, when the platform geocoded the address
    lat: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class PushFailed(Exception):
    """The platform did not take a push (network, 5xx, refusal): retried later with backoff."""


class HotlinePlatform(Protocol):
    name: str

    @property
    def configured(self) -> bool:
        """False when there is nowhere to push to yet: replies wait in the outbox, untried, until there is."""
        ...

    def parse_order(self, body: dict[str, Any]) -> WorkOrder: ...

    def pull_orders(self) -> list[WorkOrder]: ...

    def push(self, kind: str, order_no: str, payload: dict[str, Any]) -> None:
        """Deliver one of sign / return / extend / reply; raise PushFailed when the platform did not take it."""
        ...


def _text(body: dict, name: str, limit: int, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str | int):
        raise ValidationFailed(f"字段 {name} 格式不正确")
    value = str(value).strip()
    if required and not value:
        raise ValidationFailed(f"缺少字段 {name}")
    if len(value) > limit:
        raise ValidationFailed(f"字段 {name} 超过 {limit} 字")
    return value


class JsonHttpPlatform:
    """The reference contract (docs/hotline-12345.md): orders arrive by signed POST at
    /api/v1/channels/hotline/orders; our answers are signed JSON POSTs to {base}/orders/{order_no}/{kind}."""

    name = "json-http"

    def __init__(self, base_url: str | None = None, secret: str | None = None, timeout: float | None = None):
        self.base_url = (base_url if base_url is not None else settings.GRIDSAFE_HOTLINE_BASE_URL).rstrip("/")
        self.secret = secret if secret is not None else settings.GRIDSAFE_HOTLINE_SECRET
        self.timeout = timeout or settings.GRIDSAFE_HOTLINE_TIMEOUT

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    def parse_order(self, body: dict[str, Any]) -> WorkOrder:
        if not isinstance(body, dict):
            raise ValidationFailed("工单内容须为 JSON 对象")
        due_raw = _text(body, "deadline", 40)
        due_at = parse_datetime(due_raw) if due_raw else None
        if due_raw and (due_at is None or due_at.tzinfo is None):
            raise ValidationFailed("办理时限 deadline 须为带时区的 ISO 8601 时间")
        lon, lat = body.get("lon"), body.get("lat")
        if (lon is None) != (lat is None) or not all(isinstance(v, int | float) for v in (lon, lat) if v is not None):
            raise ValidationFailed("经纬度 lon/lat 须同时给出且为数字")
        order_no = _text(body, "order_no", 64, required=True)
        if not order_no.replace("-", "").replace("_", "").isalnum():
            raise ValidationFailed("工单编号只能含字母、数字、- 和 _")
        return WorkOrder(
            order_no=order_no,
            content=_text(body, "content", 4000, required=True),
            caller_name=_text(body, "caller_name", 50),
            caller_phone=_text(body, "caller_phone", 20),
            address=_text(body, "address", 200),
            due_at=due_at,
            category=_text(body, "category", 40),
            lon=float(lon) if lon is not None else None,
            lat=float(lat) if lat is not None else None,
            raw={k: v for k, v in body.items() if k not in ("caller_name", "caller_phone")},  # personal data sealed
        )

    def pull_orders(self) -> list[WorkOrder]:
        """Platforms that cannot push: GET {base}/orders?state=new, each order as in a push."""
        response = self._send("GET", "/orders?state=new", None)
        return [self.parse_order(item) for item in response.json().get("orders", [])]

    def push(self, kind: str, order_no: str, payload: dict[str, Any]) -> None:
        self._send("POST", f"/orders/{order_no}/{kind}", payload)

    def _send(self, method: str, path: str, payload: dict | None) -> httpx.Response:
        if not self.base_url:
            raise PushFailed("未配置 12345 平台地址 GRIDSAFE_HOTLINE_BASE_URL")
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        try:
            response = httpx.request(
                method,
                self.base_url + path,
                content=body,
                headers=signed_headers(self.secret, body),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise PushFailed(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise PushFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        return response


def platform() -> HotlinePlatform:
    """The configured adapter (GRIDSAFE_HOTLINE_ADAPTER, a dotted class path; the reference one by default)."""
    return import_string(settings.GRIDSAFE_HOTLINE_ADAPTER)()
