"""Production media on S3-compatible storage (django-storages), against moto's server mode on a local port:
an attachment uploaded through the API lands in the bucket and reads back byte for byte."""

import io
import socket
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from conftest import Api
from gridsafe.cases.tests.helpers import report

BUCKET = "gridsafe-media-test"


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    import boto3

    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_attachments_round_trip_through_s3(client, people, s3_endpoint, settings):
    import boto3

    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": False,
                "addressing_style": "path",
            },
        },
    }
    with override_settings(STORAGES=storages):
        worker = Api(client, people["nanxi_worker"])
        case_id = report(worker).json()["id"]
        photo = _jpeg()
        response = worker.upload(
            f"/api/v1/cases/{case_id}/attachments",
            {"file": SimpleUploadedFile("现场.jpg", photo, content_type="image/jpeg"), "client_id": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.content
        att_id = response.json()["id"]
        response = worker.get(f"/api/v1/cases/{case_id}/attachments/{att_id}/file")
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    keys = [obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert any(key.startswith("cases/") for key in keys) and any(key.startswith("thumbs/") for key in keys)
    from gridsafe.cases.models import Attachment

    att = Attachment.objects.get(pk=att_id)
    stored = s3.get_object(Bucket=BUCKET, Key=att.file.name)["Body"].read()
    assert body == stored
    import hashlib

    assert hashlib.sha256(stored).hexdigest() == att.sha256
