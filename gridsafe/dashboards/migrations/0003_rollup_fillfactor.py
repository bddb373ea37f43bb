"""PostgreSQL: leave room in every page of the rollup tables so the counter upserts are HOT updates (no index
change, new row version on the same page): the rows of one node stay together and the index does not bloat."""

from django.db import migrations

TABLES = ("dashboards_statcell", "dashboards_statgauge")


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_seed_config")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
