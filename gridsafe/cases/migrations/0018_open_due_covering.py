"""case_open_due holds the columns a 辖区 and "my work" filter read, so a capped 超时 count is an index-only scan
(bench/pages_at_scale: the county's at 10 M cases 64 → 1.2 ms). SQLite has no covering indexes: Django leaves the
INCLUDE out there."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0017_open_case_indexes")]

    operations = [
        migrations.RemoveIndex(model_name="case", name="case_open_due"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    models.Q(("state__in", ["closed", "suspended"]), _negated=True), ("due_at__isnull", False)
                ),
                fields=["due_at", "id"],
                include=("state", "region_path", "holder_unit", "handler", "department", "dispatcher_unit"),
                name="case_open_due",
            ),
        ),
    ]
