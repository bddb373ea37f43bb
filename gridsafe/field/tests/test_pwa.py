"""The PWA shell at /m/: login required, installable (manifest, icons, service worker), CSP-ready (no inline
script, no on* attributes)."""

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from PIL import Image

STATIC = Path(__file__).resolve().parents[1] / "static" / "field"


def test_shell_needs_a_login_and_sets_the_csrf_cookie(client, people):
    anonymous = client.get("/m/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=/m/")
    client.force_login(people["nanxi_worker"])
    page = client.get("/m/")
    assert page.status_code == 200
    assert "csrftoken" in page.cookies
    html = page.content.decode()
    assert '<html lang="zh-CN">' in html and 'rel="manifest"' in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag  # no inline scripts: CSP script-src 'self'
    assert not re.search(r"\son[a-z]+\s*=", html)  # no on* handler attributes
    assert "王芳" not in html  # the shell is cacheable: no personal data in it


def test_manifest_and_icons(client):
    response = client.get("/m/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/m/" and manifest["scope"] == "/m/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "zh-CN"
    sizes = {}
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon
        with Image.open(path) as image:
            sizes[(icon["sizes"], icon["purpose"])] = image.size
    assert sizes == {
        ("192x192", "any"): (192, 192),
        ("512x512", "any"): (512, 512),
        ("512x512", "maskable"): (512, 512),
    }


def test_service_worker_is_served_from_the_app_scope_with_its_shell_list(client):
    response = client.get("/m/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    source = response.content.decode()
    assert "__VERSION__" not in source and "__SHELL_URLS__" not in source
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    assert "/m/" in shell and "/static/field/app.js" in shell and "/static/field/app.css" in shell


def test_every_module_is_precached_and_the_first_screens_are_preloaded(client, people):
    """The app is ES modules: one the service worker did not precache breaks the app offline, and one the first
    screen needs but the shell does not preload costs a round trip per import level on a slow link."""
    source = client.get("/m/sw.js").content.decode()
    precached = set(json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1)))
    client.force_login(people["nanxi_worker"])
    html = client.get("/m/").content.decode()
    assert '<script type="module" src="/static/field/app.js">' in html
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
    modules = {f"/static/field/js/{path.name}" for path in (STATIC / "js").glob("*.js")}
    assert modules <= precached
    static_graph, dynamic = set(), set()
    todo = ["/static/field/app.js"]
    while todo:
        url = todo.pop()
        text = (STATIC / url.removeprefix("/static/field/")).read_text()
        for target in re.findall(r'^(?:import|export)\b[^;]*?from "(\.[^"]+)"', text, re.M | re.S):
            found = _join(url.rsplit("/", 1)[0], target)
            assert found in precached, f"{url} imports {target}, which the service worker does not precache"
            if found not in static_graph:
                static_graph.add(found)
                todo.append(found)
        for target in re.findall(r'\bimport\("(\.[^"]+)"\)', text):
            dynamic.add(_join(url.rsplit("/", 1)[0], target))
    static_graph.discard("/static/field/app.js")  # the entry (screens.js imports it back), loaded by <script>
    assert static_graph == preloaded  # what the first screen needs, all at once; nothing it does not need
    assert dynamic == {"/static/field/js/forms.js"} and dynamic <= precached
    later = set()  # what the later screens import beyond the first screen's modules: precached, not preloaded
    todo = sorted(dynamic)
    while todo:
        url = todo.pop()
        text = (STATIC / url.removeprefix("/static/field/")).read_text()
        for target in re.findall(r'^(?:import|export)\b[^;]*?from "(\.[^"]+)"', text, re.M | re.S):
            found = _join(url.rsplit("/", 1)[0], target)
            assert found in precached, f"{url} imports {target}, which the service worker does not precache"
            if found not in static_graph | dynamic | later | {"/static/field/app.js"}:
                later.add(found)
                todo.append(found)
    assert static_graph | dynamic | later == modules  # no module left out


def _join(base: str, relative: str) -> str:
    parts = base.rstrip("/").split("/")
    for piece in relative.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def test_scripts_use_no_inline_handlers_or_eval():
    for path in [STATIC / "app.js", STATIC / "sw.js", *(STATIC / "js").glob("*.js")]:
        source = path.read_text()
        assert "eval(" not in source and "new Function" not in source
        assert ".innerHTML" not in source  # user data is put in with textContent only
        assert 'setAttribute("on' not in source
