"""Versions that existed before 0004 were published when they were created: say so (published_at), so the editor
and the audit of later versions show when each was handed out."""

from django.db import migrations
from django.db.models import F


def fill(apps, schema_editor):
    ChecklistTemplate = apps.get_model("field", "ChecklistTemplate")
    ChecklistTemplate.objects.filter(status="published", published_at__isnull=True).update(published_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("field", "0004_checklist_versions")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
