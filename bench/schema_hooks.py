"""Schemathesis hooks for bench/reliability_schema: the input classes of the issue #12 probe, so the fuzzer finds
them on its own. Loaded with SCHEMATHESIS_HOOKS=bench.schema_hooks (the script sets it).

- `date-time` and `date` strings: mostly the edges — year 1 and 9999, offsets of ±23:59 and +15:00, the day before
  2000 — besides ordinary values across the whole calendar;
- every body, query and form: sometimes one value is swapped for an edge of its own type — control characters (ESC,
  BEL, a lone CR, C1, a lone surrogate), a string of 100 000 characters, integers past 64 bits, NaN and ±∞.

The CI counterpart is gridsafe/core/tests/test_openapi_edges.py (the same edge values, deterministic, every
operation). Importing this module needs schemathesis (and with it hypothesis), which is not a dev dependency."""

from datetime import UTC, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

OFFSETS = [timedelta(hours=23, minutes=59), -timedelta(hours=23, minutes=59), timedelta(hours=15), timedelta(0)]
EDGE_MOMENTS = [
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+23:59",
    "1999-12-31T23:59:59Z",
    "2026-01-01T00:00:00+15:00",
    "2026-01-01T00:00:00",  # naive
]
EDGE_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01"]
EDGE_TEXT = ["a\x1bb", "\x07", "line\rbreak", "\x85", "\x7f", "楼道\ud800", "x" * 100_000, "\x00"]
EDGE_INTS = [2**63, 2**64, -(2**64), 2**31]
EDGE_FLOATS = [float("nan"), float("inf"), float("-inf")]

_moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).flatmap(
    lambda moment: st.sampled_from(OFFSETS).map(lambda offset: moment.replace(tzinfo=timezone(offset)).isoformat())
)
schemathesis.openapi.format("date-time", st.one_of(st.sampled_from(EDGE_MOMENTS), _moments))
schemathesis.openapi.format("date", st.one_of(st.sampled_from(EDGE_DAYS), st.dates().map(str)))


def _edge_for(value, *, text_only: bool):
    """Edge values of the same kind as `value` (query strings and forms carry text only)."""
    if isinstance(value, bool):
        return st.just(value)
    if isinstance(value, int):
        return st.sampled_from([str(v) for v in EDGE_INTS] if text_only else EDGE_INTS)
    if isinstance(value, float):
        return st.sampled_from(["NaN", "Infinity", "-inf"] if text_only else EDGE_FLOATS)
    if isinstance(value, list):
        return st.just([]) if not value else _edge_for(value[0], text_only=text_only).map(lambda v: [v])
    if isinstance(value, dict):
        return _swap_one(value, text_only=text_only)
    texts = [t for t in EDGE_TEXT if not (text_only and ("\ud800" in t or "\x00" in t))]
    return st.sampled_from(texts + EDGE_MOMENTS + EDGE_DAYS)


def _swap_one(container: dict, *, text_only: bool):
    keys = sorted(container)
    if not keys:
        return st.just(container)
    return st.sampled_from(keys).flatmap(
        lambda key: _edge_for(container[key], text_only=text_only).map(lambda edge: {**container, key: edge})
    )


def _sometimes_edged(value, *, text_only: bool):
    if not isinstance(value, dict) or not value:
        return st.just(value)
    return st.one_of(st.just(value), _swap_one(value, text_only=text_only))


def _is_form(ctx) -> bool:
    operation = getattr(ctx, "operation", None)
    return any("form" in (getattr(b, "media_type", "") or "") for b in getattr(operation, "body", []) or [])


@schemathesis.hook
def flatmap_body(ctx, body):
    return _sometimes_edged(body, text_only=_is_form(ctx))  # a form field is text; JSON carries numbers and NaN


@schemathesis.hook
def flatmap_query(ctx, query):
    return _sometimes_edged(query, text_only=True)


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    return _sometimes_edged(path_parameters, text_only=True)


__all__ = ["EDGE_MOMENTS", "UTC"]
