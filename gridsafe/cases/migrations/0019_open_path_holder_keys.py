"""The state in case_open_path's key and the deadline in case_open_holder's: a grid worker's 待核查 and 超时 counts
are answered inside these indexes instead of ANDed with a bitmap of every open case in that state or past its
deadline (bench/pages_at_scale, the worker's 待办 SQL at 10 M cases: 446 → 75 ms)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_open_due_covering"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_open_path",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="case_open_holder",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(models.Q(("state", "closed"), _negated=True), ("region_path__isnull", False)),
                fields=["region_path", "state"],
                name="case_open_path",
                opclasses=["varchar_pattern_ops", "varchar_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(models.Q(("state", "closed"), _negated=True), ("holder_unit__isnull", False)),
                fields=["holder_unit", "state", "due_at"],
                name="case_open_holder",
            ),
        ),
    ]
