"""The KPIs of domain.md §5 as ratios of rollup counters, their scores, composite scores and grades. Pure functions:
no query here, so the formulas are tested against hand-computed tables.

Denominators (fixed here, documented in gridsafe/dashboards/README.md):

* 应处置数 = 应结案数 = cases reported in the period − 作废 − 并单 − 移交 (− 挂账 when so configured).
* 按期处置率 = 按期处置数 / (处置数 + 超期未处置数): open cases already overdue count against it; open cases not yet
  due are in neither side (the 565/503 example: 480 / (503 + 45) = 87.59 %, not 480 / 503 = 95.43 %).
* 返工率 = 返工次数 / 提交整改次数, where 提交整改次数 = 处置数 + 返工次数 (each 返工 is a rejected submission). The
  rate is the share of rectifications that failed 核查, bounded 0–100 % so its score 100 − rate stays in range;
  the literal 返工次数 / 处置数 passes 100 % as soon as one case fails twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

GRADES = ((90, "A", "优秀"), (75, "B", "良好"), (60, "C", "合格"), (40, "D", "较差"), (0, "E", "差"))
GRADE_COLOURS = {"A": "#2e8b57", "B": "#1f5fae", "C": "#c98a00", "D": "#e07b24", "E": "#c93c37"}


def valid(c: Mapping[str, int], exclude_suspended: bool = False) -> int:
    """应处置数 / 应结案数."""
    base = c.get("reported", 0) - c.get("invalid", 0) - c.get("duplicate", 0) - c.get("transferred", 0)
    return base - (c.get("suspended", 0) if exclude_suspended else 0)


def _external(c: Mapping[str, int]) -> int:
    return sum(c.get(f"src_{s}", 0) for s in ("hotline", "video", "department", "leader", "walk_in", "citizen"))


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    ratio: Callable[[Mapping[str, int], bool], tuple[int, int]]  # (numerator, denominator)
    num_metric: str  # drill-down metric of the numerator (cohort counters joined by "+")
    den_metric: str
    higher_is_better: bool = True
    note: str = ""


KPIS: dict[str, Kpi] = {
    k.code: k
    for k in (
        Kpi("handling_rate", "处置率", lambda c, x: (c.get("handled", 0), valid(c, x)), "handled", "valid"),
        Kpi(
            "handling_on_time",
            "按期处置率",
            lambda c, x: (c.get("handled_on_time", 0), c.get("handled", 0) + c.get("overdue_unhandled", 0)),
            "handled_on_time",
            "handled+overdue_unhandled",
            note="按期处置数/(处置数+超期未处置数)",
        ),
        Kpi("closure_rate", "结案率", lambda c, x: (c.get("resolved", 0), valid(c, x)), "resolved", "valid"),
        Kpi(
            "closure_on_time",
            "按期结案率",
            lambda c, x: (c.get("closed_on_time", 0), c.get("resolved", 0) + c.get("overdue_unclosed", 0)),
            "closed_on_time",
            "resolved+overdue_unclosed",
            note="按期结案数/(结案数+超期未结案数)",
        ),
        Kpi(
            "rework_rate",
            "返工率",
            lambda c, x: (c.get("reworks", 0), c.get("handled", 0) + c.get("reworks", 0)),
            "reworks",
            "handled+reworks",
            higher_is_better=False,
            note="返工次数/提交整改次数",
        ),
        Kpi(
            "accurate_filing",
            "准确立案率",
            lambda c, x: (c.get("reported", 0) - c.get("invalid", 0), c.get("reported", 0)),
            "reported-invalid",
            "reported",
        ),
        Kpi(
            "valid_report_rate",
            "有效上报率",
            lambda c, x: (c.get("reported", 0) - c.get("invalid", 0) - c.get("duplicate", 0), c.get("reported", 0)),
            "reported-invalid-duplicate",
            "reported",
        ),
        Kpi(
            "missed_report_rate",
            "漏报率",
            lambda c, x: (_external(c), c.get("reported", 0)),
            "src_hotline+src_video+src_department+src_leader+src_walk_in+src_citizen",
            "reported",
            higher_is_better=False,
            note="其他来源发现的隐患/立案数",
        ),
        Kpi(
            "public_report_rate",
            "监督举报率",
            # 监督举报: the public's own reports, by the hotline, in person (群众来访) or online (群众上报)
            lambda c, x: (
                c.get("src_hotline", 0) + c.get("src_walk_in", 0) + c.get("src_citizen", 0),
                c.get("reported", 0),
            ),
            "src_hotline+src_walk_in+src_citizen",
            "reported",
            higher_is_better=False,
        ),
        Kpi(
            "confirm_on_time",
            "按时核实率",
            lambda c, x: (c.get("confirm_on_time", 0), c.get("confirm_due", 0)),
            "confirm_on_time",
            "confirm_due",
        ),
        Kpi(
            "check_on_time",
            "按时核查率",
            lambda c, x: (c.get("check_on_time", 0), c.get("check_due", 0)),
            "check_on_time",
            "check_due",
        ),
        Kpi(
            "major_clearance",
            "重大隐患销号率",
            lambda c, x: (c.get("major_resolved", 0), c.get("major", 0)),
            "major_resolved",
            "major",
        ),
        Kpi(
            "void_rate",
            "作废率",
            lambda c, x: (c.get("invalid", 0), c.get("reported", 0)),
            "invalid",
            "reported",
            higher_is_better=False,
        ),
        Kpi(
            "patrol_coverage",
            "巡查覆盖率",
            lambda c, x: (c.get("patrol_weeks_done", 0), c.get("patrol_weeks_due", 0)),
            "",
            "",
            note="按规则计入的巡查格·周/应巡查格·周（网格员本人所负责的网格）",
        ),
        Kpi(
            "dispatch_accuracy",
            "准确派遣率",
            lambda c, x: (c.get("f_dispatches", 0) - c.get("f_misdispatches", 0), c.get("f_dispatches", 0)),
            "",
            "",
            note="(派遣数−错派数)/派遣数，按事件日期",
        ),
        Kpi(
            "hotline_satisfaction",
            "12345满意率",
            lambda c, x: (c.get("f_satisfied", 0), c.get("f_visits", 0)),
            "",
            "",
            note="回访满意和基本满意数/回访数，按回访日期",
        ),
    )
}
MAIN_KPIS = ("handling_rate", "handling_on_time", "closure_rate", "closure_on_time", "rework_rate")
ALL_KPIS = tuple(KPIS)


def percent(num: int, den: int) -> float | None:
    if den <= 0:
        return None
    return round(100.0 * num / den, 2)


def kpi_values(counts: Mapping[str, int], *, exclude_suspended: bool = False) -> dict[str, dict]:
    """Every KPI as {value (percent or None), num, den}."""
    out = {}
    for code, kpi in KPIS.items():
        num, den = kpi.ratio(counts, exclude_suspended)
        out[code] = {"value": percent(num, den), "num": num, "den": den}
    handled = counts.get("f_handled", 0)
    out["avg_handle_hours"] = {
        "value": round(counts.get("f_handle_seconds", 0) / handled / 3600, 1) if handled else None,
        "num": counts.get("f_handle_seconds", 0),
        "den": handled,
    }
    return out


def kpi_score(code: str, value: float | None) -> float | None:
    if value is None:
        return None
    return value if KPIS[code].higher_is_better else max(0.0, 100.0 - value)


def band_score(value: float, bands: list) -> float:
    """[[bound, score], …, [None, score]]: the score of the first band with value < bound."""
    for bound, score in bands:
        if bound is None or value < bound:
            return float(score)
    return 0.0


@dataclass(frozen=True)
class Weight:
    kpi: str
    weight: Decimal
    bands: list | None = None
    per_grid_month: bool = False


def composite(
    counts: Mapping[str, int],
    weights: list[Weight],
    *,
    grids: int = 1,
    months: int = 1,
    exclude_suspended: bool = False,
    values: dict | None = None,
) -> dict:
    """综合指标值: Σ weight × score over the KPIs that have data, divided by the sum of those weights.
    A banded term (立案数分值) scores the count of valid cases, per grid and month when so configured; it needs at
    least one rated KPI beside it, else the unit has no score (it did no work that could be rated)."""
    values = values if values is not None else kpi_values(counts, exclude_suspended=exclude_suspended)
    total, used, terms, rated = 0.0, 0.0, [], False
    for w in weights:
        if w.bands:
            count = float(valid(counts, exclude_suspended))
            base = count / max(grids, 1) / max(months, 1) if w.per_grid_month else count
            score = band_score(base, w.bands)
            value = round(base, 2)
        else:
            value = values.get(w.kpi, {}).get("value")
            score = kpi_score(w.kpi, value) if w.kpi in KPIS else None
            rated = rated or score is not None
        terms.append({"kpi": w.kpi, "weight": float(w.weight), "value": value, "score": score})
        if score is not None:
            total += float(w.weight) * score
            used += float(w.weight)
    # A count band alone is no score: a unit with no rated work (no cases at all) is "no data", not 100.
    score = round(total / used, 2) if used and rated else None
    return {"score": score, "grade": grade(score), "terms": terms}


def grade(score: float | None) -> str:
    """A ≥ 90 (优秀), B ≥ 75 (良好), C ≥ 60 (合格), D ≥ 40 (较差), E < 40 (差); "" when there is no score."""
    if score is None:
        return ""
    for bound, letter, _label in GRADES:
        if score >= bound:
            return letter
    return "E"


GRADE_LABELS = {letter: label for _b, letter, label in GRADES}

# A unit whose KPI is 0 % with cases behind it cannot be graded above the given letter, whatever its other KPIs
# (issue 14: a department that closed nothing on time is not 优秀). The score itself keeps the formula of §5.
GRADE_CAPS: dict[tuple[str, str], str] = {("department", "closure_on_time"): "B"}
_ORDER = [letter for _b, letter, _l in GRADES]


def grade_capped(profile: str, result: dict, values: Mapping[str, dict]) -> dict:
    """`result` of `composite` with its grade lowered to a cap that applies, and `grade_capped` set to the reason
    (the KPI's label) or ""."""
    result["grade_capped"] = ""
    for (cap_profile, code), cap in GRADE_CAPS.items():
        kpi = values.get(code) or {}
        if cap_profile != profile or kpi.get("value") != 0 or not kpi.get("den") or not result.get("grade"):
            continue
        if _ORDER.index(result["grade"]) < _ORDER.index(cap):
            result["grade"] = cap
            result["grade_capped"] = f"{KPIS[code].label}为0，等级不高于{cap}"
    return result


def has_activity(profile: str, counts: Mapping[str, int]) -> bool:
    """Whether a unit did anything in the period that a score could rate: a grid worker reported or patrolled, a
    department had cases to handle or handled, dispatched or checked any. Without activity the score is "—", not the
    100 that rates of nothing would give."""
    if profile == "grid_worker":
        return counts.get("reported", 0) > 0 or counts.get("patrols", 0) > 0
    if profile == "department":
        return valid(counts) > 0 or any(
            counts.get(k, 0) for k in ("handled", "f_handled", "f_resolved", "f_dispatches", "overdue_unhandled")
        )
    return True
