"""The database refuses changes to a published checklist version and its items (field/checklists/guard.py). After
the data migration 0005, which still writes published rows."""

from django.db import migrations

from gridsafe.field.checklists.guard import triggers_drop, triggers_install


def install(apps, schema_editor):
    triggers_install(schema_editor.connection)


def drop(apps, schema_editor):
    triggers_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("field", "0005_fill_checklist_published_at")]

    operations = [migrations.RunPython(install, drop)]
