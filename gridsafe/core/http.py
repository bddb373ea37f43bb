"""Request helpers shared by pages and the API."""

import ipaddress
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind GRIDSAFE_PROXY_COUNT trusted proxies (nginx) it is taken from X-Forwarded-For,
    counting from the right, since everything left of what our own proxy appended is client-controlled."""
    if request is None:
        return None
    addr = request.META.get("REMOTE_ADDR")
    hops = settings.GRIDSAFE_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            addr = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(addr)) if addr else None
    except ValueError:
        return None


# The address of the request being served, for writers far from the request (the case services stamp it on every
# CaseEvent, audit rows of refused actions carry it). Set by ClientAddressMiddleware; None in the shell, a task
# worker or the sweep. A contextvar, not a thread-local, so it also holds under ASGI.
_client_ip: ContextVar[str | None] = ContextVar("gridsafe_client_ip", default=None)


def current_client_ip() -> str | None:
    """The client address of the request this code runs for (`client_ip`), or None outside a request."""
    return _client_ip.get()


def audited_download(
    request: HttpRequest, file, *, action: str, target: str, payload: dict, filename: str, content_type=None
):
    """A stored file as a download, with its audit row (an export of records). The file is opened first, so a missing
    file fails before any "success" row is written; nosniff so a browser cannot guess a more dangerous type."""
    from django.http import FileResponse

    # Here, not at the top: core.audit imports this module (current_client_ip).
    from gridsafe.core.audit import audit_record

    handle = file.open("rb")
    audit_record(actor=request.user, action=action, target=target, ip=client_ip(request), payload=payload)
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
