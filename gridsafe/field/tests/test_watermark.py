"""Watermarks burn Chinese text into the display copy, with a CJK font found on the system."""

import io
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from PIL import Image

from gridsafe.field import watermark
from gridsafe.field.services import watermark_lines
from gridsafe.field.tests.conftest import jpeg

BACKGROUND = (40, 110, 170)


def _lines(**overrides):
    return watermark_lines(
        captured_at=datetime(2026, 11, 28, 7, 30, 12, tzinfo=UTC),
        lon=118.912345,
        lat=25.412345,
        accuracy_m=8,
        grid=SimpleNamespace(code="350322101205001", name="南溪村第1网格"),
        worker=SimpleNamespace(display_name="王芳", username="nanxi_worker"),
        place=SimpleNamespace(name="林记液化气供应点"),
        case_id=1234,
        sha256="ab" * 32,
        **{"flags": ["poor_accuracy"], **overrides},
    )


def test_lines_carry_time_coordinates_grid_worker_and_place():
    lines = _lines()
    text = "\n".join(lines)
    assert "2026-11-28 15:30:12" in text  # local time, Asia/Shanghai
    assert "北纬25.412345 东经118.912345 ±8米" in text
    assert "网格 350322101205001 南溪村第1网格" in text
    assert "网格员 王芳 · 监管对象 林记液化气供应点" in text
    assert "隐患 #1234 · SHA256 abababababababab" in text and "【位置存疑】定位精度较差(>50m)" in text


def test_flags_are_stamped_with_their_one_name_and_the_configured_figure(settings):
    settings.GRIDSAFE_LOCATE_BUFFER_M = 80
    text = "\n".join(_lines(flags=["outside_own_grid", "no_location"]))
    assert "【位置存疑】不在上报人网格内(>80m)、无定位" in text


def test_font_is_found_and_draws_chinese():
    path = watermark.find_cjk_font()
    assert path.endswith((".ttc", ".ttf", ".otf"))
    assert watermark._covers_chinese(path)


def test_watermark_renders_chinese_text_in_the_band():
    data = watermark.render_watermark(io.BytesIO(jpeg(size=(1280, 960), color=BACKGROUND, text_box=False)), _lines())
    with open("/tmp/watermark.jpg", "wb") as fh:  # for a person to look at
        fh.write(data)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (1280, 960)
    width, height = image.size
    band = image.crop((0, int(height * 0.6), width, height))
    # Text is white (and its shadow black) on a darkened band: count clearly light pixels.
    light = sum(1 for r, g, b in band.get_flattened_data() if r > 200 and g > 200 and b > 200)
    assert light > 2000, light
    # Above the band the photo is untouched.
    top = image.crop((0, 0, width, int(height * 0.3)))
    assert all(abs(c - e) < 12 for c, e in zip(top.getpixel((width // 2, 20)), BACKGROUND, strict=True))
    # Different Chinese lines give different pixels: glyphs, not one repeated .notdef box.
    other = watermark.draw_lines(Image.new("RGB", (1280, 960), BACKGROUND), ["网格员 李秀英"] * len(_lines()))
    assert other != data


def test_missing_font_is_a_clear_error(monkeypatch, settings):
    watermark.find_cjk_font.cache_clear()
    settings.GRIDSAFE_WATERMARK_FONT = "/nonexistent/font.ttc"
    try:
        with pytest.raises(watermark.WatermarkFontMissing, match="GRIDSAFE_WATERMARK_FONT"):
            watermark.find_cjk_font()
        settings.GRIDSAFE_WATERMARK_FONT = ""
        monkeypatch.setattr(watermark, "KNOWN_FONT_PATHS", ())
        monkeypatch.setattr(watermark.shutil, "which", lambda name: None)
        watermark.find_cjk_font.cache_clear()
        with pytest.raises(watermark.WatermarkFontMissing, match="fonts-noto-cjk"):
            watermark.find_cjk_font()
    finally:
        watermark.find_cjk_font.cache_clear()
