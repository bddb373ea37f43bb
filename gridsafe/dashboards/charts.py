"""Charts for bulletins (通报), rendered by matplotlib to PNG with a CJK font so Chinese labels show.

The font is looked up once: `GRIDSAFE_CJK_FONT` (a path) if set, then the usual Noto/Source Han/WenQuanYi files,
then any installed font that has the glyphs. Without one, `CjkFontMissing` says what to install: a bulletin with
boxes for every Chinese label is worse than no bulletin."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from django.conf import settings

CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSansSC-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
PROBE = "网格安全隐患处置率"


class CjkFontMissing(RuntimeError):
    def __init__(self):
        super().__init__(
            "未找到中文字体，无法生成含中文标签的图表。请安装 fonts-noto-cjk（Debian/Ubuntu: apt-get install "
            "fonts-noto-cjk），或在环境变量 GRIDSAFE_CJK_FONT 中给出一个 .ttf/.otf/.ttc 中文字体文件的路径。"
        )


def _has_glyphs(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) for ch in PROBE)
    except Exception:  # an unreadable or non-font file is simply not a candidate
        return False


@functools.cache
def cjk_font_path() -> str:
    configured = settings.GRIDSAFE_CJK_FONT
    if configured:
        if Path(configured).is_file() and _has_glyphs(configured):
            return configured
        raise CjkFontMissing()
    for path in CANDIDATES:
        if Path(path).is_file() and _has_glyphs(path):
            return path
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower()
        if any(k in name for k in ("cjk", "han", "wqy", "hei", "song", "kai", "ming", "yahei", "pingfang")):
            if _has_glyphs(path):
                return path
    raise CjkFontMissing()


@functools.cache
def _font():
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=130)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def bar_chart(
    labels: list[str], values: list[float | None], *, title: str, unit: str = "", max_value: float | None = None
) -> bytes:
    """A horizontal bar chart (rankings, module rates). None is drawn as an empty bar labelled 无数据."""
    font = _font()
    height = max(2.2, 0.38 * len(labels) + 0.9)
    fig = _figure(7.2, height)
    ax = fig.add_subplot(1, 1, 1)
    shown = [v or 0 for v in values]
    colours = ["#1f5fae" if v is not None else "#c8ced6" for v in values]
    ax.barh(range(len(labels)), shown, color=colours, height=0.6)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontproperties=font, fontsize=9)
    ax.invert_yaxis()
    if max_value:
        ax.set_xlim(0, max_value * 1.12)
    for i, v in enumerate(values):
        ax.text(
            shown[i], i, f" {v:.1f}{unit}" if v is not None else " 无数据", va="center", fontproperties=font, fontsize=8
        )
    ax.set_title(title, fontproperties=font, fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    return _png(fig)


def line_chart(labels: list[str], series: dict[str, list[float | None]], *, title: str) -> bytes:
    font = _font()
    fig = _figure(7.2, 3.0)
    ax = fig.add_subplot(1, 1, 1)
    for name, values in series.items():
        ax.plot(labels, [v if v is not None else float("nan") for v in values], marker="o", markersize=3, label=name)
    ax.set_title(title, fontproperties=font, fontsize=12)
    ax.legend(prop=font, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(font)
        tick.set_fontsize(8)
    return _png(fig)
