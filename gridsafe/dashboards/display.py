"""Display sessions for the big screen (大屏显示会话): services, the cookie and the middleware that confines them.

A wall display must not run under a person's session: a person's session ends after 30 idle minutes (polls do not
count as activity), and a signed-in browser left on a wall is someone's account open to whoever walks by. An
administrator issues a display session instead (admin, 大屏显示会话): the URL /screen/display/<secret>/ is shown
once; opening it on the display sets an HttpOnly cookie. With that cookie the browser can open the big screen of
the session's region and its two feeds, read-only; every other address is 404. It does not end by idleness but at
its expiry or revocation, which the next poll sees (401). Issue and revocation are audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render

from gridsafe.cases.permissions import Jurisdiction, jurisdiction_of
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import NotFound, NotPermitted
from gridsafe.dashboards.models import DisplaySession
from gridsafe.regions.models import Region

COOKIE = "gridsafe_display"
DEFAULT_DAYS = 180
MAX_DAYS = 366
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute per display
# What a display may open: the big screen page and its two feeds (the issue URL itself is public).
PAGE_PATH = "/screen/"
FEED_PATHS = ("/api/v1/stats/screen", "/api/v1/stats/screen/regions")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_issue(*, actor, name: str, region, days: int = DEFAULT_DAYS, ip: str | None = None):
    """A new display session for `region`; returns (session, secret). The secret is never stored or shown again.
    The region must lie in the issuer's own 辖区: a display never shows more than its issuer could see."""
    if not (1 <= days <= MAX_DAYS):
        raise NotPermitted(f"有效期应为 1 至 {MAX_DAYS} 天")
    if not jurisdiction_of(actor).covers_path(region.path):
        raise NotPermitted("只能为本人辖区内的区划签发大屏显示会话")
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        display = DisplaySession.objects.create(
            name=name,
            region=region,
            secret_hash=_digest(secret),
            issued_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit_record(
            actor=actor,
            action="display.issued",
            target=f"display:{display.pk}",
            ip=ip,
            payload={"name": name, "region": region.code, "expires_at": display.expires_at.isoformat()},
        )
    return display, secret


def display_revoke(*, actor, display: DisplaySession, ip: str | None = None) -> bool:
    """Revoke a display session; the display's next poll is refused. False when it was already revoked."""
    now = clock.now()
    with transaction.atomic():
        updated = DisplaySession.objects.filter(pk=display.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor
        )
        if updated:
            audit_record(
                actor=actor,
                action="display.revoked",
                target=f"display:{display.pk}",
                ip=ip,
                payload={"name": display.name, "region": display.region.code},
            )
    display.refresh_from_db()
    return bool(updated)


def display_for_secret(secret: str | None) -> DisplaySession | None:
    """The valid display session with this secret (not revoked, not expired), or None. Stamps last_seen_at."""
    if not secret or len(secret) > 200:
        return None
    display = (
        DisplaySession.objects.filter(secret_hash=_digest(secret)).select_related("region").defer("region__geometry")
    ).first()
    now = clock.now()
    if display is None or not display.is_valid(now):
        return None
    if display.last_seen_at is None or display.last_seen_at < now - SEEN_EVERY:
        DisplaySession.objects.filter(pk=display.pk).update(last_seen_at=now)
    return display


def display_jurisdiction(display: DisplaySession) -> Jurisdiction:
    """A display sees what a centre of its region sees: the region's subtree, nothing else."""
    return Jurisdiction(paths=(display.region.path,))


def display_region(display: DisplaySession, code: str | None):
    """The node a display asks for (its own region when empty), if it lies in the display's region; else 404."""
    if not code or code == display.region.code:
        return display.region
    region = Region.objects.filter(code=code, is_active=True).defer("geometry").first()
    if region is None or not display_jurisdiction(display).covers_path(region.path):
        raise NotFound("未找到该区划")
    return region


def display_auth(request):
    """django-ninja auth for the screen feeds: the display session the middleware found, if any."""
    return getattr(request, "display", None)


def display_enter(request, secret: str):
    """GET /screen/display/<secret>/: a valid secret sets the display cookie and opens the big screen."""
    display = display_for_secret(secret)
    if display is None:
        return render(request, "web/404.html", status=404)
    response = redirect(PAGE_PATH)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int((display.expires_at - clock.now()).total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure(),
    )
    return response


class DisplaySessionMiddleware:
    """Confines a browser that carries a display cookie (and no signed-in person) to the big screen.

    A valid display gets `request.display` on the screen page and its feeds and a 404 everywhere else. An expired
    or revoked one gets 401 on the feeds (the screen shows that it was signed out) and the login page otherwise,
    and its cookie is dropped. A person's own session takes precedence: the cookie is then ignored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.display = None
        secret = request.COOKIES.get(COOKIE)
        if not secret or request.user.is_authenticated or request.path.startswith("/screen/display/"):
            return self.get_response(request)
        allowed = request.method == "GET" and (request.path == PAGE_PATH or request.path in FEED_PATHS)
        display = display_for_secret(secret)
        if display is None:
            if request.path in FEED_PATHS:
                response = JsonResponse(
                    {
                        "type": "https://gridsafe.invalid/problems/display_revoked",
                        "title": "大屏显示会话已失效",
                        "status": 401,
                        "detail": "大屏显示会话已被吊销或已到期，请联系管理员重新签发",
                        "code": "display_revoked",
                    },
                    status=401,
                    content_type="application/problem+json",
                    json_dumps_params={"ensure_ascii": False},
                )
            else:
                response = self.get_response(request)
            response.delete_cookie(COOKIE, samesite="Strict")
            return response
        if not allowed:
            return render(request, "web/404.html", status=404)
        request.display = display
        return self.get_response(request)
