"""Rate limits in Django's cache (Redis when REDIS_URL is set, so every gunicorn worker and host shares a count).

A fixed window per (scope, key): `cache.add` creates the counter with the window as its TTL, `cache.incr` counts
atomically in Redis. Without Redis (dev) each process counts for itself, which is still a limit per process."""

import functools
import time

from django.conf import settings
from django.core.cache import cache

from gridsafe.core.errors import RateLimited
from gridsafe.core.http import client_ip

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/m' → (120, 60); '20/15m' → (20, 900)."""
    count, _, period = rate.partition("/")
    digits = period[:-1] or "1"
    return int(count), int(digits) * _UNITS[period[-1]]


def ratelimit_hit(scope: str, key: str, rate: str) -> None:
    """Count one hit of `key` in `scope`; raise RateLimited (429, with Retry-After) once over `rate`."""
    limit, window = parse_rate(rate)
    now = int(time.time())
    bucket = now // window
    cache_key = f"gridsafe:rl:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=(bucket + 1) * window - now)


def ratelimit_request(request, scope: str, rate: str, *, key: str = "user") -> None:
    """Count one request in `scope`: per signed-in user for `key="user"` (falling back to the client address), per
    client address for `key="ip"`. For views that answer a 429 their own way (a page's message); raises RateLimited."""
    user = getattr(request, "user", None)
    if key == "user" and user is not None and user.is_authenticated:
        ident = f"u{user.pk}"
    else:
        ident = f"ip{client_ip(request)}"
    ratelimit_hit(scope, ident, rate)


def ratelimit(scope: str, rate: str, *, key: str = "user"):
    """Decorator for API endpoints and views: `key="user"` counts per signed-in user (falling back to the client
    address), `key="ip"` per client address. `rate` is '120/m' or the name of a setting holding one (read at each
    call, so override_settings works). Keeps the signature, so django-ninja still sees the parameters."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            ratelimit_request(request, scope, rate if "/" in rate else getattr(settings, rate), key=key)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
