"""A grid worker's weights add up to 100 % again (0008 added 巡查覆盖率 at 20 on top of domain.md §5's 40/20/20/20,
120 % in all, which the admin's own check then refused to save). The four terms keep their 2:1:1:1 proportions
(32/16/16/16) and 巡查覆盖率 keeps 20; scores do not change, since the composite is normalised over the weights.
A county that already changed these weights keeps its own."""

from django.db import migrations

OLD = {
    "valid_report_rate": 40,
    "missed_report_rate": 20,
    "confirm_on_time": 20,
    "check_on_time": 20,
    "patrol_coverage": 20,
}
NEW = {
    "valid_report_rate": 32,
    "missed_report_rate": 16,
    "confirm_on_time": 16,
    "check_on_time": 16,
    "patrol_coverage": 20,
}


def _set(apps, frm, to):
    KpiWeight = apps.get_model("dashboards", "KpiWeight")
    rows = {w.kpi: w for w in KpiWeight.objects.filter(profile="grid_worker")}
    if {k: int(w.weight) for k, w in rows.items()} != frm:
        return
    for kpi, weight in to.items():
        KpiWeight.objects.filter(pk=rows[kpi].pk).update(weight=weight)


def forward(apps, schema_editor):
    _set(apps, OLD, NEW)


def backward(apps, schema_editor):
    _set(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0010_source_citizen_hotline_visits")]

    operations = [migrations.RunPython(forward, backward)]
