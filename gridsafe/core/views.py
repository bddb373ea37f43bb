"""Small views that belong to no app."""

from django.http import HttpResponse
from django.views.decorators.http import require_POST


@require_POST
def session_keepalive(request):
    """POST /session/keepalive/: the 继续 button of the idle warning (web/session.js). A real request, so it counts as
    activity (core.middleware.IdleSessionMiddleware) and the answer's X-GridSafe-Idle-Remaining is the full limit."""
    if not request.user.is_authenticated:
        return HttpResponse("登录已超时，请重新登录", status=401, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)
