"""Security headers, HTTPS settings, rate limits on intake, and attachment downloads."""

import json
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import override_settings

from conftest import Api
from gridsafe.cases.tests.helpers import report


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_pages_carry_csp_and_the_security_headers(client, db):
    response = client.get("/admin/login/")
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "csrfmiddlewaretoken" in response.content.decode()


def _settings_with(env: dict) -> dict:
    code = (
        "import json; from django.conf import settings; print(json.dumps({k: getattr(settings,"
        " k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT',"
        " 'SECURE_PROXY_SSL_HEADER'] if hasattr(settings, k)}))"
    )
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridsafe.settings", **env}
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_https_mode_secures_cookies_and_sends_hsts():
    plain = _settings_with({"GRIDSAFE_HTTPS": "0"})
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    https = _settings_with({"GRIDSAFE_HTTPS": "1", "GRIDSAFE_PROXY_COUNT": "1"})
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"] and https["SECURE_SSL_REDIRECT"]
    assert https["SECURE_HSTS_SECONDS"] >= 31536000
    assert https["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@override_settings(GRIDSAFE_INTAKE_RATE="2/m")
def test_case_intake_is_rate_limited_per_user(client, people):
    worker = Api(client, people["nanxi_worker"])
    assert report(worker).status_code == 201
    assert report(worker).status_code == 201
    response = report(worker)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another user has a count of their own.
    assert report(Api(client, people["licheng_worker"])).status_code == 201


def test_attachment_originals_download_and_are_not_sniffed(client, people):
    import uuid

    from django.core.files.uploadedfile import SimpleUploadedFile

    worker = Api(client, people["nanxi_worker"])
    case_id = report(worker).json()["id"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"  # parseable (pypdf rebuilds the xref)
    upload = SimpleUploadedFile("整改通知.pdf", pdf, content_type="application/pdf")
    response = worker.upload(
        f"/api/v1/cases/{case_id}/attachments",
        {"file": upload, "client_id": str(uuid.uuid4()), "role": "document"},
    )
    assert response.status_code in (200, 201), response.content
    att_id = response.json()["id"]
    response = worker.get(f"/api/v1/cases/{case_id}/attachments/{att_id}/file")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == pdf


@override_settings(GRIDSAFE_UPLOAD_RATE="2/m")
def test_uploads_are_rate_limited_per_user(client, people, settings, tmp_path):
    import uuid

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    worker = Api(client, people["nanxi_worker"])
    case_id = report(worker).json()["id"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"  # parseable (pypdf rebuilds the xref)

    def upload():
        file = SimpleUploadedFile("整改通知.pdf", pdf, content_type="application/pdf")
        body = {"file": file, "client_id": str(uuid.uuid4()), "role": "document"}
        return worker.upload(f"/api/v1/cases/{case_id}/attachments", body)

    assert upload().status_code == 201
    assert upload().status_code == 201
    refused = upload()
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"


@override_settings(GRIDSAFE_INTAKE_RATE="1/m")
def test_new_places_count_against_the_intake_limit(client, people):
    from gridsafe.regions.models import Region

    worker = Api(client, people["nanxi_worker"])
    grid = worker.user.grids.order_by("code").first()
    assert isinstance(grid, Region)

    def create():
        import uuid

        body = {
            "client_id": str(uuid.uuid4()),
            "name": "某液化气供应点",
            "kind": "lpg_point",
            "domain": "lpg",
            "grid_code": grid.code,
            "lon": grid.center_lon,
            "lat": grid.center_lat,
        }
        return worker.post("/api/v1/field/places", body)

    first = create()
    assert first.status_code in (200, 201), first.content
    assert create().status_code == 429
