import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gridsafe.cases.tests.helpers import Flow
from gridsafe.core.signing import SIG_HEADER, TS_HEADER, verify

SECRET = "test-12345-secret"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def flow(people):
    return Flow(people)


class ContractPlatform:
    """A local 12345 platform speaking the contract of docs/hotline-12345.md: it checks our signature on every push
    and keeps what it received; `fail_next` answers that many pushes with 503 (an outage)."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        self.new_orders: list[dict] = []  # what GET /orders?state=new answers (platforms that cannot push)
        self.bad_signatures = 0
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if verify(SECRET, self.headers.get(TS_HEADER), self.headers.get(SIG_HEADER), body):
                    platform.bad_signatures += 1
                    return self._answer(401, {"error": "bad signature"})
                if platform.fail_next:
                    platform.fail_next -= 1
                    return self._answer(503, {"error": "maintenance"})
                platform.received.append({"path": self.path, "body": json.loads(body)})
                return self._answer(200, {"ok": True})

            def do_GET(self):
                if verify(SECRET, self.headers.get(TS_HEADER), self.headers.get(SIG_HEADER), b""):
                    return self._answer(401, {"error": "bad signature"})
                return self._answer(200, {"orders": platform.new_orders})

            def _answer(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def kinds(self) -> list[str]:
        return [r["path"].rsplit("/", 1)[-1] for r in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform12345(settings):
    server = ContractPlatform()
    settings.GRIDSAFE_HOTLINE_BASE_URL = server.url
    settings.GRIDSAFE_HOTLINE_SECRET = SECRET
    yield server
    server.close()
