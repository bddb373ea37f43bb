"""Where a text says a thing is, without a geocoder: the names the desk's place search knows (web.desk_views
`case_register_search`: supervised places, then grids, villages and townships), looked for *inside* the text.

A 12345 order says "榜头镇南溪村后山路口液化气店…"; the longest place name found in it wins, else the deepest area
(a village inside a named township before a village of the same name elsewhere), else the county's centre, flagged,
so the county desk corrects it (更正)."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Length

from gridsafe.places.models import Place
from gridsafe.regions.models import Region


@dataclass(frozen=True)
class Located:
    lon: float
    lat: float
    label: str  # what matched, for the desk: 监管对象 …, 区域 …, or 未识别地点
    exact: bool


def locate_text(text: str) -> Located:
    """Two queries at most (places, then areas), each a LIKE of the text against the names."""
    text = (text or "")[:400]
    if text:
        place = (
            Place.objects.filter(is_active=True)
            .annotate(_text=Value(text), _len=Length("name"))
            .filter(_len__gte=3, _text__contains=F("name"))
            .order_by("-_len", "pk")
            .values("name", "lon", "lat")
            .first()
        )
        if place is not None:
            return Located(place["lon"], place["lat"], f"监管对象：{place['name']}", True)
        areas = list(
            Region.objects.filter(is_active=True, level__gte=2, center_lon__isnull=False)
            .annotate(_text=Value(text), _len=Length("name"))
            .filter(_len__gte=2, _text__contains=F("name"))
            .values("name", "path", "level", "center_lon", "center_lat")
        )
        if areas:
            deepest = max(a["level"] for a in areas)
            named = [a["path"] for a in areas if a["level"] < deepest]

            def rank(area: dict) -> tuple:
                inside_named = any(area["path"].startswith(p + ".") for p in named)
                return (area["level"] == deepest, inside_named, len(area["name"]), area["path"])

            best = max(areas, key=rank)
            return Located(best["center_lon"], best["center_lat"], f"区域：{best['name']}", True)
    county = Region.objects.filter(code=settings.GRIDSAFE_COUNTY_CODE).values("center_lon", "center_lat").first()
    if county is None or county["center_lon"] is None:
        raise LookupError("本县区划没有中心点，无法定位")
    return Located(county["center_lon"], county["center_lat"], "未识别地点（县中心，待更正）", False)
