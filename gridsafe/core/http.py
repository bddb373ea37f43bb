"""Request helpers shared by pages and the API."""

import ipaddress

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
