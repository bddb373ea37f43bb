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

Split by concern: `formats` (types, limits, messages), `sniff`, `images`, `bmff`, `pdf`, `derivatives`, `metadata`,
and `checks` (the public functions). Import from here.
"""

from gridsafe.cases.uploads.checks import accept_upload, inspect_upload, make_display_copy, make_thumbnail
from gridsafe.cases.uploads.formats import (
    CHUNK_SIZE,
    DEFAULT_DECODE_WAIT_SECONDS,
    DEFAULT_MAX_CONCURRENT_DECODES,
    DEFAULT_MAX_DECODE_BYTES,
    DEFAULT_MAX_IMAGE_PIXELS,
    DEFAULT_UPLOAD_MAX_BYTES,
    DEFAULT_VIDEO_MAX_BYTES,
    MSG_AVIF,
    MSG_CORRUPT_IMAGE,
    MSG_CORRUPT_VIDEO,
    MSG_DECODE_TOO_LARGE,
    MSG_DECODER_BUSY,
    MSG_EMPTY,
    MSG_IMAGE_TRAILER,
    MSG_PDF_ACTIVE,
    MSG_PDF_BOMB,
    MSG_PDF_ENCRYPTED,
    MSG_PDF_NO_EOF,
    MSG_PDF_REFUSED,
    MSG_PDF_TOO_COMPLEX,
    MSG_PDF_UNREADABLE,
    MSG_TOO_LARGE,
    MSG_TOO_MANY_PIXELS,
    MSG_UNSUPPORTED,
    DecoderBusy,
    MiB,
    UploadInfo,
)
from gridsafe.cases.uploads.images import _max_pixels, decode_slot
from gridsafe.cases.uploads.metadata import sniff_content_type, strip_metadata

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_DECODE_WAIT_SECONDS",
    "DEFAULT_MAX_CONCURRENT_DECODES",
    "DEFAULT_MAX_DECODE_BYTES",
    "DEFAULT_MAX_IMAGE_PIXELS",
    "DEFAULT_UPLOAD_MAX_BYTES",
    "DEFAULT_VIDEO_MAX_BYTES",
    "MSG_AVIF",
    "MSG_CORRUPT_IMAGE",
    "MSG_CORRUPT_VIDEO",
    "MSG_DECODE_TOO_LARGE",
    "MSG_DECODER_BUSY",
    "MSG_EMPTY",
    "MSG_IMAGE_TRAILER",
    "MSG_PDF_ACTIVE",
    "MSG_PDF_BOMB",
    "MSG_PDF_ENCRYPTED",
    "MSG_PDF_NO_EOF",
    "MSG_PDF_REFUSED",
    "MSG_PDF_TOO_COMPLEX",
    "MSG_PDF_UNREADABLE",
    "MSG_TOO_LARGE",
    "MSG_TOO_MANY_PIXELS",
    "MSG_UNSUPPORTED",
    "DecoderBusy",
    "MiB",
    "UploadInfo",
    "_max_pixels",
    "accept_upload",
    "decode_slot",
    "inspect_upload",
    "make_display_copy",
    "make_thumbnail",
    "sniff_content_type",
    "strip_metadata",
]
