"""Images: pixel and decode-memory limits checked from the header before any pixel is decoded, the per-process
decode slots (`decode_slot`), and the structural checks of JPEG, PNG and WebP."""

import re
import struct
import threading
from contextlib import contextmanager
from typing import BinaryIO

from django.conf import settings
from PIL import Image

from gridsafe.cases.uploads.bmff import _verify_heic_structure, _walk_boxes
from gridsafe.cases.uploads.formats import (
    CHUNK_SIZE,
    DEFAULT_DECODE_WAIT_SECONDS,
    DEFAULT_MAX_CONCURRENT_DECODES,
    DEFAULT_MAX_DECODE_BYTES,
    DEFAULT_MAX_IMAGE_PIXELS,
    JPEG,
    MSG_CORRUPT_IMAGE,
    MSG_DECODE_TOO_LARGE,
    MSG_DECODER_BUSY,
    MSG_IMAGE_TRAILER,
    MSG_TOO_MANY_PIXELS,
    ORIENTATION_TAG,
    PNG,
    WEBP,
    DecoderBusy,
    MiB,
    _fail,
    _FileType,
)
from gridsafe.cases.uploads.sniff import _read_at
from gridsafe.core.errors import ValidationFailed


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
