"""Draw the PWA icons (any-purpose 192/512 and a maskable 512) with Pillow into static/field/icons/."""

from pathlib import Path

from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw, ImageFont

from gridsafe.field.watermark import find_cjk_font

OUT = Path(__file__).resolve().parents[2] / "static" / "field" / "icons"
BLUE = (15, 92, 154)
WHITE = (255, 255, 255)
ORANGE = (245, 166, 35)


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then downsample: smooth edges without anti-aliasing support in ImageDraw
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle([0, 0, s, s], fill=BLUE)  # full bleed: the launcher cuts its own shape
        inset = s * 0.2  # keep the mark inside the 80 % safe zone
    else:
        d.rounded_rectangle([0, 0, s - 1, s - 1], radius=s * 0.22, fill=BLUE)
        inset = s * 0.12
    box = s - 2 * inset
    # a shield: flat top, sides, and a point at the bottom
    left, top, right = inset + box * 0.12, inset + box * 0.06, s - inset - box * 0.12
    mid = s / 2
    shield = [
        (left, top + box * 0.08),
        (mid, top),
        (right, top + box * 0.08),
        (right, top + box * 0.5),
        (mid, s - inset - box * 0.02),
        (left, top + box * 0.5),
    ]
    d.polygon(shield, fill=WHITE)
    # the grid (网格): two lines each way, in the brand blue
    width = max(2, int(box * 0.025))
    for f in (0.38, 0.62):
        x = left + (right - left) * f
        d.line([(x, top + box * 0.06), (x, top + box * 0.78)], fill=BLUE, width=width)
    for f in (0.3, 0.54):
        y = top + box * f
        d.line([(left + box * 0.02, y), (right - box * 0.02, y)], fill=BLUE, width=width)
    # the character 安 on an orange disc in the centre cell
    r = box * 0.2
    cx, cy = mid, top + box * 0.42
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=ORANGE)
    font = ImageFont.truetype(find_cjk_font(), int(r * 1.35))
    d.text((cx, cy), "安", font=font, fill=WHITE, anchor="mm")
    return img.resize((size, size), Image.LANCZOS)


class Command(BaseCommand):
    help = "Generate the field PWA icons (PNG) with Pillow."

    def handle(self, *args, **options):
        OUT.mkdir(parents=True, exist_ok=True)
        for name, size, maskable in (
            ("icon-192.png", 192, False),
            ("icon-512.png", 512, False),
            ("maskable-512.png", 512, True),
        ):
            # A 48-colour palette is plenty for three flat colours and their anti-aliased edges: about 5x smaller.
            icon = draw_icon(size, maskable=maskable).quantize(colors=48, method=Image.Quantize.FASTOCTREE)
            icon.save(OUT / name, optimize=True)
            self.stdout.write(f"{OUT / name}")
