"""Derivatives: re-encoded RGB JPEGs (thumbnails, display copies) with orientation applied and no EXIF."""

from io import BytesIO
from typing import BinaryIO

from PIL import Image, ImageOps

from gridsafe.cases.uploads.formats import _IMAGE_FORMATS, MSG_CORRUPT_IMAGE, _fail
from gridsafe.cases.uploads.images import _max_pixels, _open_image, decode_slot


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
