"""Oversight configuration: the rows seeded by migration 0002 (weights, cadence, quotas) and a few settings.

A transactional test or a fresh install may flush the seeded rows; `ensure_defaults` puts the defaults back the
first time they are needed, so the tables stay the single place where weights and cadences are changed."""

from decimal import Decimal

from django.conf import settings

from gridsafe.core.cache import VersionedCache
from gridsafe.dashboards.kpis import Weight
from gridsafe.dashboards.models import CadenceRule, KpiWeight, ReportQuota
from gridsafe.video.selectors import camera_count as register_count

# The same defaults as migration 0002 (which keeps its own frozen copy).
DEFAULT_WEIGHTS = [
    ("region", "public_report_rate", 10, None, False),
    ("region", "filing_count", 20, [[0.5, 100], [3, 90], [5, 75], [7, 60], [9, 40], [None, 0]], True),
    ("region", "closure_rate", 30, None, False),
    ("region", "closure_on_time", 40, None, False),
    ("department", "handling_rate", 10, None, False),
    ("department", "closure_rate", 30, None, False),
    ("department", "handling_on_time", 30, None, False),
    ("department", "rework_rate", 30, None, False),
    # domain.md §5's 40/20/20/20 scaled to 80 % (2:1:1:1 kept), with 巡查覆盖率 (issue 14) the other 20 %: 0011
    ("grid_worker", "valid_report_rate", 32, None, False),
    ("grid_worker", "missed_report_rate", 16, None, False),
    ("grid_worker", "confirm_on_time", 16, None, False),
    ("grid_worker", "check_on_time", 16, None, False),
    ("grid_worker", "patrol_coverage", 20, None, False),
]
DEFAULT_CADENCE = [
    (1, "inspection", "month", 1, "县级网格领导带队检查"),
    (1, "meeting", "month", 1, "安全生产网格化管理工作会议"),
    (2, "inspection", "week", 1, "乡镇(街道)网格领导带队检查"),
    (2, "meeting", "week", 1, "网格安全生产协调例会"),
    (3, "inspection", "week", 1, "村(居)网格检查"),
    (3, "meeting", "week", 1, "网格安全监管碰头会"),
]
DEFAULT_QUOTAS = [("centre", 2, 2), ("department", 1, 2)]


def ensure_defaults() -> None:
    if not KpiWeight.objects.exists():
        KpiWeight.objects.bulk_create(
            [
                KpiWeight(profile=p, kpi=k, weight=w, bands=b, per_grid_month=g, sort=i)
                for i, (p, k, w, b, g) in enumerate(DEFAULT_WEIGHTS)
            ],
            ignore_conflicts=True,
        )
    if not CadenceRule.objects.exists():
        CadenceRule.objects.bulk_create(
            [CadenceRule(region_level=lv, kind=k, cadence=c, times=t, title=ti) for lv, k, c, t, ti in DEFAULT_CADENCE],
            ignore_conflicts=True,
        )
    if not ReportQuota.objects.exists():
        ReportQuota.objects.bulk_create(
            [ReportQuota(unit_kind=k, region_level=lv, minimum=m) for k, lv, m in DEFAULT_QUOTAS], ignore_conflicts=True
        )


def _build_weights() -> dict[str, list[Weight]]:
    ensure_defaults()
    by_profile: dict[str, list[Weight]] = {}
    for r in KpiWeight.objects.order_by("sort", "kpi"):
        by_profile.setdefault(r.profile, []).append(Weight(r.kpi, Decimal(r.weight), r.bands, r.per_grid_month))
    return by_profile


# Every ranking (a dashboard page has two) scores with these; they change when an administrator edits 考核权重,
# through dashboards.services (kpi_weights_save, kpi_weight_delete), which invalidates this in the same transaction.
weights = VersionedCache("kpi_weights", _build_weights)


def weights_for(profile: str) -> list[Weight]:
    """The composite-score terms of a profile (region, department, grid_worker): no query when warm."""
    return weights.get().get(profile, [])


def cadence_rules() -> list[CadenceRule]:
    ensure_defaults()
    return list(CadenceRule.objects.filter(is_active=True).order_by("region_level", "kind"))


def report_quotas() -> list[ReportQuota]:
    ensure_defaults()
    return list(ReportQuota.objects.all())


def exclude_suspended() -> bool:
    """金华 subtracts 缓办 (挂账) cases from 应处置数; the county decides (domain.md §5)."""
    return settings.GRIDSAFE_KPI_EXCLUDE_SUSPENDED


def camera_count(region_path: str | None = None) -> int:
    """Cameras in use in the register under `region_path` (video.selectors), shown on the big screen (14,533
    警用视频探头 in the article) — counted, not typed into a setting."""

    return register_count(region_path=region_path)["total"]


def screen_poll_seconds() -> int:
    return settings.GRIDSAFE_SCREEN_POLL_SECONDS
