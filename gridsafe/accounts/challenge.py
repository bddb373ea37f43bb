"""图形验证码 — the CAPTCHA shown in front of a login after repeated failures (accounts/lockout.py), from
django-simple-captcha (`captcha` app: its CaptchaStore rows and its image view at /captcha/image/<key>/).

The challenge is a small sum or difference of digits ("7+5=", answer "12"): readable to every user, with none of
the Latin letters (O/0, l/1) that the package's default challenge uses. The image is drawn here (captcha_image,
mounted over the package's image address) with the CJK font the set-up installs (settings.CAPTCHA_FONT_PATH, a
TrueType collection): the package's own drawing measures glyphs by a misread bounding box and clips every
character of a font with a tall ascent such as Noto CJK to a sliver. Without that font, Pillow's own font."""

import random
import secrets
from io import BytesIO

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def arithmetic_challenge() -> tuple[str, str]:
    """(text drawn in the image, expected answer); CAPTCHA_CHALLENGE_FUNCT. No product: × and x look alike."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        return f"{a}+{b}=", str(a + b)
    a, b = max(a, b), min(a, b)
    return f"{a}-{b}=", str(a - b)


class CaptchaInput(CaptchaTextInput):
    """The package's widget with our markup: Chinese alt text, a numeric keyboard on phones."""

    template_name = "accounts/captcha_widget.html"

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})


def captcha_field() -> CaptchaField:
    return CaptchaField(
        label="验证码",
        widget=CaptchaInput(),
        error_messages={"invalid": "验证码错误，请重新输入", "required": "请输入验证码（计算图中算式）"},
    )


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(settings.CAPTCHA_FONT_PATH), size)
    except (AttributeError, OSError):  # no CJK font on this machine (a bare demo set-up): Pillow's bundled one
        return ImageFont.load_default(size)


def captcha_png(text: str, *, seed: str) -> bytes:
    """The challenge drawn on white: each character tilted a little and set at its own height, a few lines and
    dots over it. Seeded by the key, so reloading one image does not show new variants of it."""
    rng = random.Random(seed)  # never the global generator (the package's view reseeds that one with the key)
    size = settings.CAPTCHA_FONT_SIZE
    font = _font(size)
    height, step = int(size * 1.7), int(size * 0.85)
    image = Image.new("RGB", (step * len(text) + size, height), "#ffffff")
    for index, char in enumerate(text):
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size, size), char, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(rng.uniform(-18, 18), resample=Image.BICUBIC)
        box = glyph.getbbox()
        if box is None:
            continue
        glyph = glyph.crop(box)
        x = size // 2 + index * step + (step - glyph.width) // 2
        y = (height - glyph.height) // 2 + rng.randint(-size // 8, size // 8)
        image.paste("#1d3b5c", (x, y), glyph)
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        points = [(rng.randint(0, image.width), rng.randint(0, height)) for _ in range(2)]
        draw.line(points, fill="#6b7c93", width=1)
    for _ in range(image.width * height // 40):
        draw.point((rng.randrange(image.width), rng.randrange(height)), fill="#8a96a8")
    buffer = BytesIO()
    image.filter(ImageFilter.SMOOTH).save(buffer, "PNG")
    return buffer.getvalue()


@never_cache
def captcha_image(request, key: str, scale: int = 1) -> HttpResponse:
    """GET /captcha/image/<key>/ — the challenge's picture; 410 once it was answered or has expired."""
    store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
    if store is None:
        return HttpResponse(status=410)
    return HttpResponse(captcha_png(store.challenge, seed=key), content_type="image/png")
