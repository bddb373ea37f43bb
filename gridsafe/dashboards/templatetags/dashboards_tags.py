"""Small display filters for the oversight pages."""

from django import template

from gridsafe.dashboards.kpis import KPIS

register = template.Library()

TILE_KPIS = (
    "handling_rate",
    "handling_on_time",
    "closure_rate",
    "closure_on_time",
    "rework_rate",
    "accurate_filing",
    "confirm_on_time",
    "check_on_time",
)


@register.filter
def pct(value) -> str:
    """89.03 → "89.03%"; None → "—" (no denominator: nothing to rate)."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}%"


@register.filter
def score(value) -> str:
    return "—" if value is None else f"{float(value):.1f}"


@register.filter
def kpi(kpis: dict, code: str) -> dict:
    return (kpis or {}).get(code) or {}


@register.simple_tag
def kpi_tiles(kpis: dict) -> list[dict]:
    tiles = []
    for code in TILE_KPIS:
        value = dict((kpis or {}).get(code) or {})
        value.update(code=code, label=KPIS[code].label, note=KPIS[code].note, lower=not KPIS[code].higher_is_better)
        tiles.append(value)
    return tiles
