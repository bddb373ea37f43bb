"""ISO-BMFF (HEIC, MP4, MOV): the box structure must add up to the end of the file."""

import struct
from typing import BinaryIO

from gridsafe.cases.uploads.formats import MSG_CORRUPT_IMAGE, MSG_CORRUPT_VIDEO, MSG_IMAGE_TRAILER, _fail
from gridsafe.cases.uploads.sniff import _read_at


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
