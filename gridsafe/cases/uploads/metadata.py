"""Identifying metadata (EXIF GPS, device make/model, author, XMP, IPTC, comments) removed on the container."""

import shutil
import struct
import tempfile
import zlib
from io import BytesIO
from typing import BinaryIO

from PIL import Image

from gridsafe.cases.uploads.formats import _SNIFF_BYTES, CHUNK_SIZE, MSG_CORRUPT_IMAGE, ORIENTATION_TAG, MiB, _fail
from gridsafe.cases.uploads.images import _scan_entropy_data
from gridsafe.cases.uploads.sniff import _read_at, _sniff
from gridsafe.core.errors import ValidationFailed

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
