"""Database-level refusal to change or delete timeline and audit rows.

The one-row table append_only_guard lets the test runner's flush through (SQLite live-server tests flush with
DELETE); only the browser-test fixture sets it. It is deliberately not a Django model, so a flush never empties
it and the guard cannot be lifted by deleting its row."""

from django.db import migrations

TABLES = ["cases_caseevent", "core_auditevent"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE TABLE append_only_guard (id integer PRIMARY KEY, lifted boolean NOT NULL)")
        cursor.execute("INSERT INTO append_only_guard (id, lifted) VALUES (1, %s)", [False])
        for table in TABLES:
            if vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                    f"WHEN (SELECT lifted FROM append_only_guard WHERE id = 1) IS NOT 1 "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
            elif vendor == "postgresql":
                cursor.execute(
                    f"""
                    CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                    BEGIN
                      IF TG_OP = 'DELETE' AND (SELECT lifted FROM append_only_guard WHERE id = 1) THEN
                        RETURN OLD;
                      END IF;
                      RAISE EXCEPTION '{table} is append-only';
                    END $$ LANGUAGE plpgsql;
                    CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                      FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                    """
                )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            elif vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        cursor.execute("DROP TABLE append_only_guard")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("core", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
