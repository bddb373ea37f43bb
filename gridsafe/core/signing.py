"""Signed JSON over HTTP between GridSafe and the systems around it, one scheme for every direction: the video
gateways' alarms (video.signing), the 12345 platform's work orders and our replies (docs/hotline-12345.md) and the
outbound webhooks (messaging.webhooks). `X-GridSafe-Timestamp: <unix seconds>` and `X-GridSafe-Signature:
sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. A timestamp more than `MAX_SKEW` seconds off is
refused, so a captured request cannot be replayed later; within the window the receiver's idempotency answers a
replay once."""

import hashlib
import hmac
import time

MAX_SKEW = 300
TS_HEADER = "X-GridSafe-Timestamp"
SIG_HEADER = "X-GridSafe-Signature"


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TS_HEADER: timestamp, SIG_HEADER: sign(secret, timestamp, body), "Content-Type": "application/json"}


def fresh(timestamp: str, now: float | None = None) -> bool:
    """The timestamp is a whole number of seconds within MAX_SKEW of now."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs((now if now is not None else time.time()) - sent) <= MAX_SKEW


def matches(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> str:
    """'' when the request is good, else why not (for the log; the caller answers 401 without detail)."""
    if not secret:
        return "no shared secret configured"
    if not timestamp or not signature:
        return "missing signature headers"
    if not fresh(timestamp, now):
        return "timestamp outside the window"
    if not matches(secret, timestamp, body, signature):
        return "bad signature"
    return ""
