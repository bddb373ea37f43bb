"""The gateway's signature on an alarm: `X-GridSafe-Gateway: <key>`, `X-GridSafe-Timestamp: <unix seconds>` and
`X-GridSafe-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. A timestamp more than five
minutes off, an unknown or stopped gateway, or a signature that does not match is 401 — the same answer for each,
so a prober learns nothing about which gateway keys exist."""

from gridsafe.core.cache import VersionedCache
from gridsafe.core.errors import AuthenticationFailed
from gridsafe.core.signing import fresh, matches, sign  # noqa: F401 (sign: the tests and the bench sign with it)
from gridsafe.video.models import VideoGateway


def _load() -> dict[str, tuple[int, str, int]]:
    return {
        g.key: (g.pk, g.secret, g.actor_id)
        for g in VideoGateway.objects.filter(is_active=True).only("pk", "key", "secret", "actor_id")
    }


# The active gateways' keys and secrets: decrypted once, kept until a gateway changes (services bump it).
gateways = VersionedCache("video_gateways", _load, check_seconds=5)


def verify(
    *, key: str | None, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> int:
    """The id of the gateway that signed `body`, or AuthenticationFailed (401)."""
    refused = AuthenticationFailed("视频网关签名校验失败")
    if not key or not timestamp or not signature:
        raise AuthenticationFailed("缺少 X-GridSafe-Gateway、X-GridSafe-Timestamp 或 X-GridSafe-Signature 请求头")
    if not fresh(timestamp, now):
        raise AuthenticationFailed("请求时间戳无效或与服务器时间相差超过 5 分钟")
    known = gateways.get().get(key)
    if known is None:
        raise refused
    gateway_id, secret, _actor_id = known
    if not matches(secret, timestamp, body, signature):
        raise refused
    return gateway_id
