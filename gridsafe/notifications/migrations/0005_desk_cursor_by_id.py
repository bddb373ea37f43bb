from datetime import timedelta

from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone

# What the time cursor read again behind itself: everything older than that was taken in.
OLD_LOOKBACK = timedelta(minutes=15)


def cursor_to_ids(apps, schema_editor):
    """Each cursor starts at the last event of its desk older than its old window: at worst some events are read
    again (the notification's unique key skips them), none is skipped."""
    DeskCursor = apps.get_model("notifications", "DeskCursor")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    now = timezone.now()
    for cursor in DeskCursor.objects.all().iterator(chunk_size=2000):
        floor = (
            CaseEvent.objects.filter(holder_unit_id=cursor.unit_id, created_at__lt=cursor.synced_at - OLD_LOOKBACK)
            .aggregate(m=Max("id"))["m"]
            or 0
        )
        DeskCursor.objects.filter(pk=cursor.pk).update(event_id=floor, seen_id=floor, seen_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_caseevent_desk_by_id"),
        ("notifications", "0004_desk_on_read"),
    ]

    operations = [
        migrations.AddField(model_name="deskcursor", name="event_id", field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="deskcursor", name="seen_id", field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="deskcursor", name="seen_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(cursor_to_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="deskcursor", name="synced_at"),
        migrations.AlterField(model_name="deskcursor", name="seen_at", field=models.DateTimeField()),
    ]
