"""A grid worker's composite score includes 巡查覆盖率 (issue 14): one more term, weight 20. Weights are normalised
over the terms that have data, so the four terms of domain.md §5 keep their proportions to each other."""

from django.db import migrations


def add(apps, schema_editor):
    KpiWeight = apps.get_model("dashboards", "KpiWeight")
    KpiWeight.objects.get_or_create(
        profile="grid_worker", kpi="patrol_coverage", defaults={"weight": 20, "bands": None, "sort": 12}
    )


def remove(apps, schema_editor):
    apps.get_model("dashboards", "KpiWeight").objects.filter(profile="grid_worker", kpi="patrol_coverage").delete()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0007_oversight_calendar")]

    operations = [migrations.RunPython(add, remove)]
