"""A local server speaking the WVP-GB28181-pro HTTP contract the video gateway client uses (video/streams.py):
login with an MD5 password → accessToken; play start with the `access-token` header → StreamContent; an unknown or
expired token → HTTP 401 with {"code": 401}, as WVP's JWT filter answers. It also serves the HLS playlist it hands
out, and records every request, so a test can see the browser's player ask for it."""

import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"


class WvpContract:
    def __init__(self, *, username="admin", password="admin", devices=()):
        self.username = username
        self.password_md5 = hashlib.md5(password.encode()).hexdigest()
        self.devices = set(devices)  # (device_id, channel_id) pairs that exist
        self.tokens: set[str] = set()
        self.requests: list[tuple[str, dict]] = []
        contract = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                contract.requests.append((url.path, dict(self.headers)))
                if url.path == "/api/user/login":
                    query = parse_qs(url.query)
                    if query.get("username") == [contract.username] and query.get("password") == [
                        contract.password_md5
                    ]:
                        token = secrets.token_hex(16)
                        contract.tokens.add(token)
                        return self._json(
                            200,
                            {"code": 0, "msg": "成功", "data": {"accessToken": token, "username": contract.username}},
                        )
                    return self._json(200, {"code": 100, "msg": "用户名或密码错误"})
                if url.path.startswith("/api/play/start/"):
                    if self.headers.get("access-token") not in contract.tokens:
                        return self._json(401, {"code": 401, "msg": "请登录后重新请求"})
                    device_id, channel_id = url.path.split("/")[-2:]
                    if (device_id, channel_id) not in contract.devices:
                        return self._json(200, {"code": 100, "msg": "通道不存在"})
                    stream = f"{device_id}_{channel_id}"
                    base = f"http://127.0.0.1:{contract.port}"
                    return self._json(
                        200,
                        {
                            "code": 0,
                            "msg": "成功",
                            "data": {
                                "app": "rtp",
                                "stream": stream,
                                "ip": "127.0.0.1",
                                "flv": f"{base}/rtp/{stream}.live.flv",
                                "ws_flv": f"ws://127.0.0.1:{contract.port}/rtp/{stream}.live.flv",
                                "hls": f"{base}/rtp/{stream}/hls.m3u8",
                                "rtmp": f"rtmp://127.0.0.1/rtp/{stream}",
                            },
                        },
                    )
                if url.path.endswith("/hls.m3u8"):
                    data = PLAYLIST.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.apple.mpegurl")
                    self.send_header("Access-Control-Allow-Origin", "*")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                return self._json(404, {"code": 404, "msg": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [path for path, _headers in self.requests]
