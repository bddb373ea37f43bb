"""/api/v1/docs works offline and under the site's CSP: Swagger UI comes from django-ninja's own static files and
its start-up script is an external file, so the page renders the operation list in Chromium with no CSP refusal."""

import re

import pytest
from django.contrib.staticfiles import finders

CDN = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs|https?://(?!testserver)", re.IGNORECASE)


def test_docs_page_uses_local_files_only(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui-init.js" in html
    assert not CDN.search(html), CDN.search(html).group(0)
    # no executable inline script: the only inline <script> is the JSON settings block
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [
        '<script type="application/json" id="swagger-settings">'
    ]
    assert finders.find("ninja/swagger-ui-bundle.js") and finders.find("ninja/swagger-ui-init.js")


@pytest.mark.browser
def test_docs_render_the_operations_in_chromium(committed_world, serial_live_server, browser_page):
    page = browser_page
    refused = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    # Offline: any request leaving the test server fails, as on the county's intranet.
    page.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1).*"), lambda route: route.abort())
    page.goto(f"{serial_live_server}/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=30_000)
    page.wait_for_selector("[data-path='/api/v1/cases/{case_id}/actions/verify_pass']", state="attached")
    assert "Create Case" in page.text_content("#swagger-ui")
    assert page.locator(".opblock").count() > 20
    assert refused == [] and page.console_errors == [], (refused, page.console_errors)
