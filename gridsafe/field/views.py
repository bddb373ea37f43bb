"""The field PWA at /m/: the app shell page, its service worker (served from /m/ so its scope is /m/) and the web
app manifest. The shell holds no personal data, so the service worker may cache it; everything else comes from
the API with the session cookie and the CSRF token."""

import functools
import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from gridsafe.accounts.models import Role

# The field app's ES modules (no build step). Those the first screen needs (field/app.js imports them) are preloaded
# by the shell page all at once (modulepreload: a slow link pays one round trip, not one per import level; largest
# first); forms.js (the other screens) is loaded after the first screen. The service worker precaches them all, or
# the app would not start offline. test_pwa checks both lists against the files and their imports.
FIELD_MODULES = tuple(f"field/js/{name}.js" for name in ("screens", "outbox", "storage", "sync", "gps", "router"))
FIELD_LATER_MODULES = ("field/js/forms.js", "field/js/reports.js")  # reports.js: imported by forms.js only
SHELL_STATIC = (
    "field/app.css",
    "field/app.js",
    *FIELD_MODULES,
    *FIELD_LATER_MODULES,
    "field/icons/icon-192.png",
)
ICONS = ("field/icons/icon-192.png", "field/icons/icon-512.png", "field/icons/maskable-512.png")  # install only


@functools.cache
def shell_version() -> str:
    """A hash of the shell's files and template: a new deploy gets a new service-worker cache."""
    digest = hashlib.sha256()
    for name in (*SHELL_STATIC, *ICONS, "field/sw.js"):
        path = finders.find(name)
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    template = get_template("field/shell.html")
    digest.update(template.template.source.encode())
    return digest.hexdigest()[:16]


def shell_urls() -> list[str]:
    return [reverse("field:shell"), reverse("field:manifest"), *(static(name) for name in SHELL_STATIC)]


# Who works in the field app: grid workers, and station officers (复查 and their village's grids). Anyone else (a
# leader, a department, a centre) would find an empty worker app: they are sent to their own home page instead.
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.STATION_OFFICER})


@require_GET
@login_required
@ensure_csrf_cookie
def shell(request):
    if request.user.role not in FIELD_ROLES:
        return redirect("web:home")
    response = render(
        request,
        "field/shell.html",
        {
            "version": shell_version(),
            "api_root": "/api/v1",
            "login_url": "/login/?next=" + reverse("field:shell"),
            "modules": [static(name) for name in FIELD_MODULES],
        },
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request):
    with open(finders.find("field/sw.js"), encoding="utf-8") as fh:
        source = fh.read()
    source = source.replace('"__VERSION__"', json.dumps(shell_version())).replace(
        "__SHELL_URLS__", json.dumps(shell_urls())
    )
    response = HttpResponse(source, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("field:shell")
    return response


@require_GET
def manifest(request):
    shell_url = reverse("field:shell")
    data = {
        "name": "网格安全 · 网格员",
        "short_name": "网格员",
        "description": "网格员巡查、检查表、随手拍、复查与宣传记录，支持离线使用",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": shell_url,
        "scope": shell_url,
        "id": shell_url,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f8",
        "theme_color": "#0f5c9a",
        "categories": ["productivity", "utilities"],
        "icons": [
            {"src": static("field/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("field/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("field/icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response
