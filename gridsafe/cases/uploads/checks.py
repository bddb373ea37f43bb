"""The public checks: `inspect_upload` (identify, measure, hash, validate), `accept_upload` (inspect, then strip
metadata) and the two JPEG derivatives."""

import hashlib
from dataclasses import replace
from typing import BinaryIO

from django.core.files import File

from gridsafe.cases.uploads.bmff import _verify_video
from gridsafe.cases.uploads.derivatives import _render_jpeg
from gridsafe.cases.uploads.formats import CHUNK_SIZE, UploadInfo
from gridsafe.cases.uploads.images import _verify_image
from gridsafe.cases.uploads.metadata import strip_metadata
from gridsafe.cases.uploads.pdf import _verify_pdf
from gridsafe.cases.uploads.sniff import _sniff_hash_and_measure


def inspect_upload(fileobj: BinaryIO, *, max_bytes: int | None = None) -> UploadInfo:
    """Identify, measure, hash and validate an upload. Raises `ValidationFailed`; leaves `fileobj` at offset 0.

    `max_bytes` overrides the per-kind limits (GRIDSAFE_UPLOAD_MAX_BYTES for images and documents,
    GRIDSAFE_VIDEO_MAX_BYTES for videos).
    """
    try:
        ftype, size, sha256 = _sniff_hash_and_measure(fileobj, max_bytes)
        width = height = None
        if ftype.kind == "image":
            width, height = _verify_image(fileobj, ftype, size)
        elif ftype.kind == "video":
            _verify_video(fileobj, size)
        else:
            _verify_pdf(fileobj, size)
        return UploadInfo(
            content_type=ftype.content_type,
            kind=ftype.kind,
            extension=ftype.extension,
            size=size,
            sha256=sha256,
            width=width,
            height=height,
        )
    finally:
        fileobj.seek(0)


def make_thumbnail(fileobj: BinaryIO, *, max_side: int = 480) -> bytes:
    """A small RGB JPEG (quality 80) with the EXIF orientation applied; the longer side is at most `max_side`."""
    return _render_jpeg(fileobj, max_side=max_side, quality=80)


def make_display_copy(fileobj: BinaryIO, *, max_side: int = 1920) -> bytes:
    """A browser-friendly RGB JPEG for HEIC and huge photos; never upscales. Strips EXIF (and with it GPS)."""
    return _render_jpeg(fileobj, max_side=max_side, quality=85)


def accept_upload(fileobj: BinaryIO, *, max_bytes: int | None = None) -> tuple[UploadInfo, BinaryIO]:
    """`inspect_upload`, then `strip_metadata`: returns the info and the file to STORE. When metadata was removed,
    the file is a new one (named like the upload) and the info's size and SHA-256 are those of the stored bytes, so
    the row, backups (`attachments_verify`) and a resend of the same upload all agree. Raises `ValidationFailed`."""
    info = inspect_upload(fileobj, max_bytes=max_bytes)
    cleaned = strip_metadata(fileobj, info.content_type)
    if cleaned is None:
        return info, fileobj
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: cleaned.read(CHUNK_SIZE), b""):
        digest.update(chunk)
        size += len(chunk)
    cleaned.seek(0)
    stored = File(cleaned, name=getattr(fileobj, "name", None) or "upload")
    return replace(info, size=size, sha256=digest.hexdigest()), stored
