"""Live view through the video gateway, behind one small interface (`StreamBackend.play`).

`WvpBackend` speaks the HTTP API of the open-source GB/T 28181 platform WVP-GB28181-pro (648540858/wvp-GB28181-pro):
  GET /api/user/login?username=<u>&password=<md5 hex of the password>
      → {"code": 0, "msg": …, "data": {"accessToken": "<jwt>", …}} (the token also in the `access-token` header)
  GET /api/play/start/{deviceId}/{channelId} with header `access-token: <jwt>`
      → {"code": 0, "data": StreamContent {"app", "stream", "flv", "https_flv", "ws_flv", "hls", "https_hls", …}}
  A `code` other than 0 is an error (401: the token expired — log in again once; 100: failed, `msg` says why).
`LogBackend` (no gateway configured: development, the demo) logs the request and plays nothing.
Tests run `WvpBackend` against a local server speaking this contract (video/tests/wvp_contract.py)."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from gridsafe.core.errors import DomainError

log = logging.getLogger("gridsafe.video")
TIMEOUT_SECONDS = 15  # WVP answers a play request when the device's stream arrives (its play-timeout)


class GatewayUnavailable(DomainError):
    status = 502
    code = "video_gateway_unavailable"
    title = "视频网关不可用"


@dataclass(frozen=True)
class PlayAddress:
    stream: str
    hls: str
    flv: str
    ws_flv: str


class StreamBackend(Protocol):
    def play(self, *, device_id: str, channel_id: str) -> PlayAddress | None: ...


class LogBackend:
    """No gateway: says what it would have asked for, and plays nothing (the page says so)."""

    def play(self, *, device_id: str, channel_id: str) -> PlayAddress | None:
        log.info("video gateway (log backend): play %s/%s", device_id, channel_id)
        return None


class WvpBackend:
    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password_md5 = hashlib.md5(password.encode()).hexdigest()
        self._token: str | None = None
        self._lock = threading.Lock()

    def _get(self, path: str, params: dict | None = None, token: str | None = None) -> dict:
        url = self.base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url, headers={"access-token": token} if token else {})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return {"code": 401, "msg": "unauthorized"}
            raise GatewayUnavailable(f"视频网关返回 HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise GatewayUnavailable(f"无法连接视频网关：{error}") from None
        if not isinstance(body, dict) or "code" not in body:
            raise GatewayUnavailable("视频网关的应答格式不正确")
        return body

    def _login(self) -> str:
        body = self._get("/api/user/login", {"username": self.username, "password": self.password_md5})
        token = (body.get("data") or {}).get("accessToken") if body.get("code") == 0 else None
        if not token:
            raise GatewayUnavailable(f"视频网关登录失败：{body.get('msg') or body.get('code')}")
        return token

    def play(self, *, device_id: str, channel_id: str) -> PlayAddress | None:
        path = f"/api/play/start/{urllib.parse.quote(device_id)}/{urllib.parse.quote(channel_id)}"
        for attempt in (1, 2):
            with self._lock:
                if self._token is None:
                    self._token = self._login()
                token = self._token
            body = self._get(path, token=token)
            if body.get("code") == 401 and attempt == 1:
                with self._lock:
                    self._token = None  # expired: log in again, once
                continue
            if body.get("code") != 0:
                raise GatewayUnavailable(f"视频网关点播失败：{body.get('msg') or body.get('code')}")
            data = body.get("data") or {}
            return PlayAddress(
                stream=str(data.get("stream") or ""),
                hls=str(data.get("https_hls") or data.get("hls") or ""),
                flv=str(data.get("https_flv") or data.get("flv") or ""),
                ws_flv=str(data.get("wss_flv") or data.get("ws_flv") or ""),
            )
        raise GatewayUnavailable("视频网关拒绝了登录令牌")


_backend: StreamBackend | None = None
_backend_key: tuple | None = None


def backend() -> StreamBackend:
    """The configured backend (one per process, so the WVP token is reused)."""
    global _backend, _backend_key
    key = (
        settings.GRIDSAFE_VIDEO_GATEWAY_URL,
        settings.GRIDSAFE_VIDEO_GATEWAY_USER,
        settings.GRIDSAFE_VIDEO_GATEWAY_PASSWORD,
    )
    if _backend is None or key != _backend_key:
        _backend = WvpBackend(*key) if key[0] else LogBackend()
        _backend_key = key
    return _backend
