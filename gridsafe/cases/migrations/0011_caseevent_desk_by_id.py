from django.db import migrations, models


class Migration(migrations.Migration):
    """The desk's catch-up reads by event id, not by time (notifications.services.inbox_catch_up): an index on
    (holder_unit, id) replaces the one on (holder_unit, created_at), which nothing else reads."""

    dependencies = [("cases", "0010_newest_with_scope")]

    operations = [
        migrations.RemoveIndex(model_name="caseevent", name="caseevent_desk_time"),
        migrations.AddIndex(
            model_name="caseevent",
            index=models.Index(fields=["holder_unit", "id"], name="caseevent_desk"),
        ),
    ]
