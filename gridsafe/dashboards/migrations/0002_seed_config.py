"""Seed the oversight configuration (data, editable in the admin afterwards): composite-score weights (domain.md §5),
leaders' inspection and meeting cadence (§1.6) and the 信息材料 quota (§1.7)."""

from django.db import migrations

# profile, kpi, weight %, bands, per grid-month
WEIGHTS = [
    # 区域: 监督举报率分值 10% + 立案数分值 20% + 结案率 30% + 按期结案率 40%
    ("region", "public_report_rate", 10, None, False),
    ("region", "filing_count", 20, [[0.5, 100], [3, 90], [5, 75], [7, 60], [9, 40], [None, 0]], True),
    ("region", "closure_rate", 30, None, False),
    ("region", "closure_on_time", 40, None, False),
    # 部门: 结案率 30% + 按期处置率 30% + (100 − 返工率) 30% + 处置率 10% (in place of a 立案量 band)
    ("department", "handling_rate", 10, None, False),
    ("department", "closure_rate", 30, None, False),
    ("department", "handling_on_time", 30, None, False),
    ("department", "rework_rate", 30, None, False),
    # 网格员: 有效上报率 40% + 漏报率分值 20% + 按时核实率 20% + 按时核查率 20%
    ("grid_worker", "valid_report_rate", 40, None, False),
    ("grid_worker", "missed_report_rate", 20, None, False),
    ("grid_worker", "confirm_on_time", 20, None, False),
    ("grid_worker", "check_on_time", 20, None, False),
]

CADENCE = [
    (1, "inspection", "month", 1, "县级网格领导带队检查"),
    (1, "meeting", "month", 1, "安全生产网格化管理工作会议"),
    (2, "inspection", "week", 1, "乡镇(街道)网格领导带队检查"),
    (2, "meeting", "week", 1, "网格安全生产协调例会"),
    (3, "inspection", "week", 1, "村(居)网格检查"),
    (3, "meeting", "week", 1, "网格安全监管碰头会"),
]

QUOTAS = [("centre", 2, 2), ("department", 1, 2)]  # township centres and county departments: ≥ 2 a month


def seed(apps, schema_editor):
    KpiWeight = apps.get_model("dashboards", "KpiWeight")
    CadenceRule = apps.get_model("dashboards", "CadenceRule")
    ReportQuota = apps.get_model("dashboards", "ReportQuota")
    for sort, (profile, kpi, weight, bands, per_grid_month) in enumerate(WEIGHTS):
        KpiWeight.objects.get_or_create(
            profile=profile,
            kpi=kpi,
            defaults={"weight": weight, "bands": bands, "per_grid_month": per_grid_month, "sort": sort},
        )
    for level, kind, cadence, times, title in CADENCE:
        CadenceRule.objects.get_or_create(
            region_level=level, kind=kind, defaults={"cadence": cadence, "times": times, "title": title}
        )
    for unit_kind, level, minimum in QUOTAS:
        ReportQuota.objects.get_or_create(unit_kind=unit_kind, region_level=level, defaults={"minimum": minimum})


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
