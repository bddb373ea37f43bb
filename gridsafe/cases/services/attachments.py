"""附件: adding one checked file to a case, once per client UUID."""

import uuid
from datetime import datetime
from typing import BinaryIO

from django.core.files.base import ContentFile
from django.db import transaction

from gridsafe.accounts.models import User
from gridsafe.cases.models import Attachment, AttachmentRole, Case
from gridsafe.cases.uploads import accept_upload, make_thumbnail
from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed
from gridsafe.core.idempotency import create_once, request_fingerprint

# ---------------------------------------------------------------- 附件


def attachment_add(
    *,
    case: Case,
    actor: User,
    client_id: uuid.UUID,
    upload: BinaryIO,
    role: str = "report",
    captured_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
) -> tuple[Attachment, bool]:
    """Store one photo, video or document on a case, idempotent on the client's UUID. Returns (row, created).
    The type is checked by content, identifying metadata (EXIF GPS, device, author) is stripped and the SHA-256 of
    the stored bytes kept (cases.uploads.accept_upload), and the file is streamed to storage
    and fsynced before the row commits; a failed commit removes the file, so nothing is orphaned."""

    if role not in AttachmentRole.values:
        raise ValidationFailed(f"附件用途无效，可选：{', '.join(AttachmentRole.values)}")
    info, upload = accept_upload(upload)  # `upload` is now what is stored: without EXIF GPS, device or author

    def create(_fingerprint: str) -> Attachment:
        if not case.is_open and role != AttachmentRole.DOCUMENT:
            raise ValidationFailed("隐患已结案，不能再添加照片")
        attachment = Attachment(
            client_id=client_id,
            case=case,
            role=role,
            original_name=getattr(upload, "name", "")[:200],
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            width=info.width,
            height=info.height,
            captured_at=captured_at,
            capture_lon=lon,
            capture_lat=lat,
            capture_accuracy_m=accuracy_m,
            uploaded_by=actor,
            created_at=clock.now(),
        )
        upload.seek(0)
        attachment.file.save(f"{client_id}{info.extension}", upload, save=False)
        if info.kind == "image":
            upload.seek(0)
            attachment.thumbnail.save(f"{client_id}.jpg", ContentFile(make_thumbnail(upload)), save=False)
        try:
            with transaction.atomic():
                attachment.save()
        except Exception:
            _discard_files(attachment)  # a concurrent resend that won keeps its own files
            raise
        return attachment

    # A resend of this very upload: the same case, the same bytes and the same person. Someone else's client id is
    # no way to another person's upload (its capture time and place), even on a case both may see.
    return create_once(
        Attachment.objects.all(),
        client_id=client_id,
        actor_id=actor.pk,
        payload=_sent(case_id=case.pk, sha256=info.sha256),
        create=create,
        actor_field="uploaded_by_id",
        stored=lambda row: request_fingerprint(_sent(case_id=row.case_id, sha256=row.sha256)),
        conflict="该附件 client_id 已用于另一个文件",
    )


def _sent(*, case_id: int, sha256: str) -> dict[str, object]:
    """What identifies an upload: the case and the bytes (the row keeps both, so no fingerprint column)."""
    return {"case": case_id, "sha256": sha256}


def _discard_files(attachment: Attachment) -> None:
    for field in (attachment.file, attachment.thumbnail):
        if field and field.name:
            field.storage.delete(field.name)
