"""Append-only again, after every rebuild: cases/0005 (AlterField) and 0006 (AddField NOT NULL) rebuilt
cases_caseevent on SQLite and dropped its triggers, so UPDATE and DELETE on the timeline went through; 0007
dropped them everywhere to chain the existing rows. The unique (case, seq) constraint is added first because on
SQLite it rebuilds the table once more.

The triggers come from the one registry (core/appendonly.py), DROP IF EXISTS + CREATE, for both append-only
tables. A later migration that rebuilds either table must end the same way; a post_migrate check (and a test)
says so if one does not."""

from django.db import migrations, models

from gridsafe.core.appendonly import triggers_install

TABLES = ["cases_caseevent", "core_auditevent"]


def install(apps, schema_editor):
    triggers_install(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_event_chain_fill"), ("core", "0004_audit_chain_no_legacy")]

    operations = [
        migrations.AddConstraint(
            model_name="caseevent",
            constraint=models.UniqueConstraint(fields=("case", "seq"), name="caseevent_chain_seq"),
        ),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
