"""Local contract servers the tests start (real HTTP servers in a thread), speaking the documented protocols:

* 阿里云短信 SendSms (RPC style, API version 2017-05-25): the SDK POSTs to `/` with the parameters in the query
  string (Action=SendSms, Version, PhoneNumbers, SignName, TemplateCode, TemplateParam …) and signs the request
  (ACS3-HMAC-SHA256 `Authorization` header); the answer is HTTP 200 JSON {"Code": "OK", "Message": "OK", "BizId",
  "RequestId"}, or a business error with the same shape ({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message":
  "触发分钟级流控Permits:1"}). The signature is not verified here (the secret is the tests'), its presence is.
* 企业微信: GET /cgi-bin/gettoken?corpid&corpsecret → {"errcode":0,"access_token","expires_in":7200};
  POST /cgi-bin/message/send?access_token=… and POST /cgi-bin/webhook/send?key=… → {"errcode":0,"errmsg":"ok"}.
* a webhook receiver (an upper platform) that checks X-GridSafe-Signature with its secret.

Each server records the requests it received (`.received`) and answers from `.script` (a list of outcomes taken
in order; empty: success)."""

import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def json(self):
        return json.loads(self.body)


@dataclass
class ContractServer:
    received: list[Received] = field(default_factory=list)
    script: list[str] = field(default_factory=list)

    def start(self) -> "ContractServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded") and body:
                    query.update({k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
                req = Received(self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
                outcome = owner.script.pop(0) if owner.script else "ok"
                status, answer = owner.answer(req, outcome)
                req.status = status or 400
                owner.received.append(req)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status or 400)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, req: Received, outcome: str) -> tuple[int, dict]:
        raise NotImplementedError


class AliyunSms(ContractServer):
    def answer(self, req, outcome):
        request_id = str(uuid.uuid4()).upper()
        if req.query.get("Action") != "SendSms" and req.headers.get("x-acs-action") != "SendSms":
            return 0, {
                "Code": "InvalidAction.NotFound",
                "Message": "Specified api is not found",
                "RequestId": request_id,
            }
        if "authorization" not in req.headers and "Signature" not in req.query:
            return 0, {"Code": "MissingSignature", "Message": "Signature is mandatory", "RequestId": request_id}
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not req.query.get(name):
                return 0, {"Code": f"Missing{name}", "Message": f"{name} is mandatory", "RequestId": request_id}
        if outcome == "limit":
            return 200, {
                "Code": "isv.BUSINESS_LIMIT_CONTROL",
                "Message": "触发分钟级流控Permits:1",
                "RequestId": request_id,
            }
        if outcome == "error500":
            return 500, {
                "Code": "InternalError",
                "Message": "The request processing has failed",
                "RequestId": request_id,
            }
        if outcome == "badnumber":
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{uuid.uuid4().int % 10**18}^0", "RequestId": request_id}

    def sends(self, phone: str | None = None) -> list[Received]:
        """The SendSms requests the contract accepted (a refused one is no message)."""
        return [r for r in self.received if r.status == 200 and (phone is None or r.query.get("PhoneNumbers") == phone)]


class Wecom(ContractServer):
    tokens_issued: int = 0

    def answer(self, req, outcome):
        if req.path == "/cgi-bin/gettoken":
            if not req.query.get("corpid") or not req.query.get("corpsecret"):
                return 200, {"errcode": 41002, "errmsg": "corpid missing"}
            self.tokens_issued += 1
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": f"tok{self.tokens_issued}", "expires_in": 7200}
        if req.path not in ("/cgi-bin/message/send", "/cgi-bin/webhook/send"):
            return 0, {"errcode": 404, "errmsg": "not found"}
        body = req.json()
        if body.get("msgtype") not in ("text", "markdown") or not body.get(body["msgtype"], {}).get("content"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if req.path == "/cgi-bin/message/send" and req.query.get("access_token") != f"tok{self.tokens_issued}":
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        if outcome == "busy":
            return 200, {"errcode": -1, "errmsg": "system busy"}
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": uuid.uuid4().hex}


class WebhookReceiver(ContractServer):
    secret: str = "receiver-secret"

    def answer(self, req, outcome):
        ts = req.headers.get("x-gridsafe-timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, req.headers.get("x-gridsafe-signature", "")):
            return 401, {"error": "bad signature"}
        if outcome == "down":
            return 503, {"error": "maintenance"}
        return 200, {"ok": True}

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]
