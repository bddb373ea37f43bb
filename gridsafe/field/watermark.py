"""Burned-in watermarks for field photos (domain.md §8): time, coordinates, grid code, worker and place are drawn
into the display copy. The original stays next to it with its SHA-256, as stored: without EXIF GPS, device or author
(cases.uploads.accept_upload). Decoding goes through cases.uploads, so its memory bound and decode slots apply here
too.

Chinese text needs a CJK font. `find_cjk_font` looks at GRIDSAFE_WATERMARK_FONT, then the usual Debian/Ubuntu,
Fedora and macOS paths, then asks fontconfig; when nothing is found it raises `WatermarkFontMissing` with the
command that fixes it, rather than drawing boxes (tofu) into evidence."""

import functools
import os
import shutil
import subprocess
from io import BytesIO
from typing import BinaryIO

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from gridsafe.cases.uploads import make_display_copy

KNOWN_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
)
SAMPLE = "网格安全巡查"  # every one of these glyphs must be in the font


class WatermarkFontMissing(RuntimeError):
    """No font on this server can draw Chinese. Raised instead of writing unreadable watermarks."""


def _covers_chinese(path: str) -> bool:
    try:
        font = ImageFont.truetype(path, 24)
    except OSError:
        return False
    # A font without the glyphs maps them all to .notdef: the masks of different characters are then identical.
    masks = {bytes(font.getmask(ch)) for ch in SAMPLE[:3]}
    return len(masks) == 3 and all(font.getbbox(ch)[2] > 0 for ch in SAMPLE)


@functools.cache
def find_cjk_font() -> str:
    """Path of a font that draws Chinese. Cached for the process."""
    configured = settings.GRIDSAFE_WATERMARK_FONT
    if configured:
        if os.path.exists(configured) and _covers_chinese(configured):
            return configured
        raise WatermarkFontMissing(f"GRIDSAFE_WATERMARK_FONT={configured} 不存在或不含中文字形")
    candidates = [p for p in KNOWN_FONT_PATHS if os.path.exists(p)]
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
            candidates += sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
        except (OSError, subprocess.SubprocessError):
            pass
    for path in candidates:
        if _covers_chinese(path):
            return path
    raise WatermarkFontMissing(
        "未找到可显示中文的字体，无法生成照片水印。请安装 Noto CJK 字体（Debian/Ubuntu：apt-get install "
        "fonts-noto-cjk），或设置 GRIDSAFE_WATERMARK_FONT 为一个 .ttc/.ttf/.otf 中文字体文件的路径。"
    )


def render_watermark(fileobj: BinaryIO, lines: list[str], *, max_side: int = 1920) -> bytes:
    """A JPEG display copy (EXIF orientation applied, EXIF stripped) with `lines` on a dark band at the bottom."""
    base = Image.open(BytesIO(make_display_copy(fileobj, max_side=max_side))).convert("RGB")
    return draw_lines(base, lines)


def draw_lines(image: Image.Image, lines: list[str]) -> bytes:
    width, height = image.size
    size = max(14, min(44, round(min(width, height * 1.4) / 44)))
    font = ImageFont.truetype(find_cjk_font(), size)
    pad = max(6, size // 2)
    line_height = round(size * 1.35)
    band = pad * 2 + line_height * len(lines)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle([0, height - band, width, height], fill=(0, 0, 0, 150))
    y = height - band + pad
    for line in lines:
        text = _fit(draw, line, font, width - 2 * pad)
        draw.text((pad + 1, y + 1), text, font=font, fill=(0, 0, 0, 220))  # a shadow keeps it readable on white
        draw.text((pad, y), text, font=font, fill=(255, 255, 255, 255))
        y += line_height
    out = BytesIO()
    Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, font, max_width: int) -> str:
    if draw.textlength(text, font=font) <= max_width:
        return text
    while text and draw.textlength(text + "…", font=font) > max_width:
        text = text[:-1]
    return text + "…"
