"""PDF: a byte scanner for active names (also inside Flate object streams), then pypdf's view of every object."""

import logging
import re
import time
import zlib
from typing import BinaryIO

from django.conf import settings
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from gridsafe.cases.uploads.formats import (
    CHUNK_SIZE,
    MSG_PDF_ACTIVE,
    MSG_PDF_BOMB,
    MSG_PDF_ENCRYPTED,
    MSG_PDF_NO_EOF,
    MSG_PDF_REFUSED,
    MSG_PDF_TOO_COMPLEX,
    MSG_PDF_UNREADABLE,
    MiB,
    _fail,
)
from gridsafe.cases.uploads.sniff import _read_at
from gridsafe.core.errors import ValidationFailed

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
