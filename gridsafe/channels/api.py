"""The channels app's API under /api/v1/channels/: what the 12345 platform sends us (docs/hotline-12345.md).

No bearer token here: the platform signs each request with the shared secret (X-GridSafe-Timestamp,
X-GridSafe-Signature); a bad or stale signature is 401, a bad body 422 (problem+json), and a resend of an order
already taken is answered 200 with the same case."""

import json
import logging
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status

from gridsafe.channels.hotline import platform
from gridsafe.channels.services.hotline import hotline_order_receive, hotline_visit_record
from gridsafe.core.errors import AuthenticationFailed, ValidationFailed
from gridsafe.core.problem import Problem
from gridsafe.core.ratelimit import ratelimit
from gridsafe.core.signing import SIG_HEADER, TS_HEADER, verify

log = logging.getLogger("gridsafe.channels")
router = Router(tags=["channels"])


class HotlineOrderIn(Schema):
    """The 工单 as the platform sends it (documented here for the OpenAPI page; the body is read raw, as signed)."""

    order_no: str
    content: str
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    deadline: str | None = None
    category: str = ""
    lon: float | None = None
    lat: float | None = None


class HotlineOrderOut(Schema):
    order_no: str
    case_id: int | None
    state: str
    duplicate: bool


class HotlineVisitIn(Schema):
    satisfaction: Literal["satisfied", "basic", "dissatisfied", "unreached"]
    comment: str = ""


class HotlineVisitOut(Schema):
    order_no: str
    satisfaction: str


def _signed_body(request: HttpRequest) -> dict:
    problem = verify(
        settings.GRIDSAFE_HOTLINE_SECRET, request.headers.get(TS_HEADER), request.headers.get(SIG_HEADER), request.body
    )
    if problem:
        log.warning("12345 request refused: %s", problem)
        raise AuthenticationFailed("签名无效或已过期")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationFailed("请求体不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise ValidationFailed("请求体须为 JSON 对象")
    return body


@router.post(
    "/hotline/orders",
    auth=None,
    response={200: HotlineOrderOut, 201: HotlineOrderOut, 401: Problem, 422: Problem, 429: Problem},
    operation_id="hotline_order_receive",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": HotlineOrderIn.json_schema()}}}},
)
@ratelimit("hotline", "600/m", key="ip")
def hotline_order_post(request: HttpRequest):
    """接收 12345 工单. 201 with the new case; 200 with the same case for a resend of the same 工单编号."""
    adapter = platform()
    order, created = hotline_order_receive(order=adapter.parse_order(_signed_body(request)), source=adapter)
    out = HotlineOrderOut(order_no=order.order_no, case_id=order.case_id, state=order.state, duplicate=not created)
    return Status(201 if created else 200, out)


@router.post(
    "/hotline/orders/{order_no}/visit",
    auth=None,
    response={200: HotlineVisitOut, 401: Problem, 422: Problem, 429: Problem},
    operation_id="hotline_visit_record",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": HotlineVisitIn.json_schema()}}}},
)
@ratelimit("hotline", "600/m", key="ip")
def hotline_visit_post(request: HttpRequest, order_no: str):
    """回访/满意度 of an order: recorded on its case and counted in 12345满意率. The first 回访 is kept."""
    body = _signed_body(request)
    comment = body.get("comment") or ""
    if not isinstance(comment, str):
        raise ValidationFailed("回访意见 comment 须为文字")
    order = hotline_visit_record(
        order_no=order_no[:64], satisfaction=str(body.get("satisfaction") or ""), comment=comment
    )
    return HotlineVisitOut(order_no=order.order_no, satisfaction=order.satisfaction)
