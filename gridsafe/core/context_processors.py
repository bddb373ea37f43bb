"""Template context every page needs."""

from django.conf import settings


def session_idle(request):
    """The idle limit in seconds, for the sign-out warning (web/session.js)."""
    return {"session_idle_seconds": settings.SESSION_COOKIE_AGE}
