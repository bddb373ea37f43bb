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
  (also looked for inside Flate-compressed object streams, where modern PDFs keep their dictionaries); then pypdf
  reads every object and refuses active content in any encoding, encrypted and unreadable files.

Decoding is bounded twice: by memory (width × height × bytes a pixel, from the header, before any pixel is decoded)
and by how many decodes run at once in the process (`decode_slot`; a request that cannot get one gets a 503).

`accept_upload` is what services call: `inspect_upload`, then `strip_metadata`, which removes EXIF GPS, device and
author (and XMP, IPTC, comments, QuickTime location) without recompressing; the stored original carries none of it.

Every rejection raises `ValidationFailed` with a Chinese message for the field worker and a machine-readable
``reason`` (rendered into the problem+json body).

These checks are hardening, not a guarantee: a crafted file can still be valid in two formats at once (an MP4 can
carry anything in ``mdat``). Originals must therefore be served with the content type found here,
``X-Content-Type-Options: nosniff`` and ``Content-Disposition: attachment``; pages should show the JPEG derivatives
made by `make_thumbnail` / `make_display_copy`, which are re-encoded pixels only (no EXIF at all).
"""

import hashlib
import re
import shutil
import struct
import tempfile
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from io import BytesIO
from typing import BinaryIO

import pillow_heif
from django.conf import settings
from django.core.files import File
from PIL import Image, ImageOps

from gridsafe.core.errors import RateLimited, ValidationFailed

# Lets Pillow open HEIC/HEIF (process-wide and idempotent). The installed wheel decodes HEVC (libde265) and can
# also encode it (x265); it has no AV1 codec, so AVIF is not accepted (Pillow's own AVIF plugin is never used here).
pillow_heif.register_heif_opener()

MiB = 1024 * 1024
CHUNK_SIZE = MiB
DEFAULT_UPLOAD_MAX_BYTES = 20 * MiB
DEFAULT_VIDEO_MAX_BYTES = 100 * MiB
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
DEFAULT_MAX_DECODE_BYTES = 256 * MiB
DEFAULT_MAX_CONCURRENT_DECODES = 2
DEFAULT_DECODE_WAIT_SECONDS = 3.0
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
MSG_DECODE_TOO_LARGE = (
    "图片解码所需内存过大：{width}×{height} 像素、每像素 {bpp} 字节，约需 {need} MB，最多允许 {limit} MB。"
    "请转换为普通 8 位 JPEG 或缩小尺寸后再上传"
)
MSG_DECODER_BUSY = "服务器正在处理其他图片，请稍后重试"
MSG_PDF_REFUSED = (
    "PDF 文件包含脚本、外部链接、启动程序、表单提交、嵌入文件或多媒体等主动内容（{what}），出于安全原因已拒绝"
)
MSG_PDF_ENCRYPTED = "PDF 文件已加密或设置了密码，无法检查其内容，请上传未加密的 PDF"
MSG_PDF_UNREADABLE = "PDF 文件已损坏或格式不规范，无法解析，请重新导出后上传"
MSG_PDF_TOO_COMPLEX = "PDF 文件结构过于复杂（对象或页数过多），无法检查，已拒绝"


class DecoderBusy(RateLimited):
    """Every decode slot of this process stayed taken for the whole wait: the client retries later (503)."""

    status = 503
    code = "server_busy"


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
    bpp = max(_PILLOW_BYTES_PER_PIXEL.get(image.mode, 4), _declared_bytes_per_pixel(image, fileobj))
    limit = _max_decode_bytes()
    if width * height * bpp > limit:
        with image:
            pass
        need = f"{width * height * bpp / MiB:.0f}"
        raise _fail(
            MSG_DECODE_TOO_LARGE.format(width=width, height=height, bpp=bpp, need=need, limit=f"{limit / MiB:g}"),
            "decode_too_large",
            max_decode_bytes=limit,
        )
    return image


# Bytes a pixel takes in Pillow's memory: single-band images as they are, every multi-band image as 32-bit pixels
# (RGB is stored as RGBX).
_PILLOW_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "I": 4, "F": 4}
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by IHDR colour type: grey, RGB, palette, grey+alpha, RGBA


def _declared_bytes_per_pixel(image: Image.Image, fileobj: BinaryIO) -> int:
    """Bytes a pixel takes at the depth the file declares: what the decoder works with before Pillow narrows it
    (a 16-bit RGBA PNG is 8 bytes a pixel there, a 10-bit HEIC 6)."""
    if image.format == "PNG":
        bit_depth, colour_type = _read_at(fileobj, 24, 2)  # IHDR: 8 signature + 8 chunk header + width + height
        return _PNG_CHANNELS.get(colour_type, 4) * (1 if colour_type == 3 else (bit_depth + 7) // 8)
    bits = image.info.get("bit_depth", 8) if image.format == "HEIF" else 8
    return len(image.getbands()) * ((int(bits) + 7) // 8)


def _max_decode_bytes() -> int:
    return int(getattr(settings, "GRIDSAFE_MAX_DECODE_BYTES", DEFAULT_MAX_DECODE_BYTES))


# Concurrent decodes per process. The byte bound caps one decode; this caps how many run at once, so a burst of
# large photos queues briefly instead of taking every worker thread's share of memory at the same moment.
_decode_slots: tuple[int, threading.BoundedSemaphore] | None = None
_decode_slots_lock = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    global _decode_slots
    count = max(1, int(getattr(settings, "GRIDSAFE_MAX_CONCURRENT_DECODES", DEFAULT_MAX_CONCURRENT_DECODES)))
    with _decode_slots_lock:
        if _decode_slots is None or _decode_slots[0] != count:  # first use, or the setting changed (tests)
            _decode_slots = (count, threading.BoundedSemaphore(count))
        return _decode_slots[1]


@contextmanager
def decode_slot():
    """Hold one of the process's decode slots; after GRIDSAFE_DECODE_WAIT_SECONDS without one, `DecoderBusy` (503
    with Retry-After) rather than a request that hangs. Not re-entrant: decoding code never nests it."""
    slots = _slots()
    wait = float(getattr(settings, "GRIDSAFE_DECODE_WAIT_SECONDS", DEFAULT_DECODE_WAIT_SECONDS))
    if not slots.acquire(timeout=max(0.0, wait)):
        raise DecoderBusy(MSG_DECODER_BUSY, retry_after=5)
    try:
        yield
    finally:
        slots.release()


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
    with _open_image(fileobj, [ftype.pil_format]) as image, decode_slot():
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
    _check_pdf_objects(fileobj)


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


# The parser's view: the scanner above reads bytes, so it misses names it cannot see (inside streams behind other
# filters, in objects that only the cross-reference streams of an incremental update point to). pypdf reads the
# document as a PDF viewer would: every object the cross-reference tables list, names decoded (#-escapes), object
# streams inflated (with pypdf's own output limits), later revisions over earlier ones. A document it cannot read,
# or cannot read without a password, is refused: what cannot be inspected cannot be shown to be harmless.

# Action types (/S) that run code, reach the network or other files, or send form data.
_PDF_REFUSED_ACTIONS = {
    "/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/RichMediaExecute",
    "/Rendition",
}  # fmt: skip
# Keys whose mere presence means scripts, embedded files, XFA forms or rich media.
_PDF_REFUSED_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/XFA", "/RichMediaContent"}
_PDF_REFUSED_TYPES = {"/EmbeddedFile", "/RichMediaExecute"}  # /Type or /Subtype values
_PDF_REFUSED_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}
_PDF_MAX_OBJECTS = 200_000
_PDF_MAX_PAGES = 2_000
_PDF_MAX_SECONDS = 10.0


def _pdf_refusal(what: str) -> ValidationFailed:
    return _fail(MSG_PDF_REFUSED.format(what=what), "pdf_active_content", found=what.strip("/"))


def _check_pdf_objects(fileobj: BinaryIO) -> None:
    """Walk every object of the document with pypdf and refuse active content (see the comment above)."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    deadline = time.monotonic() + float(getattr(settings, "GRIDSAFE_PDF_MAX_SECONDS", _PDF_MAX_SECONDS))
    fileobj.seek(0)
    pypdf_logger = logging.getLogger("pypdf")
    level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)  # its warnings about sloppy (but readable) files are noise here
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted:
            raise _fail(MSG_PDF_ENCRYPTED, "pdf_encrypted")
        refs = [(num, gen) for gen, table in reader.xref.items() for num in table]
        refs += [(num, 0) for num in reader.xref_objStm]
        if len(refs) > _PDF_MAX_OBJECTS:
            raise _fail(MSG_PDF_TOO_COMPLEX, "pdf_too_complex")
        # Without a catalog no viewer shows anything (nor runs anything); its objects are still all checked below.
        catalog = reader.trailer.get("/Root")
        pages = catalog.get_object().get("/Pages") if catalog is not None else None
        count = pages.get_object().get("/Count", 0) if pages is not None else 0
        if not isinstance(count, int) or count > _PDF_MAX_PAGES:
            raise _fail(MSG_PDF_TOO_COMPLEX, "pdf_too_complex")
        roots = [reader.trailer]
        for num, gen in refs:
            if time.monotonic() > deadline:
                raise _fail(MSG_PDF_TOO_COMPLEX, "pdf_too_complex")
            try:
                roots.append(reader.get_object(IndirectObject(num, gen, reader)))
            except PdfReadError:
                continue  # a dangling or free entry; what it would hold is read through its real entry
        for root in roots:
            stack = [root]
            while stack:  # direct objects only: each indirect object is one of the roots
                if time.monotonic() > deadline:
                    raise _fail(MSG_PDF_TOO_COMPLEX, "pdf_too_complex")
                node = stack.pop()
                if isinstance(node, DictionaryObject):
                    _check_pdf_dictionary(node)
                    stack += [v for v in node.values() if not isinstance(v, IndirectObject)]
                elif isinstance(node, ArrayObject):
                    stack += [v for v in node if not isinstance(v, IndirectObject)]
    except ValidationFailed:
        raise
    except Exception as exc:  # pypdf raises many types (and some plain ones: KeyError, ValueError) for bad files
        raise _fail(MSG_PDF_UNREADABLE, "corrupt_pdf") from exc
    finally:
        pypdf_logger.setLevel(level)
        fileobj.seek(0)


def _check_pdf_dictionary(node) -> None:
    for key in node:
        if key in _PDF_REFUSED_KEYS:
            raise _pdf_refusal(key)
    action = node.get("/S")
    if action in _PDF_REFUSED_ACTIONS:
        raise _pdf_refusal(action)
    if node.get("/Type") in _PDF_REFUSED_TYPES:
        raise _pdf_refusal(node["/Type"])
    if node.get("/Subtype") in _PDF_REFUSED_SUBTYPES | _PDF_REFUSED_TYPES:
        raise _pdf_refusal(node["/Subtype"])
    # Additional actions run on events (page open, field change, document close): any of them is refused.
    additional = node.get("/AA")
    if additional is not None and len(additional.get_object()):
        raise _pdf_refusal("/AA")
    # An open action may be a destination ([page /Fit], harmless) or an action; only "go to a page" is let through.
    opening = node.get("/OpenAction")
    if opening is not None:
        opening = opening.get_object()
        if hasattr(opening, "get") and opening.get("/S") not in (None, "/GoTo"):
            raise _pdf_refusal("/OpenAction")


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
        with _open_image(fileobj, _IMAGE_FORMATS) as source, decode_slot():  # `with`: see _verify_image
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
            image.save(out, "JPEG", **options)  # still in the slot: encoding holds the decoded pixels too
        return out.getvalue()
    finally:
        fileobj.seek(0)


# --------------------------------------------------------------------------------------------------------------------
# Identifying metadata (EXIF GPS, device make/model, author, XMP, IPTC, comments)
# --------------------------------------------------------------------------------------------------------------------
#
# Originals are served to every user who may see the record and copied into archives and backups, so what they carry
# beyond pixels must not identify the worker or the phone: EXIF (GPS, Make/Model, Artist, serial numbers), XMP (which
# repeats them), IPTC, JPEG comments, text chunks, QuickTime location/make atoms. The capture location the platform
# needs is sent by the app as data and kept on the row.
#
# Removal is done on the container, never by re-encoding, so the pixels stay byte-identical and the same input always
# gives the same output (the SHA-256 of a resent file matches its first upload). The one tag kept is the EXIF
# Orientation, in a minimal EXIF block of its own: it is what keeps a portrait photo upright in every viewer, and
# rotating the pixels instead would mean recompressing a JPEG.
#
# * JPEG: only the primary image is kept. APP1 (EXIF, XMP), APP13 (IPTC), COM and the other APPn segments go, except
#   JFIF (APP0), ICC colour profiles (APP2) and Adobe (APP14, needed to decode CMYK). The trailer after EOI (MPF gain
#   maps and previews with EXIF of their own, motion-photo videos, Samsung SEF) goes too, with the MPF index.
# * PNG: an allow-list of the chunks that affect rendering; eXIf, tEXt/zTXt/iTXt, tIME and anything unknown go.
# * WebP: the EXIF and XMP chunks go (and their VP8X flags); unknown chunks go.
# * HEIC: items cannot be removed without rewriting the item tables, so the Exif and XMP items are overwritten in
#   place (an empty EXIF directory, XMP blanked with spaces); rotation lives in HEIF's irot/imir boxes, untouched.
# * MP4/MOV: moov/udta, moov/meta and the same boxes in each track (QuickTime ©xyz location, make, model, keys/ilst)
#   and top-level XMP uuid boxes become `free` boxes of the same size, so no chunk offset moves.
# PDFs are documents written to be read as such; their metadata is left alone.

_MINIMAL_TIFF = b"MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"  # big-endian TIFF header, an IFD of 0 entries
_XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs",
    b"sPLT", b"hIST", b"cICP", b"mDCV", b"cLLI", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
_WEBP_KEEP = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"}


def _orientation_of(tiff_or_exif: bytes) -> int:
    """The Orientation tag (1 when missing or unreadable) of an EXIF block, with or without the Exif\\0\\0 prefix."""
    try:
        value = Image.Exif()
        value.load(tiff_or_exif)
        orientation = value.get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not refuse a photo that decoded fine; it is dropped anyway
        return 1
    return orientation if isinstance(orientation, int) and 2 <= orientation <= 8 else 1


def _orientation_exif(orientation: int) -> bytes:
    """A TIFF block holding only the Orientation tag (no Exif\\0\\0 prefix)."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()[6:]


def strip_metadata(fileobj: BinaryIO, content_type: str) -> BinaryIO | None:
    """The content of `fileobj` without identifying metadata, as a new file at offset 0; None when there is nothing
    to remove (or the type carries none). `content_type` is the one `inspect_upload` found. Leaves `fileobj` at 0.
    Images are handled in memory (they are at most GRIDSAFE_UPLOAD_MAX_BYTES); videos are patched while copied."""
    try:
        if content_type in ("video/mp4", "video/quicktime"):
            return _patched_copy(fileobj, _bmff_metadata_patches(fileobj, _file_size(fileobj), video=True))
        if content_type == "image/heic":
            return _patched_copy(fileobj, _bmff_metadata_patches(fileobj, _file_size(fileobj), video=False))
        stripper = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}.get(content_type)
        if stripper is None:
            return None
        fileobj.seek(0)
        data = fileobj.read()
        try:
            cleaned = stripper(data)
        except (IndexError, struct.error) as exc:  # inspect_upload checked the structure; this is belt and braces
            raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image") from exc
        return None if cleaned == data else BytesIO(cleaned)
    finally:
        fileobj.seek(0)


def sniff_content_type(fileobj: BinaryIO) -> str | None:
    """The content type of a stored file by its first bytes (as `inspect_upload` found it), None for anything this
    module does not accept (a .docx). No other check; leaves `fileobj` at offset 0."""
    try:
        return _sniff(_read_at(fileobj, 0, _SNIFF_BYTES)).content_type
    except ValidationFailed:
        return None
    finally:
        fileobj.seek(0)


def _file_size(fileobj: BinaryIO) -> int:
    return fileobj.seek(0, 2)


def _strip_jpeg(data: bytes) -> bytes:
    kept: list[bytes] = []
    orientation = 1
    pos = 2
    while True:
        while data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI of the primary image: the trailer after it is dropped
            kept.append(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            kept.append(data[pos : pos + 2])
            pos += 2
            continue
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        payload = data[pos + 4 : end]
        if marker == 0xDA:  # SOS: the header and its entropy-coded data, up to the next marker
            scan_end = _scan_entropy_data(BytesIO(data), end, len(data))
            if scan_end is None:
                raise _fail(MSG_CORRUPT_IMAGE, "corrupt_image")
            kept.append(data[pos:scan_end])
            pos = scan_end
            continue
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00") and orientation == 1:
            orientation = _orientation_of(payload)
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or (
            (marker == 0xE0 and payload[:5] in (b"JFIF\x00", b"JFXX\x00"))
            or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"))
            or (marker == 0xEE and payload.startswith(b"Adobe"))
        ):
            kept.append(data[pos:end])
        pos = end
    if orientation != 1:
        exif = b"Exif\x00\x00" + _orientation_exif(orientation)
        app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
        at = 1 if kept and kept[0].startswith(b"\xff\xe0") else 0  # after JFIF, which readers expect first
        kept.insert(at, app1)
    return b"\xff\xd8" + b"".join(kept)


def _png_chunk(chunk_type: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", zlib.crc32(chunk_type + payload))


def _strip_png(data: bytes) -> bytes:
    out = [data[:8]]
    orientation = 1
    pos = 8
    while pos < len(data):
        length, chunk_type = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if chunk_type == b"eXIf" and orientation == 1:
            orientation = _orientation_of(data[pos + 8 : end - 4])
        if chunk_type in _PNG_KEEP:
            out.append(data[pos:end])
        pos = end
        if chunk_type == b"IEND":
            break
    if orientation != 1:
        out.insert(2, _png_chunk(b"eXIf", _orientation_exif(orientation)))  # right after IHDR, before any IDAT
    return b"".join(out)


def _webp_chunk(chunk_type: bytes, payload: bytes) -> bytes:
    return chunk_type + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


def _strip_webp(data: bytes) -> bytes:
    riff_end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks: list[tuple[bytes, bytes]] = []
    orientation = 1
    pos = 12
    while pos + 8 <= riff_end:
        chunk_type = data[pos : pos + 4]
        length = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        payload = data[pos + 8 : pos + 8 + length]
        if chunk_type == b"EXIF" and orientation == 1:
            orientation = _orientation_of(payload)
        if chunk_type in _WEBP_KEEP:
            chunks.append((chunk_type, payload))
        pos += 8 + length + (length & 1)
    if chunks and chunks[0][0] == b"VP8X":
        flags = chunks[0][1][0] & ~0x0C  # EXIF (0x08) and XMP (0x04) present
        if orientation != 1:
            chunks.append((b"EXIF", _orientation_exif(orientation)))
            flags |= 0x08
        chunks[0] = (b"VP8X", bytes([flags]) + chunks[0][1][1:])
    body = b"WEBP" + b"".join(_webp_chunk(t, p) for t, p in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _box_children(fileobj: BinaryIO, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of the boxes between `start` and `end`."""
    boxes = []
    pos = start
    while pos + 8 <= end:
        box_size, box_type = struct.unpack(">I4s", _read_at(fileobj, pos, 8))
        header = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", _read_at(fileobj, pos + 8, 8))[0]
            header = 16
        elif box_size == 0:
            box_size = end - pos
        if box_size < header or pos + box_size > end:
            break
        boxes.append((box_type, pos, pos + header, pos + box_size))
        pos += box_size
    return boxes


def _free_box_patch(fileobj: BinaryIO, box_start: int, payload_start: int, box_end: int) -> list[tuple[int, bytes]]:
    """Turn a box into a `free` box of the same size: its type renamed, its payload zeroed."""
    header_type_at = box_start + 4
    patches = [(header_type_at, b"free")]
    for offset in range(payload_start, box_end, CHUNK_SIZE):
        patches.append((offset, b"\x00" * min(CHUNK_SIZE, box_end - offset)))
    return patches


def _bmff_metadata_patches(fileobj: BinaryIO, size: int, *, video: bool) -> list[tuple[int, bytes]]:
    patches: list[tuple[int, bytes]] = []
    for box_type, start, payload, end in _box_children(fileobj, 0, size):
        if box_type == b"uuid" and _read_at(fileobj, payload, 16) == _XMP_UUID:
            patches += _free_box_patch(fileobj, start, payload, end)
        elif video and box_type == b"moov":
            for child_type, c_start, c_payload, c_end in _box_children(fileobj, payload, end):
                if child_type in (b"udta", b"meta"):
                    patches += _free_box_patch(fileobj, c_start, c_payload, c_end)
                elif child_type == b"trak":
                    for t_type, t_start, t_payload, t_end in _box_children(fileobj, c_payload, c_end):
                        if t_type in (b"udta", b"meta"):
                            patches += _free_box_patch(fileobj, t_start, t_payload, t_end)
        elif not video and box_type == b"meta":
            patches += _heif_item_patches(fileobj, payload + 4, end)  # meta is a full box: skip version and flags
    return patches


def _heif_item_patches(fileobj: BinaryIO, start: int, end: int) -> list[tuple[int, bytes]]:
    """Overwrite the Exif and XMP items of a HEIF file in place (see the section comment)."""
    children = {t: (p, e) for t, _s, p, e in _box_children(fileobj, start, end)}
    if b"iinf" not in children or b"iloc" not in children:
        return []
    targets = _heif_metadata_items(_read_at(fileobj, children[b"iinf"][0], children[b"iinf"][1] - children[b"iinf"][0]))
    if not targets:
        return []
    iloc = _read_at(fileobj, children[b"iloc"][0], children[b"iloc"][1] - children[b"iloc"][0])
    idat_start = children[b"idat"][0] if b"idat" in children else None
    patches = []
    for item_id, extents in _heif_item_extents(iloc, idat_start).items():
        if item_id not in targets:
            continue
        total = sum(length for _offset, length in extents)
        if targets[item_id] == "exif" and total >= 4 + len(_MINIMAL_TIFF):
            blank = b"\x00\x00\x00\x00" + _MINIMAL_TIFF  # offset 0 to the TIFF header, then an empty directory
            blank += b"\x00" * (total - len(blank))
        elif targets[item_id] == "exif":
            blank = b"\x00" * total
        else:
            blank = b" " * total  # whitespace is what XMP packets are padded with
        for offset, length in extents:
            patches.append((offset, blank[:length]))
            blank = blank[length:]
    return patches


def _cstring(data: bytes, pos: int) -> tuple[bytes, int]:
    end = data.find(b"\x00", pos)
    end = len(data) if end < 0 else end
    return data[pos:end], end + 1


def _heif_metadata_items(iinf: bytes) -> dict[int, str]:
    """item id → "exif" | "xmp" for the metadata items listed in an `iinf` payload (a full box)."""
    version = iinf[0]
    pos = 4 + (2 if version == 0 else 4)  # version/flags, entry count
    found: dict[int, str] = {}
    for entry_type, _s, payload, end in _box_children(BytesIO(iinf), pos, len(iinf)):
        if entry_type != b"infe":
            continue
        entry = iinf[payload:end]
        entry_version = entry[0]
        if entry_version < 2:
            continue  # versions 0/1 carry no item type; HEIF requires version 2 or 3
        id_size = 2 if entry_version == 2 else 4
        item_id = int.from_bytes(entry[4 : 4 + id_size], "big")
        item_type = entry[6 + id_size : 10 + id_size]
        _name, after = _cstring(entry, 10 + id_size)
        if item_type == b"Exif":
            found[item_id] = "exif"
        elif item_type == b"mime":
            content_type, _after = _cstring(entry, after)
            if b"xmp" in content_type.lower() or b"rdf+xml" in content_type.lower():
                found[item_id] = "xmp"
    return found


def _heif_item_extents(iloc: bytes, idat_start: int | None) -> dict[int, list[tuple[int, int]]]:
    """item id → [(absolute file offset, length)] from an `iloc` payload (a full box). Items stored by reference to
    other items (construction method 2), and extents "to the end of the file" (length 0), are left out."""
    version = iloc[0]
    offset_size, length_size = iloc[4] >> 4, iloc[4] & 0x0F
    base_offset_size, index_size = iloc[5] >> 4, (iloc[5] & 0x0F if version in (1, 2) else 0)
    pos = 6

    def take(n: int) -> int:
        nonlocal pos
        value = int.from_bytes(iloc[pos : pos + n], "big") if n else 0
        pos += n
        return value

    count = take(2 if version < 2 else 4)
    items: dict[int, list[tuple[int, int]]] = {}
    for _ in range(count):
        item_id = take(2 if version < 2 else 4)
        method = take(2) & 0x0F if version in (1, 2) else 0
        take(2)  # data_reference_index: 0 = this file
        base = take(base_offset_size)
        extents = []
        for _ in range(take(2)):
            take(index_size)
            offset, length = take(offset_size), take(length_size)
            if method == 0 and length:
                extents.append((base + offset, length))
            elif method == 1 and length and idat_start is not None:
                extents.append((idat_start + base + offset, length))
        if extents:
            items[item_id] = extents
    return items


def _patched_copy(fileobj: BinaryIO, patches: list[tuple[int, bytes]]) -> BinaryIO | None:
    """A copy of `fileobj` (spooled: in memory up to 2 MiB, then a temporary file) with `patches` written over it;
    None when no patch changes a byte."""
    patches = [(offset, data) for offset, data in patches if _read_at(fileobj, offset, len(data)) != data]
    if not patches:
        return None
    out = tempfile.SpooledTemporaryFile(max_size=2 * MiB)
    fileobj.seek(0)
    shutil.copyfileobj(fileobj, out, CHUNK_SIZE)
    for offset, data in patches:
        out.seek(offset)
        out.write(data)
    out.seek(0)
    return out


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
