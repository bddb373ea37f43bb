"""Small display helpers for the oversight pages."""

from django import template

from gridsafe.dashboards.kpis import KPIS
from gridsafe.dashboards.selectors import LABELS

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
def capped_any(rows) -> bool:
    return any(r.get("grade_capped") for r in rows or ())


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def rate(entry: dict, code: str):
    """The percentage of KPI `code` of a report entry."""
    return ((entry or {}).get("kpis") or {}).get(code, {}).get("value")


@register.filter
def den_url(entry: dict, code: str) -> str:
    """The cases behind a KPI's denominator (where the on-time rates' overdue cases show)."""
    return entry["drill"] + LABELS["metrics"][code]["den"]


@register.simple_tag
def kpi_tiles(entry: dict) -> list[dict]:
    tiles = []
    for code in TILE_KPIS:
        value = dict(entry["kpis"].get(code) or {})
        metrics = LABELS["metrics"][code]
        value.update(
            code=code,
            label=KPIS[code].label,
            note=KPIS[code].note,
            lower=not KPIS[code].higher_is_better,
            num_url=entry["drill"] + metrics["num"],
            den_url=entry["drill"] + metrics["den"],
        )
        tiles.append(value)
    return tiles


@register.simple_tag
def figures(entry: dict, kind: str) -> list[dict]:
    """[{key, label, value, url}] for the counts or the gauges of a report entry."""
    if kind == "gauges":
        return [
            {"key": k, "label": label, "value": entry["gauges"].get(k, 0), "url": f"{entry['drill']}now%3A{k}"}
            for k, label in LABELS["gauges"].items()
        ]
    return [
        {"key": k, "label": label, "value": entry["counts"].get(k, 0), "url": entry["drill"] + k}
        for k, label in LABELS["counts"].items()
    ]
