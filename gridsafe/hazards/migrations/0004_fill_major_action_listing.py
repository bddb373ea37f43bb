"""Steps stored before 0003 as action "list" become "listing" (a bare "list" read as a raw code in the admin)."""

from django.db import migrations


def rename(apps, schema_editor):
    # MajorHazardEvent is append-only in the model, not by a trigger: a queryset UPDATE is this migration's only write.
    apps.get_model("hazards", "MajorHazardEvent").objects.filter(action="list").update(action="listing")


class Migration(migrations.Migration):
    dependencies = [("hazards", "0003_major_action_listing")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
