"""Upload inspection: every fixture is generated here, with Pillow / pillow-heif or byte by byte."""

import hashlib
import io
import struct
import zipfile
import zlib

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from gridsafe.cases import uploads
from gridsafe.cases.uploads import (
    CHUNK_SIZE,
    MSG_CORRUPT_IMAGE,
    MSG_IMAGE_TRAILER,
    MSG_PDF_ACTIVE,
    MSG_UNSUPPORTED,
    UploadInfo,
    inspect_upload,
    make_display_copy,
    make_thumbnail,
)
from gridsafe.core.errors import ValidationFailed

ORIENTATION = 0x0112


# --------------------------------------------------------------------------------------------------------------------
# Fixture builders
# --------------------------------------------------------------------------------------------------------------------


def two_tone(size=(200, 100), mode="RGB", left=(255, 0, 0), right=(0, 0, 255)) -> Image.Image:
    """Left half `left`, right half `right`: lets a test see which way an image was rotated."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg_bytes(size=(200, 100), orientation: int | None = None) -> bytes:
    options = {"quality": 90}
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        options["exif"] = exif.tobytes()
    return encode(two_tone(size), "JPEG", **options)


def png_bytes(size=(64, 48), mode="RGB") -> bytes:
    return encode(
        two_tone(size, mode=mode, left=(255, 0, 0, 255)[: len(mode)], right=(0, 0, 255, 0)[: len(mode)]), "PNG"
    )


def webp_bytes(size=(64, 48)) -> bytes:
    return encode(two_tone(size), "WEBP", quality=80)


def heic_bytes(size=(200, 100), orientation: int | None = None) -> bytes:
    options = {"quality": 80}
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        options["exif"] = exif.tobytes()
    return encode(two_tone(size), "HEIF", **options)


def box(box_type: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    return box(b"ftyp", major + b"\x00\x00\x02\x00" + b"".join(compatible))


def mp4_bytes(major=b"isom", compatible=(b"isom", b"iso2", b"avc1", b"mp41")) -> bytes:
    mvhd = box(b"mvhd", b"\x00" * 100)
    return ftyp(major, *compatible) + box(b"moov", mvhd) + box(b"mdat", b"\x00\x00\x00\x10" * 64)


def pdf_bytes(*bodies: bytes) -> bytes:
    """A well-formed PDF: catalog, pages, one page, then `bodies` as objects 4, 5, ... with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *bodies,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # A fixed timestamp: the bytes name parametrized tests, which every xdist worker must collect identically.
        archive.writestr(zipfile.ZipInfo("evil.html", date_time=(2026, 1, 1, 0, 0, 0)), "<script>alert(1)</script>")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height (the classic decompression bomb shape)."""

    def chunk(chunk_type: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", zlib.crc32(chunk_type + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def samsung_trailer(payload: bytes) -> bytes:
    """Samsung SEF trailer: data block, "SEFH" directory (offsets counted back from it), u32le length, "SEFT"."""
    block = b"\x00\x00\x30\x0a" + struct.pack("<I", 16) + b"MotionPhoto_Data" + payload
    directory = b"SEFH" + struct.pack("<II", 106, 1) + struct.pack("<HHII", 0, 0x0A30, len(block), len(block))
    return block + directory + struct.pack("<I", len(directory)) + b"SEFT"


def upload(data: bytes, name: str = "upload.bin", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def rejected(data: bytes, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        inspect_upload(io.BytesIO(data), **kwargs)
    return caught.value


class CountingReader(io.BytesIO):
    """Records every read() so tests can prove chunked, early-stopping reads."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.requests: list[int | None] = []
        self.bytes_read = 0

    def read(self, size=-1):
        self.requests.append(size)
        data = super().read(size)
        self.bytes_read += len(data)
        return data


# --------------------------------------------------------------------------------------------------------------------
# Type detection and hashing
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "declared", "content_type", "kind", "extension"),
    [
        (jpeg_bytes(), "photo.png", "image/png", "image/jpeg", "image", ".jpg"),
        (png_bytes(), "photo.pdf", "application/pdf", "image/png", "image", ".png"),
        (webp_bytes(), "photo.jpg", "image/jpeg", "image/webp", "image", ".webp"),
        (heic_bytes(), "IMG_0001.JPG", "image/jpeg", "image/heic", "image", ".heic"),
        (mp4_bytes(), "clip.mov", "video/quicktime", "video/mp4", "video", ".mp4"),
        (mp4_bytes(b"mp42", (b"mp42", b"isom")), "clip", "", "video/mp4", "video", ".mp4"),
        (mp4_bytes(b"qt  ", (b"qt  ",)), "IMG_0002.MP4", "video/mp4", "video/quicktime", "video", ".mov"),
        (pdf_bytes(), "report.jpg", "image/jpeg", "application/pdf", "document", ".pdf"),
    ],
)
def test_content_type_comes_from_the_bytes_not_the_name_or_declared_type(
    data, name, declared, content_type, kind, extension
):
    info = inspect_upload(upload(data, name, declared))
    assert (info.content_type, info.kind, info.extension) == (content_type, kind, extension)
    assert info.size == len(data)


def test_sha256_is_of_the_exact_bytes_and_the_file_is_rewound():
    data = jpeg_bytes()
    fileobj = io.BytesIO(data)
    fileobj.seek(17)  # wherever the caller left it, inspection starts at 0
    info = inspect_upload(fileobj)
    assert info == UploadInfo("image/jpeg", "image", ".jpg", len(data), hashlib.sha256(data).hexdigest(), 200, 100)
    assert fileobj.tell() == 0
    assert fileobj.read() == data


def test_large_file_is_read_in_bounded_chunks_never_whole():
    data = mp4_bytes() + box(b"free", b"\x01" * (5 * CHUNK_SIZE + 123))
    reader = CountingReader(data)
    info = inspect_upload(reader)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert all(size is not None and 0 < size <= CHUNK_SIZE for size in reader.requests)
    assert reader.tell() == 0


def test_rejection_also_rewinds_the_file():
    fileobj = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(ValidationFailed):
        inspect_upload(fileobj)
    assert fileobj.tell() == 0


# --------------------------------------------------------------------------------------------------------------------
# Size limits
# --------------------------------------------------------------------------------------------------------------------


@override_settings(GRIDSAFE_UPLOAD_MAX_BYTES=10_000)
def test_oversize_image_is_rejected_as_soon_as_the_limit_is_passed():
    data = pdf_bytes(pdf_stream(b"", b"\x00" * (3 * CHUNK_SIZE)))
    reader = CountingReader(data)
    with pytest.raises(ValidationFailed) as caught:
        inspect_upload(reader)
    assert str(caught.value) == "文件过大：最大 9.8 KB"
    assert caught.value.extra == {"reason": "too_large", "max_bytes": 10_000}
    assert reader.bytes_read == 10_001  # one byte past the limit, not the 3 MiB
    assert reader.tell() == 0


def test_default_limit_message_is_in_megabytes():
    data = pdf_bytes(pdf_stream(b"", b"\x00" * (20 * 1024 * 1024)))
    error = rejected(data)
    assert str(error) == "文件过大：最大 20 MB"


@override_settings(GRIDSAFE_UPLOAD_MAX_BYTES=1_000, GRIDSAFE_VIDEO_MAX_BYTES=100_000)
def test_videos_have_their_own_larger_limit():
    assert rejected(jpeg_bytes()).extra["reason"] == "too_large"
    video = mp4_bytes() + box(b"free", b"\x00" * 50_000)
    assert inspect_upload(io.BytesIO(video)).kind == "video"
    error = rejected(video + box(b"free", b"\x00" * 60_000))
    assert error.extra == {"reason": "too_large", "max_bytes": 100_000}


def test_explicit_max_bytes_overrides_settings():
    data = png_bytes()
    assert inspect_upload(io.BytesIO(data), max_bytes=len(data)).size == len(data)
    assert rejected(data, max_bytes=len(data) - 1).extra["reason"] == "too_large"


def test_empty_file_is_rejected():
    error = rejected(b"")
    assert error.extra["reason"] == "empty"
    assert "文件为空" in str(error)


# --------------------------------------------------------------------------------------------------------------------
# Unknown and unsupported types
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "setup.exe"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "photo.jpg"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "photo.jpg"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,", "anim.gif"),
        (zip_bytes(), "photo.heic"),
        (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isom3gp4" + box(b"moov"), "clip.mp4"),
        (b"x", "a.pdf"),
    ],
)
def test_unknown_types_are_rejected(data, name):
    with pytest.raises(ValidationFailed) as caught:
        inspect_upload(upload(data, name, "image/jpeg"))
    assert str(caught.value) == MSG_UNSUPPORTED
    assert caught.value.extra == {"reason": "unsupported_type"}


def test_avif_is_rejected_with_a_specific_message():
    for data in (ftyp(b"avif", b"mif1", b"miaf") + box(b"meta"), ftyp(b"mif1", b"avif", b"miaf") + box(b"meta")):
        error = rejected(data)
        assert error.extra["reason"] == "unsupported_type"
        assert "AVIF" in str(error)


# --------------------------------------------------------------------------------------------------------------------
# Images must really decode
# --------------------------------------------------------------------------------------------------------------------


def test_dimensions_are_reported_as_displayed():
    def dimensions(data):
        info = inspect_upload(io.BytesIO(data))
        return info.width, info.height

    assert dimensions(jpeg_bytes()) == (200, 100)
    assert dimensions(jpeg_bytes(orientation=6)) == (100, 200)  # rotated 90°: displayed portrait
    assert dimensions(jpeg_bytes(orientation=3)) == (200, 100)  # rotated 180°
    assert dimensions(png_bytes((64, 48))) == (64, 48)
    assert dimensions(webp_bytes((64, 48))) == (64, 48)


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_truncated_jpeg_is_rejected(cut):
    data = jpeg_bytes((400, 300))
    error = rejected(data[: int(len(data) * cut)])
    assert str(error) == MSG_CORRUPT_IMAGE
    assert error.extra["reason"] == "corrupt_image"


def test_jpeg_header_followed_by_garbage_is_rejected():
    data = jpeg_bytes()
    header_end = data.index(b"\xff\xdb")  # keep SOI + APP0, then junk instead of tables and scan
    junk = bytes(range(256)) * 20
    assert rejected(data[:header_end] + junk).extra["reason"] == "corrupt_image"
    # Magic bytes alone are not an image either.
    assert rejected(b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>").extra["reason"] == "corrupt_image"


def test_truncated_png_and_webp_are_rejected():
    png = png_bytes((300, 300))
    assert rejected(png[: len(png) - 30]).extra["reason"] == "corrupt_image"
    webp = webp_bytes((300, 300))
    assert rejected(webp[: len(webp) // 2]).extra["reason"] == "corrupt_image"


def test_corrupt_pixel_data_with_intact_structure_is_rejected():
    png = bytearray(png_bytes((64, 64)))
    idat = png.index(b"IDAT") + 4
    png[idat : idat + 20] = b"\xde\xad\xbe\xef" * 5  # zlib stream broken, chunk layout intact
    assert rejected(bytes(png)).extra["reason"] == "corrupt_image"


def test_decompression_bomb_png_is_rejected_before_decoding():
    bomb = png_declaring(30_000, 30_000)
    assert len(bomb) < 200
    error = rejected(bomb)
    assert error.extra["reason"] == "too_many_pixels"
    assert "图片尺寸过大" in str(error)


@override_settings(GRIDSAFE_MAX_IMAGE_PIXELS=1_000_000)
def test_pixel_limit_comes_from_settings():
    error = rejected(png_declaring(2_000, 1_000))  # 2 MP: far below Pillow's own bomb threshold
    assert str(error) == "图片尺寸过大：2000×1000 像素，最多允许 100 万像素"
    assert error.extra == {"reason": "too_many_pixels", "max_pixels": 1_000_000}
    assert inspect_upload(io.BytesIO(png_bytes((1000, 1000)))).width == 1000
    with pytest.raises(ValidationFailed):
        make_thumbnail(io.BytesIO(png_declaring(2_000, 1_000)))


# --------------------------------------------------------------------------------------------------------------------
# Trailing data / polyglots (policy: see the comment above _jpeg_stream_end in uploads.py)
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "trailer",
    [
        zip_bytes(),
        b"<html><body><script>alert(document.cookie)</script></body></html>",
        b"<?php system($_GET['c']); ?>",
        b"MZ\x90\x00" + b"\x00" * 64,
        b"\x00\x00\x00" + zip_bytes(),  # padding does not launder what follows it
        jpeg_bytes()[:300],  # an incomplete second JPEG stream
    ],
)
def test_jpeg_polyglot_with_unrecognised_trailer_is_rejected(trailer):
    error = rejected(jpeg_bytes() + trailer)
    assert str(error) == MSG_IMAGE_TRAILER
    assert error.extra == {"reason": "trailing_data"}


def test_png_and_webp_with_appended_zip_are_rejected():
    assert rejected(png_bytes() + zip_bytes()).extra["reason"] == "trailing_data"
    assert rejected(webp_bytes() + zip_bytes()).extra["reason"] == "trailing_data"
    assert rejected(heic_bytes() + zip_bytes()).extra["reason"] == "trailing_data"


def test_jpeg_with_mpf_secondary_image_is_accepted():
    """iPhone / Android Ultra HDR gain maps and camera previews are further JPEG streams after the first EOI."""
    primary, secondary = two_tone((200, 100)), two_tone((100, 50))
    data = encode(primary, "MPO", save_all=True, append_images=[secondary])
    first_eoi = data.index(b"\xff\xd9\xff\xd8") + 2
    assert first_eoi < len(data)  # really has data after the primary image
    info = inspect_upload(io.BytesIO(data))
    assert (info.content_type, info.width, info.height) == ("image/jpeg", 200, 100)


def test_jpeg_motion_photo_padding_and_samsung_trailer_are_accepted():
    photo = jpeg_bytes()
    for data in (
        photo + mp4_bytes(),  # Google / Xiaomi style motion photo
        photo + b"\x00" * 100,  # padding
        photo + samsung_trailer(mp4_bytes()),  # Samsung SEF trailer
        photo + mp4_bytes() + samsung_trailer(b"\x00" * 32),
    ):
        assert inspect_upload(io.BytesIO(data)).content_type == "image/jpeg"


def test_broken_samsung_trailer_is_rejected():
    trailer = bytearray(samsung_trailer(b"payload"))
    trailer[-16:-12] = struct.pack("<I", 10**6)  # directory entry points before the start of the file
    assert rejected(jpeg_bytes() + bytes(trailer)).extra["reason"] == "trailing_data"


def test_truncated_motion_photo_video_is_rejected():
    assert rejected(jpeg_bytes() + mp4_bytes()[:-10]).extra["reason"] == "trailing_data"


# --------------------------------------------------------------------------------------------------------------------
# HEIC
# --------------------------------------------------------------------------------------------------------------------


def test_installed_pillow_heif_can_encode_heic():
    """The fixtures below are real x265-encoded HEIC files; fail loudly if a wheel without an encoder slips in."""
    assert pillow_heif.libheif_info()["encoders"], "pillow-heif wheel has no HEIF encoder"


def test_heic_is_decoded_and_measured():
    data = heic_bytes((320, 240))
    assert data[4:12] == b"ftypheic"
    info = inspect_upload(upload(data, "IMG_1234.jpeg", "image/jpeg"))
    assert (info.content_type, info.extension, info.width, info.height) == ("image/heic", ".heic", 320, 240)


def test_heic_orientation_is_reported_and_applied():
    data = heic_bytes((200, 100), orientation=6)
    info = inspect_upload(io.BytesIO(data))
    assert (info.width, info.height) == (100, 200)
    thumb = Image.open(io.BytesIO(make_thumbnail(io.BytesIO(data), max_side=100)))
    assert thumb.format == "JPEG"
    assert thumb.size == (50, 100)
    assert_red_on_top_blue_at_bottom(thumb)


def test_truncated_heic_is_rejected():
    data = heic_bytes((256, 256))
    assert rejected(data[: len(data) - 50]).extra["reason"] == "corrupt_image"


def test_heic_display_copy_is_a_browser_friendly_jpeg():
    data = heic_bytes((640, 480))
    copy = Image.open(io.BytesIO(make_display_copy(io.BytesIO(data))))
    assert (copy.format, copy.mode, copy.size) == ("JPEG", "RGB", (640, 480))


# --------------------------------------------------------------------------------------------------------------------
# Video
# --------------------------------------------------------------------------------------------------------------------


def test_video_box_structure_must_be_intact():
    video = mp4_bytes()
    assert rejected(video[:-5]).extra["reason"] == "corrupt_video"  # truncated mdat
    assert rejected(ftyp(b"isom", b"isom")).extra["reason"] == "corrupt_video"  # no moov
    assert rejected(video + b"PK\x03\x04" + b"\x00" * 40).extra["reason"] == "corrupt_video"  # junk after boxes
    assert inspect_upload(io.BytesIO(video + b"\x00\x00\x00\x00")).kind == "video"  # tiny zero padding is fine


def test_video_with_64_bit_and_to_end_box_sizes():
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 32) + b"\x00" * 32
    to_end = struct.pack(">I4s", 0, b"mdat") + b"\x00" * 32
    assert inspect_upload(io.BytesIO(mp4_bytes() + large)).kind == "video"
    assert inspect_upload(io.BytesIO(mp4_bytes() + to_end)).kind == "video"


# --------------------------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------------------------


def test_plain_pdf_is_accepted():
    info = inspect_upload(io.BytesIO(pdf_bytes(pdf_stream(b"", b"BT /F1 12 Tf (hello) Tj ET"))))
    assert (info.content_type, info.width, info.height) == ("application/pdf", None, None)


@pytest.mark.parametrize(
    "body",
    [
        b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>",
        b"<</S/JavaScript/JS 6 0 R>>",
        b"<< /JS (app.alert(1)) >>",
        b"<< /Type /Action /S /Launch /F (cmd.exe) >>",
        b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",  # #-escaped names
        pdf_stream(b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode", zlib.compress(b"6 0 << /S /JavaScript >>")),
        pdf_stream(b"/Type/Obj#53tm /N 1 /First 5 /Filter/FlateDecode", zlib.compress(b"6 0 <</S/Launch/F(x)>>")),
        pdf_stream(b"/Type /ObjStm /N 1 /First 5", b"6 0 << /S /JavaScript >>"),  # uncompressed object stream
    ],
)
def test_pdf_with_script_or_launch_is_rejected(body):
    error = rejected(pdf_bytes(body))
    assert str(error) == MSG_PDF_ACTIVE
    assert error.extra == {"reason": "pdf_active_content"}


def pdf_with_marker_at(offset: int, marker: bytes, body_after: bytes) -> bytes:
    """A PDF whose `marker` starts exactly at `offset` (padded with a string object before it)."""

    def build(fill: int) -> bytes:
        return pdf_bytes(b"<< /Padding (" + b"x" * fill + b") >>", body_after)

    fill = offset - build(0).index(marker)
    data = build(fill)
    assert data.index(marker) == offset
    return data


# The scanner reads 1 MiB chunks and holds back the last 8 bytes of text (for a split "stream\r\n"), so names are cut
# either at the chunk boundary or 8 bytes before it; shifts 1..19 cover both.
@pytest.mark.parametrize("shift", range(1, 20))
def test_pdf_name_split_across_read_chunks_is_still_found(shift):
    data = pdf_with_marker_at(CHUNK_SIZE - shift, b"/JavaScript", b"<< /S /JavaScript >>")
    assert rejected(data).extra["reason"] == "pdf_active_content"


@pytest.mark.parametrize("shift", range(1, 20))
def test_pdf_stream_keyword_split_across_read_chunks_is_still_recognised(shift):
    stream = pdf_stream(b"/Subtype /Image", b"\x00/JS \x00")  # "/JS" is harmless image data here
    data = pdf_with_marker_at(CHUNK_SIZE - shift, b"stream\n", stream)
    assert inspect_upload(io.BytesIO(data)).content_type == "application/pdf"
    data = pdf_with_marker_at(CHUNK_SIZE - shift, b"endstream", stream + b"\nendobj\n7 0 obj\n<< /S /Launch >>")
    assert rejected(data).extra["reason"] == "pdf_active_content"


def test_pdf_binary_stream_data_is_not_scanned_for_names():
    """Compressed image data contains random bytes; "/JS" inside a stream is not a dictionary key."""
    image_data = b"\x8a\x01/JS \x00\x13/Launch\x00/JavaScript\xff"
    data = pdf_bytes(pdf_stream(b"/Type /XObject /Subtype /Image /Filter /DCTDecode", image_data))
    assert inspect_upload(io.BytesIO(data)).content_type == "application/pdf"


def test_pdf_without_eof_marker_is_rejected():
    data = pdf_bytes()
    error = rejected(data[: data.rindex(b"%%EOF")])
    assert error.extra["reason"] == "corrupt_pdf"
    assert "%%EOF" in str(error)


def test_pdf_object_stream_decompression_bomb_is_rejected(monkeypatch):
    monkeypatch.setattr(uploads.pdf, "_PDF_MAX_INFLATED", CHUNK_SIZE)
    bomb = zlib.compress(b" " * (3 * CHUNK_SIZE), 9)
    error = rejected(pdf_bytes(pdf_stream(b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode", bomb)))
    assert error.extra["reason"] == "pdf_bomb"


def test_pdf_with_undecodable_object_stream_is_accepted():
    """An object stream no cross-reference entry points into is never read by a viewer (nor by the parser), so bytes
    there that do not inflate are no reason to refuse. Encrypted documents are refused, by the parser
    (test_upload_hardening.py)."""
    encrypted = bytes(range(256)) * 8
    data = pdf_bytes(pdf_stream(b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode", encrypted))
    assert inspect_upload(io.BytesIO(data)).kind == "document"


# --------------------------------------------------------------------------------------------------------------------
# Derivatives
# --------------------------------------------------------------------------------------------------------------------


def assert_red_on_top_blue_at_bottom(image: Image.Image) -> None:
    """A 200×100 red|blue image with orientation 6 (rotate 90° clockwise to display) shows red on top."""
    width, height = image.size
    top = image.getpixel((width // 2, height // 8))
    bottom = image.getpixel((width // 2, height * 7 // 8))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_thumbnail_applies_exif_orientation():
    data = jpeg_bytes((200, 100), orientation=6)
    thumbnail = make_thumbnail(io.BytesIO(data), max_side=80)
    assert thumbnail[:3] == b"\xff\xd8\xff"
    image = Image.open(io.BytesIO(thumbnail))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (40, 80))
    assert image.getexif().get(ORIENTATION) is None  # already applied, and EXIF (GPS!) is not carried over
    assert_red_on_top_blue_at_bottom(image)


@pytest.mark.parametrize(
    "builder", [lambda: jpeg_bytes((1600, 1200)), lambda: png_bytes((1600, 1200)), lambda: webp_bytes((1200, 1600))]
)
def test_thumbnail_fits_max_side(builder):
    fileobj = io.BytesIO(builder())
    image = Image.open(io.BytesIO(make_thumbnail(fileobj)))
    assert image.format == "JPEG"
    assert max(image.size) == 480
    assert fileobj.tell() == 0


def test_transparent_png_is_flattened_onto_white():
    data = png_bytes((100, 100), mode="RGBA")  # right half fully transparent
    image = Image.open(io.BytesIO(make_thumbnail(io.BytesIO(data))))
    assert image.mode == "RGB"
    assert image.getpixel((90, 50)) >= (250, 250, 250)


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    data = encode(Image.new("I;16", (32, 32), 32768), "PNG")
    image = Image.open(io.BytesIO(make_thumbnail(io.BytesIO(data))))
    assert 120 <= image.getpixel((5, 5))[0] <= 135


def test_display_copy_downsizes_huge_photos_but_never_upscales():
    big = Image.open(io.BytesIO(make_display_copy(io.BytesIO(jpeg_bytes((4000, 3000))))))
    assert big.size == (1920, 1440)
    small = Image.open(io.BytesIO(make_display_copy(io.BytesIO(jpeg_bytes((800, 600))))))
    assert small.size == (800, 600)


def test_derivatives_refuse_non_images_and_corrupt_images():
    with pytest.raises(ValidationFailed):
        make_thumbnail(io.BytesIO(pdf_bytes()))
    data = jpeg_bytes((400, 300))
    with pytest.raises(ValidationFailed) as caught:
        make_thumbnail(io.BytesIO(data[: len(data) // 2]))
    assert caught.value.extra["reason"] == "corrupt_image"
