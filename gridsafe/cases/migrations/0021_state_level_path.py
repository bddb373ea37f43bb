"""case_state_level ends with the region path, so a case list's capped total filtered by state reads that state's
index entries alone (bench/pages_at_scale, 已结案 at 10 M cases: a walk of 200 000 newest entries, 116 ms, or of the
table, 21-150 ms, becomes an index-only scan of 10 001 entries). A key column rather than INCLUDE, which would turn
btree deduplication off (482 MB instead of ~70 MB at 10 M)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0020_newest_scope_state")]

    operations = [
        migrations.RemoveIndex(model_name="case", name="case_state_level"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["state", "level", "region_path"], name="case_state_level"),
        ),
    ]
