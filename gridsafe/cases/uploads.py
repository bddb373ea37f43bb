"""Inspection of uploaded case attachments: photos, short videos and PDF documents.

Everything here trusts only the bytes. The client's declared content type and the file name are never consulted:
`inspect_upload` sniffs magic bytes, hashes and measures the file in 1 MiB chunks (stopping as soon as it is too
large), then proves the content is what it claims to be:

* images (JPEG, PNG, WebP, HEIC/HEIF) are checked structurally (markers/chunks/boxes must add up to the end of the
  file), their declared pixel count is checked against ``GRIDSAFE_MAX_IMAGE_PIXELS`` before any pixel data is
  decoded, and then they are fully decoded with Pillow (pillow-heif for HEIC);
* videos (MP4/MOV) are not decoded, but their ISO-BMFF box structure must be intact (not truncated) and contain a
  ``moov`` box;
* PDFs need the ``%PDF-`` header, a ``%%EOF`` near the end, and no ``/JavaScript``, ``/JS`` or ``/Launch`` names
  (also looked for inside Flate-compressed object streams, where modern PDFs keep their dictionaries).

Every rejection raises `ValidationFailed` with a Chinese message for the field worker and a machine-readable
``reason`` (rendered into the problem+json body).

These checks are hardening, not a guarantee: a crafted file can still be valid in two formats at once (an MP4 can
carry anything in ``mdat``). Originals must therefore be served with the content type found here,
``X-Content-Type-Options: nosniff`` and ``Content-Disposition: attachment``; pages should show the JPEG derivatives
made by `make_thumbnail` / `make_display_copy`, which are re-encoded pixels only (no EXIF, so no GPS either).
"""

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

import pillow_heif
from django.conf import settings
from PIL import Image, ImageOps

from gridsafe.core.errors import ValidationFailed

# Lets Pillow open HEIC/HEIF (process-wide and idempotent). The installed wheel decodes HEVC (libde265) and can
# also encode it (x265); it has no AV1 codec, so AVIF is not accepted (Pillow's own AVIF plugin is never used here).
pillow_heif.register_heif_opener()

MiB = 1024 * 1024
CHUNK_SIZE = MiB
DEFAULT_UPLOAD_MAX_BYTES = 20 * MiB
DEFAULT_VIDEO_MAX_BYTES = 100 * MiB
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
_SNIFF_BYTES = 4096  # enough for every signature and for the compatible-brand list of an `ftyp` box

ORIENTATION_TAG = 0x0112

MSG_EMPTY = "文件为空，请重新选择文件"
MSG_UNSUPPORTED = "文件类型不受支持：仅接受 JPEG、PNG、WebP、HEIC 图片，MP4/MOV 视频和 PDF 文档"
MSG_AVIF = "文件类型不受支持：暂不接受 AVIF 图片，请使用 JPEG、PNG、WebP 或 HEIC 格式"
MSG_TOO_LARGE = "文件过大：最大 {limit}"
MSG_TOO_MANY_PIXELS = "图片尺寸过大：{width}×{height} 像素，最多允许 {limit} 万像素"
MSG_CORRUPT_IMAGE = "图片已损坏，无法解码"
MSG_IMAGE_TRAILER = "图片文件末尾附带了无法识别的额外数据（例如压缩包或网页），出于安全原因已拒绝"
MSG_CORRUPT_VIDEO = "视频文件已损坏或不完整，请重新上传"
MSG_PDF_NO_EOF = "PDF 文件不完整或已损坏：缺少 %%EOF 结束标记"
MSG_PDF_ACTIVE = "PDF 文件包含脚本或启动程序的动作（/JavaScript、/JS、/Launch），出于安全原因已拒绝"
MSG_PDF_BOMB = "PDF 文件中的压缩数据异常庞大，已拒绝"


@dataclass(frozen=True)
class UploadInfo:
    content_type: str  # from the CONTENT (magic bytes), never from the client's declared type or file name
    kind: str  # "image" | "video" | "document"
    extension: str  # ".jpg", ".png", ".webp", ".heic", ".mp4", ".mov", ".pdf"
    size: int
    sha256: str  # hex, of the bytes exactly as received
    width: int | None  # images only: as displayed, i.e. after the EXIF orientation is applied
    height: int | None


@dataclass(frozen=True)
class _FileType:
    content_type: str
    kind: str
    extension: str
    pil_format: str | None = None  # Pillow plugin allowed to open it; images only


JPEG = _FileType("image/jpeg", "image", ".jpg", "JPEG")
PNG = _FileType("image/png", "image", ".png", "PNG")
WEBP = _FileType("image/webp", "image", ".webp", "WEBP")
HEIC = _FileType("image/heic", "image", ".heic", "HEIF")
MP4 = _FileType("video/mp4", "video", ".mp4")
MOV = _FileType("video/quicktime", "video", ".mov")
PDF = _FileType("application/pdf", "document", ".pdf")

_IMAGE_FORMATS = [t.pil_format for t in (JPEG, PNG, WEBP, HEIC)]

# ISO-BMFF major brands (the first brand of the `ftyp` box decides; compatible brands only disambiguate AVIF).
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MP4_BRANDS = {b"isom", b"mp41", b"mp42", b"avc1", b"M4V ", b"mmp4", b"MSNV"} | {b"iso%d" % n for n in range(2, 10)}
_QT_BRANDS = {b"qt  "}


def _fail(message: str, reason: str, **extra) -> ValidationFailed:
    return ValidationFailed(message, reason=reason, **extra)


# --------------------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------------
# Reading, sniffing, limits
# --------------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------------------------------


def _max_pixels() -> int:
    return int(getattr(settings, "GRIDSAFE_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))


def _pixels_error(width: int, height: int) -> ValidationFailed:
    limit = _max_pixels()
    return _fail(
        MSG_TOO_MANY_PIXELS.format(width=width, height=height, limit=f"{limit / 10_000:g}"),
        "too_many_pixels",
        max_pixels=limit,
    )


def _open_image(fileobj: BinaryIO, formats: list[str]) -> Image.Image:
    """Open (header only) with one of `formats` and enforce the pixel limit before any pixel data is decoded."""
    fileobj.seek(0)
    try:
        image = Image.open(fileobj, formats=formats)
    except Image.DecompressionBombError as exc:
        # Pillow's own guard (2 × Image.MAX_IMAGE_PIXELS) fired while reading the header: far over any sane size.
        raise _fail("图片尺寸过大", "too_many_pixels", max_pixels=_max_pixels()) from exc
    except Exception as exc:  # Pillow and its plugins raise many types for bad headers
        raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image") from exc
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > _max_pixels():
        with image:  # releases the image; unlike image.close() it leaves the caller's file object open
            pass
        raise _pixels_error(width, height) if width > 0 and height > 0 else _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
    return image


def _verify_image(fileobj: BinaryIO, ftype: _FileType, size: int) -> tuple[int, int]:
    if ftype is JPEG:
        _check_jpeg_structure(fileobj, size)
    elif ftype is PNG:
        _check_png_structure(fileobj, size)
    elif ftype is WEBP:
        _check_webp_structure(fileobj, size)
    else:
        _verify_heic_structure(fileobj, size)

    # `with`, never image.close(): Pillow's close() would also close the caller's file object.
    with _open_image(fileobj, [ftype.pil_format]) as image:
        try:
            image.load()  # decode every pixel: proves the data is a real, complete image
            width, height = image.size
            orientation = image.getexif().get(ORIENTATION_TAG)
        except Image.DecompressionBombError as exc:
            raise _fail("图片尺寸过大", "too_many_pixels", max_pixels=_max_pixels()) from exc
        except Exception as exc:  # truncated, corrupt or otherwise undecodable pixel data
            raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image") from exc
    # pillow-heif has already applied HEIF's rotation and reports orientation 1; for the others swap as displayed.
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return width, height


# JPEG --------------------------------------------------------------------------------------------------------------
#
# Trailing data after the JPEG end-of-image (EOI) marker. Browsers, Pillow and libjpeg ignore it, which is exactly
# what makes "polyglot" files possible: a valid photo with a ZIP/JAR (whose directory sits at the end of the file), a
# PHP or an HTML page appended. Rejecting every byte after EOI would be the simplest hardening, but it would also
# reject ordinary phone photos, because phones put legitimate data there:
#   * further complete JPEG streams located through the MPF (CIPA DC-007) APP2 segment: iPhone HDR gain maps,
#     Android "Ultra HDR" gain maps, camera previews;
#   * an MP4 video (ISO-BMFF boxes starting with `ftyp`): Google/Xiaomi/OPPO/vivo style "motion photos";
#   * Samsung's SEF trailer (ends with "SEFT"; may hold a motion-photo video, depth map, etc.);
#   * 0x00/0xFF padding.
# So the trailer must consist only of those pieces, each structurally complete and adding up exactly to the end of
# the file; anything else (a raw ZIP, HTML, PHP, an EXE, random bytes) is rejected with MSG_IMAGE_TRAILER. This stops
# naive polyglots; it cannot stop a ZIP hidden inside the last box of an appended video, which is why originals are
# always served as attachments with nosniff (see the module docstring).

# Inside entropy-coded data 0xFF is followed by 0x00 (stuffing) or RST0-7; anything else (after fill bytes) is a marker.
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff+[\x01-\xcf\xd8-\xfe]")


def _jpeg_stream_end(fileobj: BinaryIO, start: int, end: int) -> int | None:
    """Offset just past the EOI of the JPEG stream starting at `start` (FF D8), or None if it is malformed."""
    pos = start + 2
    while True:
        marker_bytes = _read_at(fileobj, pos, 2)
        if len(marker_bytes) < 2 or marker_bytes[0] != 0xFF or pos + 2 > end:
            return None
        marker = marker_bytes[1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        pos += 2
        if marker == 0xD9:  # EOI
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn / TEM: no length
            continue
        if marker in (0x00, 0xD8):
            return None
        length_bytes = _read_at(fileobj, pos, 2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if length < 2 or pos + length > end:
            return None
        pos += length
        if marker == 0xDA:  # SOS: skip the entropy-coded data up to the next marker
            found = _scan_entropy_data(fileobj, pos, end)
            if found is None:
                return None
            pos = found


def _scan_entropy_data(fileobj: BinaryIO, pos: int, end: int) -> int | None:
    while pos < end:
        block = _read_at(fileobj, pos, min(CHUNK_SIZE, end - pos))
        if not block:
            return None
        match = _JPEG_MARKER_IN_SCAN.search(block)
        if match:
            return pos + match.start()
        # Keep a trailing run of 0xFF: its marker byte may be in the next block.
        keep = len(block) - len(block.rstrip(b"\xff"))
        if keep == len(block):
            return None
        pos += len(block) - keep
    return None


def _check_jpeg_structure(fileobj: BinaryIO, size: int) -> None:
    eoi_end = _jpeg_stream_end(fileobj, 0, size)
    if eoi_end is None:
        raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")  # truncated, or a JPEG header followed by garbage
    if eoi_end < size and not _jpeg_trailer_is_benign(fileobj, eoi_end, size):
        raise _fail(MSG_IMAGE_TRAILER, "trailing_data")


def _jpeg_trailer_is_benign(fileobj: BinaryIO, pos: int, size: int) -> bool:
    end = _samsung_trailer_start(fileobj, pos, size)
    if end is None:
        end = size
    while pos < end:
        head = _read_at(fileobj, pos, min(16, end - pos))
        if head.startswith(b"\xff\xd8\xff"):  # another JPEG stream (MPF gain map / preview)
            nxt = _jpeg_stream_end(fileobj, pos, end)
        elif head[4:8] == b"ftyp":  # an embedded video (motion photo)
            walked = _walk_boxes(fileobj, pos, end)
            nxt = walked[0] if walked else None
        elif head[0] in (0x00, 0xFF):
            nxt = _skip_padding(fileobj, pos, end)
        else:
            return False
        if nxt is None or nxt <= pos:
            return False
        pos = nxt
    return True


def _skip_padding(fileobj: BinaryIO, pos: int, end: int) -> int:
    while pos < end:
        block = _read_at(fileobj, pos, min(CHUNK_SIZE, end - pos))
        rest = block.lstrip(b"\x00\xff")
        consumed = len(block) - len(rest)
        if rest:
            if rest.startswith(b"\xd8") and consumed and block[consumed - 1] == 0xFF:
                consumed -= 1  # that 0xFF starts the next JPEG stream
            return pos + consumed
        pos += consumed
    return pos


def _samsung_trailer_start(fileobj: BinaryIO, lo: int, size: int) -> int | None:
    """Start of a well-formed Samsung SEF trailer (…data blocks, "SEFH" directory, u32le length, "SEFT"), or None."""
    if size - lo < 8 + 12:
        return None
    tail = _read_at(fileobj, size - 8, 8)
    if tail[4:] != b"SEFT":
        return None
    dir_len = struct.unpack("<I", tail[:4])[0]
    dir_pos = size - 8 - dir_len
    if dir_len < 12 or dir_pos < lo:
        return None
    directory = _read_at(fileobj, dir_pos, min(dir_len, 12 + 12 * 4096))
    if not directory.startswith(b"SEFH"):
        return None
    count = struct.unpack("<I", directory[8:12])[0]
    if 12 + 12 * count > len(directory):
        return None
    start = dir_pos
    for i in range(count):
        _, _, back_offset, length = struct.unpack("<HHII", directory[12 + 12 * i : 24 + 12 * i])
        block_pos = dir_pos - back_offset
        if back_offset > dir_pos or block_pos < lo or length > back_offset:
            return None
        start = min(start, block_pos)
    return start


# PNG / WebP --------------------------------------------------------------------------------------------------------


def _check_png_structure(fileobj: BinaryIO, size: int) -> None:
    """Walk the chunks to IEND; a missing IEND means truncation, bytes after it are rejected (no phone writes any)."""
    pos = 8
    while True:
        header = _read_at(fileobj, pos, 8)
        if len(header) < 8:
            raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
        length, chunk_type = struct.unpack(">I4s", header)
        if not chunk_type.isalpha():
            raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
        pos += 12 + length  # length, type, data, CRC
        if pos > size:
            raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
        if chunk_type == b"IEND":
            break
    if pos != size:
        raise _fail(MSG_IMAGE_TRAILER, "trailing_data")


def _check_webp_structure(fileobj: BinaryIO, size: int) -> None:
    riff_size = struct.unpack("<I", _read_at(fileobj, 4, 4))[0]
    if size < 8 + riff_size:  # truncated
        raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
    if size > 8 + riff_size + (riff_size & 1):  # beyond the RIFF container (and its optional pad byte)
        raise _fail(MSG_IMAGE_TRAILER, "trailing_data")


# --------------------------------------------------------------------------------------------------------------------
# ISO-BMFF (HEIC, MP4, MOV)
# --------------------------------------------------------------------------------------------------------------------


def _walk_boxes(fileobj: BinaryIO, pos: int, end: int) -> tuple[int, list[bytes]] | None:
    """Walk top-level boxes from `pos` towards `end`.

    Returns (offset where the walk stopped, the box types seen): the walk stops at `end` or at the first thing that is
    not a box header. Returns None if a box claims to run past `end` (truncation) or has an impossible size.
    """
    types: list[bytes] = []
    while pos < end:
        header = _read_at(fileobj, pos, min(16, end - pos))
        if len(header) < 8:
            break
        box_size, box_type = struct.unpack(">I4s", header[:8])
        if not all(0x20 <= c <= 0x7E for c in box_type):
            break
        if box_size == 0:  # extends to the end of the file
            box_size = end - pos
        elif box_size == 1:  # 64-bit size follows
            if len(header) < 16:
                return None
            box_size = struct.unpack(">Q", header[8:16])[0]
            if box_size < 16:
                return None
        elif box_size < 8:
            return None
        if pos + box_size > end:
            return None
        types.append(box_type)
        pos += box_size
    return pos, types


def _boxes_fill_file(fileobj: BinaryIO, stop: int, size: int) -> bool:
    """The walk reached the end, give or take fewer than 8 zero bytes (an old QuickTime terminator)."""
    return stop == size or (size - stop < 8 and not _read_at(fileobj, stop, 8).strip(b"\x00"))


def _verify_heic_structure(fileobj: BinaryIO, size: int) -> None:
    walked = _walk_boxes(fileobj, 0, size)
    if walked is None or b"meta" not in walked[1]:
        raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
    if not _boxes_fill_file(fileobj, walked[0], size):
        raise _fail(MSG_IMAGE_TRAILER, "trailing_data")


def _verify_video(fileobj: BinaryIO, size: int) -> None:
    walked = _walk_boxes(fileobj, 0, size)
    if walked is None or b"moov" not in walked[1] or not _boxes_fill_file(fileobj, walked[0], size):
        raise _fail(MSG_CORRUPT_VIDEO, "corrupt_video")


# --------------------------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------------------------

_PDF_DANGEROUS_NAMES = {b"JavaScript", b"JS", b"Launch"}
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_PDF_NAME_END = re.compile(rb"[\x00\t\n\x0c\r ()<>\[\]{}/%]")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_PDF_ENDSTREAM = b"endstream"
_PDF_MAX_NAME = 64  # "/JavaScript" fully #-escaped is 34 bytes; longer names cannot be one of ours
_PDF_MAX_INFLATED = 256 * MiB  # budget for decompressing object streams (zip-bomb guard)


def _pdf_unescape(raw: bytes) -> bytes:
    return _PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


class _PdfNameScanner:
    """Finds dangerous names in a stream of PDF text fed in arbitrary pieces (names may straddle pieces)."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, data: bytes) -> None:
        buf = self._tail + data
        slash = buf.rfind(b"/")
        if slash >= 0 and not _PDF_NAME_END.search(buf, slash + 1):
            # The last name may continue in the next piece; keep it unless it is already too long to matter.
            self._tail = buf[slash:] if len(buf) - slash <= _PDF_MAX_NAME else b""
            buf = buf[:slash]
        else:
            self._tail = b""
        self._scan(buf)

    def finish(self) -> None:
        self._scan(self._tail)
        self._tail = b""

    @staticmethod
    def _scan(buf: bytes) -> None:
        for match in _PDF_NAME.finditer(buf):
            raw = match.group(1)
            if len(raw) <= _PDF_MAX_NAME and _pdf_unescape(raw) in _PDF_DANGEROUS_NAMES:
                raise _fail(MSG_PDF_ACTIVE, "pdf_active_content")


class _ObjectStreamScanner:
    """Scans one object stream (uncompressed, or inflated within a shared budget) for dangerous names."""

    def __init__(self, budget: list[int], *, compressed: bool) -> None:
        self._zlib = zlib.decompressobj() if compressed else None
        self._names = _PdfNameScanner()
        self._budget = budget
        self._broken = False

    def feed(self, data: bytes) -> None:
        if self._zlib is None:
            self._names.feed(data)
            return
        if self._broken or self._zlib.eof:
            return
        try:
            while data:
                out = self._zlib.decompress(data, CHUNK_SIZE)
                self._budget[0] -= len(out)
                if self._budget[0] < 0:
                    raise _fail(MSG_PDF_BOMB, "pdf_bomb")
                self._names.feed(out)
                data = self._zlib.unconsumed_tail
        except zlib.error:
            # Encrypted documents (often just "no editing" permissions) cannot be inspected; not a reason to reject.
            self._broken = True

    def finish(self) -> None:
        if not self._broken:
            self._names.finish()


def _verify_pdf(fileobj: BinaryIO, size: int) -> None:
    if b"%%EOF" not in _read_at(fileobj, max(0, size - 1024), 1024):
        raise _fail(MSG_PDF_NO_EOF, "corrupt_pdf")
    _scan_pdf(fileobj)


def _scan_pdf(fileobj: BinaryIO) -> None:
    """Scan dictionaries for dangerous names, skipping stream data (binary: random "/JS" bytes would be false alarms)
    except object streams (/Type /ObjStm, plain or /FlateDecode), which hold dictionaries and are scanned too.
    Simple hardening, not a full parser: names behind other filters or encryption are not seen."""
    fileobj.seek(0)
    names = _PdfNameScanner()
    budget = [_PDF_MAX_INFLATED]
    dictionary = b""  # text since the previous stream: holds the current stream's dictionary
    objstm: _ObjectStreamScanner | None = None
    in_stream = False
    buf = b""
    eof = False
    while not eof:
        chunk = fileobj.read(CHUNK_SIZE)
        eof = not chunk
        buf += chunk
        while buf:
            if not in_stream:
                match = _PDF_STREAM.search(buf)
                if match and match.group().endswith(b"\r") and match.end() == len(buf) and not eof:
                    match = None  # may be "\r\n" split across chunks; decide with the next chunk
                if match is None:
                    keep = 0 if eof else 8  # "stream\r\n" may straddle chunks
                    text, buf = buf[: len(buf) - keep], buf[len(buf) - keep :]
                    names.feed(text)
                    dictionary = (dictionary + text)[-4096:]
                    break
                text = buf[: match.start()]
                names.feed(text)
                names.finish()
                dictionary = _pdf_unescape((dictionary + text)[-4096:])
                objstm = None
                if b"/ObjStm" in dictionary:
                    if b"/Filter" not in dictionary:
                        objstm = _ObjectStreamScanner(budget, compressed=False)
                    elif b"/FlateDecode" in dictionary:
                        objstm = _ObjectStreamScanner(budget, compressed=True)
                buf = buf[match.end() :]
                in_stream = True
            else:
                idx = buf.find(_PDF_ENDSTREAM)
                if idx < 0:
                    keep = 0 if eof else len(_PDF_ENDSTREAM) - 1
                    data, buf = buf[: len(buf) - keep], buf[len(buf) - keep :]
                    if objstm:
                        objstm.feed(data)
                    break
                if objstm:
                    objstm.feed(buf[:idx])
                    objstm.finish()
                    objstm = None
                buf = buf[idx + len(_PDF_ENDSTREAM) :]
                dictionary = b""
                in_stream = False
        if eof:
            break
    names.feed(buf)
    names.finish()


# --------------------------------------------------------------------------------------------------------------------
# Derivatives
# --------------------------------------------------------------------------------------------------------------------


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency is flattened onto white, 16-bit greyscale is scaled instead of clipped."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def _render_jpeg(fileobj: BinaryIO, *, max_side: int, quality: int) -> bytes:
    if max_side < 1:
        raise ValueError("max_side must be positive")
    try:
        with _open_image(fileobj, _IMAGE_FORMATS) as source:  # `with`: see _verify_image
            try:
                icc_profile = source.info.get("icc_profile") if source.mode in ("RGB", "RGBA", "RGBX") else None
                # Decode at a reduced size where the format allows it (JPEG DCT scaling, HEIF embedded thumbnails).
                # The box is square, so it does not matter that the orientation is applied afterwards.
                source.draft("RGB", (max_side * 2, max_side * 2))
                image = _to_rgb(ImageOps.exif_transpose(source))
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            except Image.DecompressionBombError as exc:
                raise _fail("图片尺寸过大", "too_many_pixels", max_pixels=_max_pixels()) from exc
            except Exception as exc:  # truncated or corrupt pixel data
                raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image") from exc
        out = BytesIO()
        options = {"quality": quality, "optimize": True}
        if icc_profile:
            options["icc_profile"] = icc_profile  # keeps Display P3 phone photos from looking washed out
        image.save(out, "JPEG", **options)
        return out.getvalue()
    finally:
        fileobj.seek(0)
