"""Upload hardening (issue #12, "Uploads"): originals lose EXIF GPS, device and author before they are stored, served
or archived (the row keeps the capture location); image decoding is bounded in bytes and in concurrent decodes; PDFs
are read with a real parser and refused when they carry active content in any encoding. Every fixture is built here.
"""

import hashlib
import io
import struct
import uuid
import zipfile
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image, ImageOps
from pypdf import PdfWriter

from gridsafe.cases import uploads
from gridsafe.cases.models import Attachment
from gridsafe.cases.tests.helpers import at
from gridsafe.cases.uploads import accept_upload, decode_slot, inspect_upload, strip_metadata
from gridsafe.core.errors import ValidationFailed

ORIENTATION, MAKE, MODEL, ARTIST, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x013B, 0x8825
SECRETS = (b"Xiaomi", b"MI 11 Ultra", b"WangFang", b"GPSsecret")  # none of these may reach a stored original


# --------------------------------------------------------------------------------------------------------------------
# Fixture builders
# --------------------------------------------------------------------------------------------------------------------


def identifying_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "Xiaomi"
    exif[MODEL] = "MI 11 Ultra"
    exif[ARTIST] = "WangFang"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (25.0, 30.0, 12.5), 3: "E", 4: (118.0, 41.0, 7.25)})
    return exif


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSsecret>25.5,118.7</GPSsecret><make>Xiaomi</make></x:xmpmeta>'


def red_over_blue(size=(200, 100)) -> Image.Image:
    """Left half red, right half blue: after orientation 6 (90° clockwise) red is on top."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


def photo(fmt: str, **extra) -> bytes:
    out = io.BytesIO()
    options = {"exif": identifying_exif().tobytes()}
    if fmt == "JPEG":
        options.update(quality=92, comment=b"WangFang Xiaomi", xmp=XMP)
    elif fmt in ("WEBP", "HEIF"):
        options.update(quality=90, xmp=XMP)
    elif fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        text = PngInfo()
        text.add_text("Author", "WangFang")
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        options["pnginfo"] = text
    options.update(extra)
    red_over_blue().save(out, fmt, **options)
    return out.getvalue()


def assert_clean(data: bytes) -> Image.Image:
    for secret in SECRETS:
        assert secret not in data, secret
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert set(exif) <= {ORIENTATION}, dict(exif)
    assert not exif.get_ifd(GPS_IFD)
    return image


def assert_upright(image: Image.Image) -> None:
    """Displayed as the phone showed it: portrait, red on top."""
    shown = ImageOps.exif_transpose(image).convert("RGB")
    width, height = shown.size
    assert (width, height) == (100, 200)
    top, bottom = shown.getpixel((width // 2, height // 8)), shown.getpixel((width // 2, height * 7 // 8))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60, (top, bottom)


def upload_file(api, case_id, data: bytes, *, client_id=None, name="photo.jpg", **fields):
    buf = io.BytesIO(data)
    buf.name = name
    body = {"file": buf, "client_id": str(client_id or uuid.uuid4()), "role": "report", **fields}
    return api.upload(f"/api/v1/cases/{case_id}/attachments", body)


def box(box_type: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


def phone_video() -> bytes:
    """An MP4 as phones write it: ©xyz location, make and model in moov/udta, Apple keys in moov/meta."""
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    udta = box(
        b"udta", box(b"\xa9xyz", b"\x00\x12\x15\xc7+25.5012+118.6901/") + box(b"\xa9mak", b"\x00\x06\x00\x00Xiaomi")
    )
    meta = box(b"meta", b"\x00\x00\x00\x00" + box(b"ilst", b"MI 11 Ultra WangFang"))
    trak = box(b"trak", box(b"tkhd", b"\x00" * 84) + box(b"udta", box(b"\xa9mod", b"MI 11 Ultra")))
    moov = box(b"moov", box(b"mvhd", b"\x00" * 100) + trak + udta + meta)
    return ftyp + moov + box(b"mdat", b"\x00\x00\x00\x10" * 64)


# --------------------------------------------------------------------------------------------------------------------
# Metadata: intake, serving, archives
# --------------------------------------------------------------------------------------------------------------------


def test_original_is_served_to_another_user_without_gps_device_or_author(as_user, flow):
    """The grid worker's photo, downloaded by the township: no EXIF GPS, make, model, artist, XMP or comment, still
    upright; the row keeps the capture location the app sent, and size and SHA-256 describe the served bytes."""
    case = flow.report()
    original = photo("JPEG")
    assert b"Xiaomi" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    response = upload_file(as_user("nanxi_worker"), case.pk, original, lon=118.69, lat=25.5, accuracy_m=8)
    assert response.status_code == 201, response.content
    body = response.json()
    township = as_user("bangtou")
    served = township.get(f"/api/v1/cases/{case.pk}/attachments/{body['id']}/file")
    assert served.status_code == 200
    data = b"".join(served.streaming_content)
    assert_upright(assert_clean(data))
    assert (body["size"], body["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    row = Attachment.objects.get(pk=body["id"])
    assert (row.capture_lon, row.capture_lat, row.capture_accuracy_m) == (118.69, 25.5, 8)
    assert (row.width, row.height) == (100, 200)
    # Lossless: the pixels are exactly those of the upload (no recompression).
    assert Image.open(io.BytesIO(data)).tobytes() == Image.open(io.BytesIO(original)).tobytes()
    # A resend of the same upload (same client_id) is the same attachment, not a conflict.
    again = upload_file(as_user("nanxi_worker"), case.pk, original, client_id=body["client_id"])
    assert again.status_code == 200 and again.json()["id"] == body["id"]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_every_accepted_image_format_is_stored_without_identifying_metadata(fmt):
    original = photo(fmt)
    assert any(secret in original for secret in SECRETS)
    info, stored = accept_upload(io.BytesIO(original))
    data = stored.read()
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    image = assert_clean(data)
    if fmt == "HEIF":  # HEIF keeps its rotation in irot/imir boxes (untouched), which pillow-heif applies on decode
        assert image.size == (100, 200)
    else:
        assert_upright(image)
    assert image.info.get("xmp", b"").strip() in (b"", "")
    # The result is itself a valid upload with nothing left to strip: the same input always gives the same bytes.
    assert inspect_upload(io.BytesIO(data)).sha256 == info.sha256
    assert strip_metadata(io.BytesIO(data), info.content_type) is None
    if fmt in ("PNG", "JPEG"):
        assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()  # removed, not re-encoded


def test_publicity_photo_original_is_stored_without_identifying_metadata(people):
    from gridsafe.field.services import publicity_photo_add, publicity_record
    from gridsafe.field.watermark import WatermarkFontMissing, find_cjk_font

    try:
        find_cjk_font()
    except WatermarkFontMissing:
        pytest.skip("no CJK font for the watermark on this machine")
    worker = people["nanxi_worker"]
    grid = worker.grids.order_by("code").first()
    activity, _ = publicity_record(actor=worker, client_id=uuid.uuid4(), grid_code=grid.code, title="入户宣传")
    upload = SimpleUploadedFile("p.webp", photo("WEBP"))
    stored, _ = publicity_photo_add(
        actor=worker, activity=activity, client_id=uuid.uuid4(), upload=upload, lon=118.69, lat=25.5
    )
    with stored.file.open("rb") as fh:
        data = fh.read()
    assert_upright(assert_clean(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and (stored.lon, stored.lat) == (118.69, 25.5)


def test_photo_without_metadata_is_stored_as_received():
    out = io.BytesIO()
    red_over_blue().save(out, "JPEG")
    info, stored = accept_upload(io.BytesIO(out.getvalue()))
    assert stored.read() == out.getvalue() and info.sha256 == hashlib.sha256(out.getvalue()).hexdigest()


def test_jpeg_trailer_with_its_own_exif_is_dropped():
    """A secondary JPEG after EOI (an MPF preview or gain map) carries EXIF of its own: only the primary image stays."""
    secondary = io.BytesIO()
    Image.new("RGB", (16, 16)).save(secondary, "JPEG", exif=identifying_exif().tobytes())
    data = photo("JPEG") + secondary.getvalue()
    assert inspect_upload(io.BytesIO(data)).kind == "image"
    _info, stored = accept_upload(io.BytesIO(data))
    cleaned = stored.read()
    assert_clean(cleaned)
    assert cleaned.count(b"\xff\xd8\xff") == 1


def test_video_location_make_and_model_atoms_are_blanked_in_place():
    original = phone_video()
    info, stored = accept_upload(io.BytesIO(original))
    data = stored.read()
    assert len(data) == len(original) == info.size  # same size: no chunk offset moves
    for secret in (b"+25.5012+118.6901", b"Xiaomi", b"MI 11 Ultra", b"WangFang"):
        assert secret not in data
    assert inspect_upload(io.BytesIO(data)).kind == "video"
    assert data.endswith(box(b"mdat", b"\x00\x00\x00\x10" * 64))


def test_archive_photos_and_report_files_are_stripped_including_files_stored_before_intake_stripped(people, client):
    from gridsafe.core import clock
    from gridsafe.dashboards.inspections import activity_add_photo, activity_record
    from gridsafe.dashboards.models import ActivityPhoto
    from gridsafe.regions.models import Region

    bangtou = Region.objects.get(code="350322101")
    user = people["bangtou"]
    with clock.frozen(at("2026-11-20 12:00")):
        activity = activity_record(
            actor=user, kind="inspection", region=bangtou, title="", held_at=at("2026-11-03 09:00"), leader_name="李"
        )
        fresh = activity_add_photo(activity=activity, actor=user, upload=SimpleUploadedFile("a.jpg", photo("JPEG")))
        legacy = ActivityPhoto(activity=activity, content_type="image/jpeg", size=1, sha256="0" * 64, uploaded_by=user)
        legacy.created_at = clock.now()
        legacy.file.save("legacy.jpg", ContentFile(photo("JPEG")), save=False)  # as stored before this release
        legacy.save()
    with fresh.file.open("rb") as fh:
        assert_clean(fh.read())
    client.force_login(user)
    report = client.post("/reports/new/", {"title": "信息一", "file": SimpleUploadedFile("r.png", photo("PNG"))})
    assert report.status_code == 302, report.content[:300]
    archive = zipfile.ZipFile(_archive(user))
    originals = [n for n in archive.namelist() if n.startswith(("检查与例会/", "信息材料/"))]
    assert len(originals) == 3, archive.namelist()
    for name in originals:
        assert_upright(assert_clean(archive.read(name)))


def _archive(user) -> io.BytesIO:
    """The township's 2026 work archive (工作档案), downloaded as a user would."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.get("/dashboards/archives/download/", {"target": "r:350322101", "period": "2026"})
    assert response.status_code == 200
    return io.BytesIO(b"".join(response.streaming_content))


def test_strip_photo_metadata_rewrites_stored_originals_once(flow, people, settings):
    """Originals stored before intake stripping: the command cleans them, moves each row to the clean file with its
    new SHA-256 (backups verify against it), audits old → new, and a second run changes nothing."""
    from gridsafe.cases.services import attachment_add
    from gridsafe.core.models import AuditEvent
    from gridsafe.ops.backup import attachments_verify

    case = flow.report()
    raw = photo("JPEG")
    attachment, _created = attachment_add(
        case=case, actor=people["nanxi_worker"], client_id=uuid.uuid4(), upload=SimpleUploadedFile("p.jpg", raw)
    )
    # Make it what an older release stored: the raw bytes, with their size and hash on the row.
    storage, old_name = attachment.file.storage, attachment.file.name
    storage.delete(old_name)
    storage.save(old_name, ContentFile(raw))
    Attachment.objects.filter(pk=attachment.pk).update(size=len(raw), sha256=hashlib.sha256(raw).hexdigest())

    out = io.StringIO()
    call_command("strip_photo_metadata", "--dry-run", stdout=out)
    assert "attachment: 1 checked, 1 would be stripped" in out.getvalue()
    assert storage.open(old_name).read() == raw

    out = io.StringIO()
    call_command("strip_photo_metadata", stdout=out)
    assert "attachment: 1/1" in out.getvalue()  # progress
    assert "attachment: 1 checked, 1 stripped, 0 already clean, 0 missing" in out.getvalue()
    attachment.refresh_from_db()
    with attachment.file.open("rb") as fh:
        data = fh.read()
    assert_upright(assert_clean(data))
    assert (attachment.size, attachment.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert attachment.file.name != old_name and not storage.exists(old_name)
    event = AuditEvent.objects.get(action="upload.metadata_stripped", target=f"attachment:{attachment.pk}")
    assert event.payload["old_sha256"] == hashlib.sha256(raw).hexdigest()
    assert event.payload["new_sha256"] == attachment.sha256
    assert attachments_verify()[1] == []

    out = io.StringIO()
    call_command("strip_photo_metadata", stdout=out)
    assert "attachment: 1 checked, 0 stripped, 1 already clean, 0 missing" in out.getvalue()
    assert Attachment.objects.get(pk=attachment.pk).file.name == attachment.file.name


def test_strip_photo_metadata_also_cleans_report_files_found_by_their_bytes(people):
    """信息材料 rows keep no content type: the command tells a photo from a .docx by its bytes."""
    from datetime import date

    from gridsafe.core import clock
    from gridsafe.dashboards.models import InfoReport

    user = people["bangtou"]
    rows = []
    for name, data in (("r.png", photo("PNG")), ("r.docx", b"PK\x03\x04 WangFang Xiaomi")):
        report = InfoReport(
            unit_id=user.unit_id, month=date(2026, 11, 1), title=name, submitted_by=user, submitted_at=clock.now()
        )
        report.file.save(name, ContentFile(data), save=False)
        report.save()
        rows.append(report)
    out = io.StringIO()
    call_command("strip_photo_metadata", stdout=out)
    assert "info_report: 2 checked, 1 stripped, 1 already clean, 0 missing" in out.getvalue()
    png, docx = (InfoReport.objects.get(pk=r.pk) for r in rows)
    assert_upright(assert_clean(png.file.read()))
    assert docx.file.read() == b"PK\x03\x04 WangFang Xiaomi"  # not a photo: left as it is


# --------------------------------------------------------------------------------------------------------------------
# Decoding: bytes per decode, decodes at once
# --------------------------------------------------------------------------------------------------------------------


def png_rgba(size, bits: int) -> bytes:
    """An RGBA PNG at 8 or 16 bits a sample, written by hand (Pillow cannot write 16-bit RGBA)."""
    width, height = size
    sample = b"\x12\x34" if bits == 16 else b"\x12"
    row = b"\x00" + sample * 4 * width
    ihdr = struct.pack(">IIBBBBB", width, height, bits, 6, 0, 0, 0)

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def test_sixteen_bit_rgba_png_over_the_decode_budget_is_refused_though_its_pixels_are_within_limit(
    as_user, flow, settings
):
    settings.GRIDSAFE_MAX_DECODE_BYTES = 4 * 1024 * 1024
    size = (1000, 600)  # 0.6 MP: at 16 bits 8 bytes a pixel = 4.6 MiB > 4 MiB; at 8 bits 4 bytes = 2.3 MiB fits
    assert size[0] * size[1] < uploads._max_pixels()
    assert inspect_upload(io.BytesIO(png_rgba(size, 8))).width == 1000
    case = flow.report()
    response = upload_file(as_user("nanxi_worker"), case.pk, png_rgba(size, 16), name="big.png")
    assert response.status_code == 422, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["reason"] == "decode_too_large" and "内存过大" in problem["detail"]
    assert "1000×600" in problem["detail"] and "每像素 8 字节" in problem["detail"]
    assert not Attachment.objects.filter(case=case).exists()


def test_decode_budget_is_checked_before_any_pixel_is_decoded(settings, monkeypatch):
    settings.GRIDSAFE_MAX_DECODE_BYTES = 1024 * 1024

    def no_decoding(self):
        raise AssertionError("decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(ValidationFailed) as caught:
        inspect_upload(io.BytesIO(png_rgba((400, 400), 16)))
    assert caught.value.extra["reason"] == "decode_too_large"


def test_a_request_that_finds_every_decode_slot_taken_gets_503_with_retry_after(as_user, flow, settings):
    settings.GRIDSAFE_MAX_CONCURRENT_DECODES = 1
    settings.GRIDSAFE_DECODE_WAIT_SECONDS = 0.05
    case = flow.report()
    with decode_slot():  # another request is decoding: the only slot is taken
        busy = upload_file(as_user("nanxi_worker"), case.pk, photo("JPEG"))
    assert busy.status_code == 503, busy.content
    assert busy["Content-Type"] == "application/problem+json" and int(busy["Retry-After"]) >= 1
    assert busy.json()["code"] == "server_busy" and "稍后重试" in busy.json()["detail"]
    assert not Attachment.objects.filter(case=case).exists()
    assert upload_file(as_user("nanxi_worker"), case.pk, photo("JPEG")).status_code == 201  # slot free again


def test_decode_slots_follow_the_setting(settings):
    settings.GRIDSAFE_MAX_CONCURRENT_DECODES = 2
    settings.GRIDSAFE_DECODE_WAIT_SECONDS = 0
    with decode_slot(), decode_slot():
        with pytest.raises(uploads.DecoderBusy):
            with decode_slot():
                pass
    with decode_slot():
        pass


# --------------------------------------------------------------------------------------------------------------------
# PDF: a parser, not a name scanner
# --------------------------------------------------------------------------------------------------------------------


def pdf_with_object_stream(objects: dict[int, bytes], *, filters: bytes = b"/FlateDecode") -> bytes:
    """A PDF 1.5 whose objects all sit in one compressed object stream, found through a cross-reference stream: the
    way modern PDFs are written, and invisible to anything that only reads the file's text."""
    numbers = sorted(objects)
    header, body = b"", b""
    for number in numbers:
        header += b"%d %d " % (number, len(body))
        body += objects[number] + b"\n"
    raw = header + body
    data = zlib.compress(raw)
    if filters.startswith(b"[/ASCIIHexDecode"):
        data = data.hex().encode() + b">"
    stm_number, xref_number = max(numbers) + 1, max(numbers) + 2
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stm_offset = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter %s /Length %d >>\nstream\n" % (
        stm_number,
        len(numbers),
        len(header),
        filters,
        len(data),
    )
    out += data + b"\nendstream\nendobj\n"
    xref_offset = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for number in range(1, xref_number + 1):
        if number in objects:
            rows.append(b"\x02" + struct.pack(">IH", stm_number, numbers.index(number)))
        elif number == stm_number:
            rows.append(b"\x01" + struct.pack(">IH", stm_offset, 0))
        else:
            rows.append(b"\x01" + struct.pack(">IH", xref_offset, 0))
    table = b"".join(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number,
        xref_number + 1,
        len(table),
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


PAGES = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
}


def pdf_written(build) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refusal(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        inspect_upload(io.BytesIO(data))
    return caught.value


def test_plain_pdfs_are_accepted():
    catalog = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>", **PAGES}  # a destination: harmless
    assert inspect_upload(io.BytesIO(pdf_with_object_stream(catalog))).kind == "document"
    assert inspect_upload(io.BytesIO(pdf_written(lambda writer: None))).kind == "document"


@pytest.mark.parametrize(
    "objects, filters",
    [
        # JavaScript on open, #-escaped, in a compressed object stream behind a filter chain the byte scanner
        # cannot undo (ASCIIHex over Flate)
        (
            {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", 4: b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"},
            b"[/ASCIIHexDecode /FlateDecode]",
        ),
        # the document-level JavaScript names tree
        (
            {1: b"<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 4 0 R >> >>", 4: b"<< /Names [(a) 5 0 R] >>",
             5: b"<< /S /JavaScript /JS (x) >>"},
            b"[/ASCIIHexDecode /FlateDecode]",
        ),
        ({1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", 4: b"<< /S /Launch /F (cmd.exe) >>"}, b"/FlateDecode"),
        ({1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /URI /URI (http://x.invalid/) >> >>"}, b"/FlateDecode"),
        ({1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", 4: b"<< /S /SubmitForm /F (http://x) >>"}, b"/FlateDecode"),
        ({1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", 4: b"<< /S /GoToR /F (other.pdf) /D [0 /Fit] >>"}, b"/FlateDecode"),
        ({1: b"<< /Type /Catalog /Pages 2 0 R /AA << /WC 4 0 R >> >>", 4: b"<< /S /GoTo /D [3 0 R /Fit] >>"}, b"/FlateDecode"),
        ({1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>", 4: b"[]"}, b"/FlateDecode"),
    ],
    ids=["js-hex-escaped-objstm", "js-names-tree", "launch", "uri", "submitform", "gotor", "additional-actions", "xfa"],
)  # fmt: skip
def test_pdf_active_content_is_refused_in_object_streams_and_escaped_names(objects, filters):
    error = refusal(pdf_with_object_stream({**PAGES, **objects}, filters=filters))
    assert error.extra["reason"] == "pdf_active_content"
    assert "出于安全原因已拒绝" in str(error)


def test_pdf_link_and_embedded_file_written_by_a_pdf_library_are_refused():
    link = pdf_written(lambda w: w.add_uri(0, "http://x.invalid/", [0, 0, 100, 100]))
    assert refusal(link).extra["found"] == "URI"
    embedded = pdf_written(lambda w: w.add_attachment("a.exe", b"MZ"))
    assert refusal(embedded).extra["reason"] == "pdf_active_content"


def test_pdf_javascript_added_by_an_incremental_update_is_refused():
    base = pdf_with_object_stream({1: b"<< /Type /Catalog /Pages 2 0 R >>", **PAGES})
    previous = int(base.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    update = bytearray(base)
    offset = len(update)
    update += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 7 0 R >>\nendobj\n"
    action = len(update)
    update += b"7 0 obj\n<< /S /JavaScript /JS <6170702e616c657274283129> >>\nendobj\n"
    xref = len(update)
    update += b"xref\n0 1\n0000000000 65535 f \n1 1\n%010d 00000 n \n7 1\n%010d 00000 n \n" % (offset, action)
    update += b"trailer\n<< /Size 8 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (previous, xref)
    assert refusal(bytes(update)).extra["reason"] == "pdf_active_content"


def test_encrypted_pdf_is_refused_with_a_clear_message():
    def encrypt(writer):
        writer.encrypt("", "owner-secret", algorithm="RC4-128")

    error = refusal(pdf_written(encrypt))
    assert error.extra["reason"] == "pdf_encrypted" and "加密" in str(error)


def test_unparseable_pdf_is_refused():
    error = refusal(b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n")
    assert error.extra["reason"] == "corrupt_pdf" and "无法解析" in str(error)


def test_pdf_with_too_many_pages_is_refused(monkeypatch):
    monkeypatch.setattr(uploads.pdf, "_PDF_MAX_PAGES", 3)
    pages = {2: b"<< /Type /Pages /Kids [3 0 R] /Count 4 >>", 3: PAGES[3]}
    error = refusal(pdf_with_object_stream({1: b"<< /Type /Catalog /Pages 2 0 R >>", **pages}))
    assert error.extra["reason"] == "pdf_too_complex"


def test_pdf_refused_through_the_api_as_problem_json(as_user, flow):
    case = flow.report()
    data = pdf_written(lambda w: w.add_uri(0, "http://x.invalid/", [0, 0, 100, 100]))
    response = upload_file(as_user("nanxi_worker"), case.pk, data, name="doc.pdf")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["reason"] == "pdf_active_content"
    plain = pdf_written(lambda w: None)
    assert upload_file(as_user("nanxi_worker"), case.pk, plain, name="doc.pdf").status_code == 201
