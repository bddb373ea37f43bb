"""Patrols ended before the county's patrol rule existed: judged by the default rule (20 minutes, 500 m) on the
summary they kept (start to end, the whole track's length), since purged tracks cannot be walked again. Batches of
500; reverse is a no-op (the columns go with 0002)."""

from django.db import migrations

MIN_MINUTES = 20
MIN_DISTANCE_M = 500
BATCH = 500


def fill(apps, schema_editor):
    Patrol = apps.get_model("field", "Patrol")
    ids = list(Patrol.objects.filter(status="ended", coverage_reason="").values_list("pk", flat=True))
    for i in range(0, len(ids), BATCH):
        rows = list(Patrol.objects.filter(pk__in=ids[i : i + BATCH]))
        for patrol in rows:
            minutes = (patrol.ended_at - patrol.started_at).total_seconds() / 60 if patrol.ended_at else 0
            metres = patrol.distance_m
            ok = minutes >= MIN_MINUTES and metres >= MIN_DISTANCE_M
            patrol.in_grid_minutes = round(minutes, 1)
            patrol.in_grid_distance_m = metres
            patrol.counts_for_coverage = ok
            patrol.coverage_reason = (
                f"{'计入' if ok else '不计入'}覆盖（规则启用前结束，按全程 {minutes:.0f} 分钟、{metres:.0f} 米评估）"
            )
        Patrol.objects.bulk_update(
            rows, ["in_grid_minutes", "in_grid_distance_m", "counts_for_coverage", "coverage_reason"]
        )


class Migration(migrations.Migration):
    dependencies = [("field", "0002_patrol_rule")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
