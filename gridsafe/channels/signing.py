"""Signed JSON over HTTP between GridSafe and an outside platform (the 12345 contract, docs/hotline-12345.md):
`X-GridSafe-Timestamp: <unix seconds>` and `X-GridSafe-Signature: sha256=<hex HMAC-SHA256(secret, ts + "." +
raw body)>`, the scheme of the video alarms. A timestamp more than `MAX_SKEW` seconds off is refused, so a captured
request cannot be replayed later; within the window the receiver's idempotency (工单编号) answers a replay once."""

import hashlib
import hmac
import time

MAX_SKEW = 300
TS_HEADER = "X-GridSafe-Timestamp"
SIG_HEADER = "X-GridSafe-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TS_HEADER: timestamp, SIG_HEADER: sign(secret, timestamp, body), "Content-Type": "application/json"}


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> str:
    """'' when the request is good, else why not (for the log; the caller answers 401 without detail)."""
    if not secret:
        return "no shared secret configured"
    if not timestamp or not signature:
        return "missing signature headers"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs((now if now is not None else time.time()) - sent) > MAX_SKEW:
        return "timestamp outside the window"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        return "bad signature"
    return ""
