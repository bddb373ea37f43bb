"""The major-hazard timeline and the enterprises' records are append-only in the database, not only in the model:
their triggers come from the one registry (core/appendonly.py), as the case timeline's do (cases/0008)."""

from django.db import migrations

from gridsafe.core.appendonly import triggers_install

TABLES = ["hazards_majorhazardevent", "hazards_enterpriserecord"]


def install(apps, schema_editor):
    triggers_install(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("hazards", "0004_fill_major_action_listing")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
