"""附件: adding one checked file to a case, once per client UUID."""

import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from gridsafe.accounts.models import User
from gridsafe.cases.models import Attachment, AttachmentRole, Case
from gridsafe.cases.uploads import accept_upload, make_thumbnail
from gridsafe.core import clock
from gridsafe.core.errors import (
    IdempotencyConflict,
    ValidationFailed,
)

# ---------------------------------------------------------------- 附件


def attachment_add(
    *,
    case: Case,
    actor: User,
    client_id: uuid.UUID,
    upload,
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
    existing = Attachment.objects.filter(client_id=client_id).first()
    if existing is not None:
        if not _same_attachment(existing, case=case, actor=actor, sha256=info.sha256):
            raise IdempotencyConflict("该附件 client_id 已用于另一个文件")
        return existing, False
    if not case.is_open and role != AttachmentRole.DOCUMENT:
        raise ValidationFailed("隐患已结案，不能再添加照片")
    now = clock.now()
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
        created_at=now,
    )
    upload.seek(0)
    attachment.file.save(f"{client_id}{info.extension}", upload, save=False)
    if info.kind == "image":
        upload.seek(0)
        attachment.thumbnail.save(f"{client_id}.jpg", ContentFile(make_thumbnail(upload)), save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:
        _discard_files(attachment)
        existing = Attachment.objects.filter(client_id=client_id).first()
        if existing is None or not _same_attachment(existing, case=case, actor=actor, sha256=info.sha256):
            raise IdempotencyConflict("该附件 client_id 已用于另一个文件") from None
        return existing, False
    except Exception:
        _discard_files(attachment)
        raise
    return attachment, True


def _same_attachment(existing: Attachment, *, case: Case, actor: User, sha256: str) -> bool:
    """A resend of this very upload: the same case, the same bytes and the same person. Someone else's client id
    is no way to another person's upload (its capture time and place), even on a case both may see."""
    return existing.case_id == case.pk and existing.sha256 == sha256 and existing.uploaded_by_id == actor.pk


def _discard_files(attachment: Attachment) -> None:
    for field in (attachment.file, attachment.thumbnail):
        if field and field.name:
            field.storage.delete(field.name)
