"""`gridsafe backup` / `gridsafe restore`: a round trip brings back the database as it was at the snapshot and
every attachment, verified against its SHA-256; a damaged file makes restore fail. On SQLite, and on PostgreSQL
when DATABASE_URL points to it (pg_dump / pg_restore)."""

import io
import tarfile
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from conftest import Api
from gridsafe.cases.models import Attachment, Case
from gridsafe.cases.tests.helpers import report
from gridsafe.core.audit import audit_record, audit_verify
from gridsafe.ops.backup import attachments_verify, backup_create, media_clear

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"  # parseable (pypdf rebuilds the xref)


def _case_with_document(api) -> tuple[int, int]:
    case_id = report(api).json()["id"]
    upload = SimpleUploadedFile("通知.pdf", PDF, content_type="application/pdf")
    response = api.upload(
        f"/api/v1/cases/{case_id}/attachments", {"file": upload, "client_id": str(uuid.uuid4()), "role": "document"}
    )
    assert response.status_code == 201, response.content
    return case_id, response.json()["id"]


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip(committed_world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = Api(client, committed_world["nanxi_worker"])
    kept_case, kept_att = _case_with_document(api)
    audit_record(action="drill", target="before backup")
    archive = tmp_path / "backup.tar"
    call_command("backup", "--out", str(archive))
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and any(n.startswith("media/cases/") for n in names)

    # After the snapshot: more work, then the disk with the media is lost.
    lost_case, _ = _case_with_document(api)
    media_clear()
    call_command("restore", str(archive), "--yes")
    assert Case.objects.filter(pk=kept_case).exists()
    assert not Case.objects.filter(pk=lost_case).exists()
    assert Attachment.objects.get(pk=kept_att).file.read() == PDF
    assert attachments_verify() == (1, [])
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_restore_fails_on_a_damaged_file(committed_world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = Api(client, committed_world["nanxi_worker"])
    _case_with_document(api)
    archive = tmp_path / "backup.tar"
    backup_create(archive)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("media/cases/"):
                data = data.replace(b"endobj", b"ENDOBJ")
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    media_clear()
    with pytest.raises(SystemExit) as exit_info:
        call_command("restore", str(damaged), "--yes")
    assert exit_info.value.code == 1


def test_restore_needs_yes(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x.tar"))
