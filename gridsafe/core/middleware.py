"""Project middleware that belongs to no single app."""

import functools
import math
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from gridsafe.core.http import _client_ip, client_ip


class ClientAddressMiddleware:
    """Makes the client's address (`core.http.client_ip`) available to services as `current_client_ip()` for the
    duration of the request, so the case timeline and refusal audit rows record where an action came from without
    every view passing it down. Reset afterwards: a worker thread serving the next request starts clean."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


# ------------------------------------------------------------------------------------------------ idle sessions

POLL_HEADER = "X-GridSafe-Poll"
# When the signed-in person last did something (not a background poll), in epoch seconds. Kept in the session so
# the idle limit holds whatever the session store, and so a poll can say how long is left.
ACTIVE_KEY = "gridsafe_active_at"
ACTIVE_RESOLUTION = 60  # seconds: how stale the activity mark may get before a page view moves it
REMAINING_HEADER = "X-GridSafe-Idle-Remaining"


def is_poll(request) -> bool:
    """A request the page sends by itself (the notification badge, the home queues, the big-screen feed, the field
    app's background refresh), not because the person did something. Marked by the page with `X-GridSafe-Poll: 1`;
    the known poll addresses count as polls even without the header, so a page that forgets it still times out."""
    if request.headers.get(POLL_HEADER) == "1":
        return True
    return request.method == "GET" and request.path in _poll_paths()


@functools.cache
def _poll_paths() -> frozenset[str]:
    from django.urls import reverse

    return frozenset({reverse("web:notification_poll"), "/api/v1/stats/screen"})


def mark_active_at_login(sender, request, user, **kwargs):
    """A sign-in is activity: the idle limit counts from it (receiver of `user_logged_in`, core.apps)."""
    if request is not None and hasattr(request, "session"):
        request.session[ACTIVE_KEY] = int(time.time())


class IdleSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware with an idle limit that background polls do not reset.

    With SESSION_SAVE_EVERY_REQUEST every answer re-saved the session and moved its expiry 30 minutes on, so an
    open tab polling the badge every 15 s never timed out. Here a poll reads the session but never saves it or
    re-sends its cookie, and the last real activity is kept in the session itself (ACTIVE_KEY): a session idle
    longer than SESSION_COOKIE_AGE is ended here even when the store would still hand it out. Every answer to a
    signed-in session says how many seconds are left (X-GridSafe-Idle-Remaining), which the page's warning uses.

    The activity mark moves (and so the session is saved, its store expiry and cookie renewed) at most once every
    ACTIVE_RESOLUTION seconds of page views, and on every POST (the warning's 继续 among them): saving on every
    request was a transaction with a committed UPDATE on each page view, 1-3 statements and a WAL flush for a
    time nobody needs to the second. A session so ends 29-30 minutes after its last page view, never later."""

    def process_request(self, request):
        super().process_request(request)
        request.gridsafe_poll = is_poll(request)
        session = request.session
        if SESSION_KEY not in session:
            return
        now = time.time()
        active = session.get(ACTIVE_KEY)
        if active is not None and now - active >= settings.SESSION_COOKIE_AGE:
            session.flush()  # idle too long: signed out, whatever kind of request this is
        elif not request.gridsafe_poll and (
            active is None or now - active >= ACTIVE_RESOLUTION or request.method not in ("GET", "HEAD")
        ):
            session[ACTIVE_KEY] = int(now)  # a changed session is saved, with a fresh expiry and cookie

    def process_response(self, request, response):
        try:
            session = request.session
        except AttributeError:
            return response
        if session.get(SESSION_KEY) is not None:
            active = session.get(ACTIVE_KEY) or time.time()
            remaining = max(0, math.ceil(active + settings.SESSION_COOKIE_AGE - time.time()))
            response[REMAINING_HEADER] = str(remaining)
        if getattr(request, "gridsafe_poll", False) and not session.modified:
            # Neither save (the store's expiry would move on) nor re-send the cookie (its max-age would).
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


class PollSignedOutMiddleware:
    """A page's background poll after the session ended gets 401, with HX-Redirect to the login page for htmx, so
    the open tab shows the login page instead of polling on (or swapping a login form into a badge). After
    AuthenticationMiddleware; the API answers its own 401."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            getattr(request, "gridsafe_poll", False)
            and not request.user.is_authenticated
            and getattr(request, "display", None) is None
            and not request.path.startswith("/api/")
        ):
            response = HttpResponse("登录已超时，请重新登录", status=401, content_type="text/plain; charset=utf-8")
            if request.headers.get("HX-Request"):
                back = request.headers.get("HX-Current-URL") or "/"
                response["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': _local(back), 'idle': '1'})}"
            return response
        return self.get_response(request)


def _local(url: str) -> str:
    """The path and query of a same-site URL (HX-Current-URL is absolute), never another host."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/") else "/"


# ------------------------------------------------------------------------------------------------ no-store


class NoStoreMiddleware:
    """Answers to a signed-in person (session, bearer token or big-screen display) say `Cache-Control: no-store`:
    a shared browser, a proxy or the back button must not keep pages, API answers or downloads with personal data.
    Static files are answered by WhiteNoise before this middleware runs; the login page of an anonymous visitor
    needs nothing. Any max-age or public directive a view set is dropped: no-store wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or getattr(request, "display", None) is not None
            or request.headers.get("Authorization")
        ):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"  # HTTP/1.0 proxies
            if response.has_header("Expires"):
                del response["Expires"]
        return response
