"""The video app's API under /api/v1/video/: the alarm intake of the registered gateways (HMAC-signed, no user)
and the cameras the map shows."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security.base import AuthBase

from gridsafe.core.input import InputSchema
from gridsafe.core.problem import Problem
from gridsafe.video import selectors, services, signing

router = Router(tags=["video"])


class GatewaySignature(AuthBase):
    """X-GridSafe-Gateway / X-GridSafe-Timestamp / X-GridSafe-Signature over the raw body (video.signing)."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-GridSafe-Signature"

    def __call__(self, request: HttpRequest):
        gateway_id = signing.verify(
            key=request.headers.get("X-GridSafe-Gateway"),
            timestamp=request.headers.get("X-GridSafe-Timestamp"),
            signature=request.headers.get("X-GridSafe-Signature"),
            body=request.body,
        )
        request.video_gateway_id = gateway_id  # type: ignore[attr-defined]
        return gateway_id


class VideoAlarmIn(InputSchema):
    alarm_id: str = Field(max_length=64)
    camera_id: str = Field(max_length=64)
    type: str = Field(max_length=40)
    occurred_at: datetime
    confidence: float
    # base64 of at most MAX_SNAPSHOT_BYTES of JPEG (4 bytes for every 3); services says so in Chinese when larger.
    snapshot: str = Field("", max_length=(services.MAX_SNAPSHOT_BYTES + 2) // 3 * 4 + 4)


class VideoAlarmOut(Schema):
    alarm_id: str
    outcome: str
    outcome_label: str
    case_id: int | None
    case_no: str | None = None
    created: bool


@router.post(
    "/alarms",
    auth=GatewaySignature(),
    response={200: VideoAlarmOut, 201: VideoAlarmOut, 401: Problem, 409: Problem, 422: Problem},
    operation_id="video_alarm_receive",
)
def alarm_receive(request: HttpRequest, body: VideoAlarmIn):
    """A video-AI alarm from a registered gateway. 201 when it landed now, 200 for a resend of one that landed."""
    alarm, created = services.alarm_receive(
        gateway_id=request.video_gateway_id,  # type: ignore[attr-defined]
        alarm=services.AlarmIn(
            alarm_id=body.alarm_id,
            camera_id=body.camera_id,
            type=body.type,
            occurred_at=body.occurred_at,
            confidence=body.confidence,
            snapshot=body.snapshot,
        ),
    )
    out = {
        "alarm_id": alarm.alarm_id,
        "outcome": alarm.outcome,
        "outcome_label": alarm.get_outcome_display(),
        "case_id": alarm.case_id,
        "created": created,
    }
    return (201 if created else 200), out


class CameraPointOut(Schema):
    id: int
    name: str
    lon: float
    lat: float
    owner: str
    online: bool


@router.get("/cameras/map", response=list[CameraPointOut], operation_id="video_camera_map", url_name="video_camera_map")
def camera_map(request: HttpRequest):
    """The cameras in the caller's 辖区, for the map layer."""
    return selectors.map_points(request.user)
