"""The database half of "a published checklist version is immutable": triggers that refuse

* an UPDATE of a non-draft `field_checklisttemplate` row that touches its content (domain, place kind, version,
  title, source, note, when and by whom it was published) or moves it back to draft or out of retirement — what
  stays possible is what the services do to a published version: supersede it (`active` off) and retire it;
* any INSERT, UPDATE or DELETE of a `field_checklistitem` row whose version is not a draft;
* a DELETE of a non-draft version (a draft may be discarded).

The services check first and answer with a clear error; the triggers make the rule hold for every other writer
(the admin, the shell, a script). Like the append-only triggers (core/appendonly.py), DELETE and INSERT are let
through while the one-row `append_only_guard` is lifted, which only the test suite's world restore does.

`triggers_install` is idempotent (DROP IF EXISTS + CREATE): the migration calls it, and `post_migrate` calls it
again, because SQLite drops a table's triggers when a later migration rebuilds the table."""

from django.db import connections

TEMPLATE = "field_checklisttemplate"
ITEM = "field_checklistitem"
GUARD_TABLE = "append_only_guard"
MESSAGE = "checklist version is published: it cannot be changed"

# Columns of a version that never change once it is published.
FROZEN_COLUMNS = ("domain_id", "place_kind", "version", "title", "source", "note", "published_at", "published_by_id")

SQLITE_NAMES = (
    f"{TEMPLATE}_frozen_update",
    f"{TEMPLATE}_frozen_delete",
    f"{ITEM}_frozen_insert",
    f"{ITEM}_frozen_update",
    f"{ITEM}_frozen_delete",
)
PG_NAMES = (f"{TEMPLATE}_frozen", f"{ITEM}_frozen")


def _ensure_guard(cursor, vendor: str) -> None:
    if vendor == "sqlite":
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {GUARD_TABLE} (id integer PRIMARY KEY, lifted boolean NOT NULL)")
        cursor.execute(f"INSERT OR IGNORE INTO {GUARD_TABLE} (id, lifted) VALUES (1, 0)")
    else:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {GUARD_TABLE} (id integer PRIMARY KEY, lifted boolean NOT NULL)")
        cursor.execute(f"INSERT INTO {GUARD_TABLE} (id, lifted) VALUES (1, false) ON CONFLICT (id) DO NOTHING")


def triggers_drop(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TEMPLATE}_frozen ON {TEMPLATE}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {ITEM}_frozen ON {ITEM}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TEMPLATE}_frozen()")
            cursor.execute(f"DROP FUNCTION IF EXISTS {ITEM}_frozen()")


def triggers_install(connection) -> None:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return
    triggers_drop(connection)
    with connection.cursor() as cursor:
        _ensure_guard(cursor, vendor)
        if vendor == "sqlite":
            _install_sqlite(cursor)
        else:
            _install_postgresql(cursor)


def _install_sqlite(cursor) -> None:
    lifted = f"(SELECT lifted FROM {GUARD_TABLE} WHERE id = 1) IS 1"
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS)
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
    cursor.execute(
        f"CREATE TRIGGER {TEMPLATE}_frozen_update BEFORE UPDATE ON {TEMPLATE} "
        f"WHEN OLD.status <> 'draft' AND ({changed} OR NEW.status = 'draft' "
        f"OR (OLD.status = 'retired' AND NEW.status <> 'retired')) {raise_}"
    )
    cursor.execute(
        f"CREATE TRIGGER {TEMPLATE}_frozen_delete BEFORE DELETE ON {TEMPLATE} "
        f"WHEN OLD.status <> 'draft' AND NOT {lifted} {raise_}"
    )

    def status(ref: str) -> str:
        return f"(SELECT status FROM {TEMPLATE} WHERE id = {ref}.template_id)"

    cursor.execute(
        f"CREATE TRIGGER {ITEM}_frozen_insert BEFORE INSERT ON {ITEM} "
        f"WHEN {status('NEW')} <> 'draft' AND NOT {lifted} {raise_}"
    )
    cursor.execute(
        f"CREATE TRIGGER {ITEM}_frozen_update BEFORE UPDATE ON {ITEM} "
        f"WHEN {status('OLD')} <> 'draft' OR {status('NEW')} <> 'draft' {raise_}"
    )
    cursor.execute(
        f"CREATE TRIGGER {ITEM}_frozen_delete BEFORE DELETE ON {ITEM} "
        f"WHEN {status('OLD')} <> 'draft' AND NOT {lifted} {raise_}"
    )


def _install_postgresql(cursor) -> None:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
    lifted = f"COALESCE((SELECT lifted FROM {GUARD_TABLE} WHERE id = 1), false)"
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {TEMPLATE}_frozen() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' AND NOT {lifted} THEN RAISE EXCEPTION '{MESSAGE}'; END IF;
            RETURN OLD;
          END IF;
          IF OLD.status <> 'draft' AND ({changed} OR NEW.status = 'draft'
             OR (OLD.status = 'retired' AND NEW.status <> 'retired')) THEN
            RAISE EXCEPTION '{MESSAGE}';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER {TEMPLATE}_frozen BEFORE UPDATE OR DELETE ON {TEMPLATE}
          FOR EACH ROW EXECUTE FUNCTION {TEMPLATE}_frozen();
        """
    )
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {ITEM}_frozen() RETURNS trigger AS $$
        DECLARE frozen boolean := false;
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            frozen := frozen OR COALESCE((SELECT status <> 'draft' FROM {TEMPLATE} WHERE id = OLD.template_id), false);
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            frozen := frozen OR COALESCE((SELECT status <> 'draft' FROM {TEMPLATE} WHERE id = NEW.template_id), false);
          END IF;
          IF frozen AND (TG_OP = 'UPDATE' OR NOT {lifted}) THEN
            RAISE EXCEPTION '{MESSAGE}';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER {ITEM}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {ITEM}
          FOR EACH ROW EXECUTE FUNCTION {ITEM}_frozen();
        """
    )


def reinstall_after_migrate(*, using: str = "default", **kwargs) -> None:
    """post_migrate: put the triggers back if a migration rebuilt a table (SQLite) — cheap and idempotent."""
    connection = connections[using]
    if {TEMPLATE, ITEM} <= set(connection.introspection.table_names()):
        triggers_install(connection)
