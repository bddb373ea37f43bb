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
