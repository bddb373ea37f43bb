"""The timeline's hash chain (cases/chain.py): seq, prev_hash and hash on every event, the head on the case row.

The defaults only carry existing rows to 0007, which computes their real chain. On SQLite adding a NOT NULL column
rebuilds the table, which drops the append-only triggers; 0008 puts them back after the last rebuild."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_caseevent_desk_time")]

    operations = [
        migrations.AddField(model_name="case", name="event_seq", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="case", name="event_head", field=models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name="caseevent", name="seq", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(
            model_name="caseevent", name="prev_hash", field=models.CharField(blank=True, max_length=64)
        ),
        migrations.AddField(model_name="caseevent", name="hash", field=models.CharField(blank=True, max_length=64)),
    ]
