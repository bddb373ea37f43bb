"""Reading, sniffing and limits: the file type from its magic bytes only, size and SHA-256 in 1 MiB chunks."""

import hashlib
import struct
from typing import BinaryIO

from django.conf import settings

from gridsafe.cases.uploads.formats import (
    _AVIF_BRANDS,
    _HEIC_BRANDS,
    _MP4_BRANDS,
    _QT_BRANDS,
    _SNIFF_BYTES,
    CHUNK_SIZE,
    DEFAULT_UPLOAD_MAX_BYTES,
    DEFAULT_VIDEO_MAX_BYTES,
    HEIC,
    JPEG,
    MOV,
    MP4,
    MSG_AVIF,
    MSG_EMPTY,
    MSG_TOO_LARGE,
    MSG_UNSUPPORTED,
    PDF,
    PNG,
    WEBP,
    MiB,
    _fail,
    _FileType,
)
from gridsafe.core.errors import ValidationFailed


def _limit_for(ftype: _FileType, max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    if ftype.kind == "video":
        return int(getattr(settings, "GRIDSAFE_VIDEO_MAX_BYTES", DEFAULT_VIDEO_MAX_BYTES))
    return int(getattr(settings, "GRIDSAFE_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _human_size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n} 字节"


def _sniff_hash_and_measure(fileobj: BinaryIO, max_bytes: int | None) -> tuple[_FileType, int, str]:
    """One pass over the file in chunks: sniff the type from the first bytes, then hash and count, stopping early."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    head = b""
    ftype: _FileType | None = None
    limit: int | None = None
    size = 0
    while True:
        # First just the sniff window (the limit depends on the type); then chunks, never asking for more than one
        # byte past the limit: that byte is enough to know the file is too large.
        want = _SNIFF_BYTES - len(head) if limit is None else max(1, min(CHUNK_SIZE, limit + 1 - size))
        chunk = fileobj.read(want)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
        if ftype is None:
            head += chunk
            if len(head) >= _SNIFF_BYTES:
                ftype = _sniff(head)
                limit = _limit_for(ftype, max_bytes)
        if limit is not None and size > limit:
            raise _too_large(limit)
    if size == 0:
        raise _fail(MSG_EMPTY, "empty")
    if ftype is None:  # smaller than the sniff window
        ftype = _sniff(head)
        limit = _limit_for(ftype, max_bytes)
        if size > limit:
            raise _too_large(limit)
    return ftype, size, digest.hexdigest()


def _too_large(limit: int) -> ValidationFailed:
    return _fail(MSG_TOO_LARGE.format(limit=_human_size(limit)), "too_large", max_bytes=limit)


def _sniff(head: bytes) -> _FileType:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    raise _fail(MSG_UNSUPPORTED, "unsupported_type")


def _sniff_ftyp(head: bytes) -> _FileType:
    box_size = struct.unpack(">I", head[:4])[0]
    body = head[8 : min(max(box_size, 16), len(head))]
    major = body[:4]
    compatible = {body[i : i + 4] for i in range(8, len(body) - 3, 4)}
    if major in _AVIF_BRANDS:
        raise _fail(MSG_AVIF, "unsupported_type")
    if major in _HEIC_BRANDS:
        # Generic HEIF brands (mif1/msf1) are also used by AVIF; the compatible brands tell which codec it is.
        if major in {b"mif1", b"msf1"} and compatible & _AVIF_BRANDS and not compatible & (_HEIC_BRANDS - {major}):
            raise _fail(MSG_AVIF, "unsupported_type")
        return HEIC
    if major in _QT_BRANDS:
        return MOV
    if major in _MP4_BRANDS:
        return MP4
    raise _fail(MSG_UNSUPPORTED, "unsupported_type")


def _read_at(fileobj: BinaryIO, offset: int, n: int) -> bytes:
    """Up to `n` bytes at `offset` (fewer only at end of file)."""
    fileobj.seek(offset)
    parts = []
    while n > 0:
        chunk = fileobj.read(n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)
