"""The append-only tables and the database triggers that refuse UPDATE and DELETE on them: the one registry.

Why a registry and not only a migration: SQLite cannot alter most columns in place, so Django rebuilds the table
(create a copy, move the rows, drop the old one) and the rebuild silently drops the table's triggers. That happened
to `cases_caseevent` (cases/0005): the timeline was writable on every SQLite install. So:

* `triggers_install` (re)creates every trigger of `APPEND_ONLY_TABLES`, idempotently (DROP IF EXISTS + CREATE). The
  latest migration that touched these tables calls it with its table list (cases/0008), and so must any future
  migration that rebuilds one of them.
* `triggers_missing` names what is absent (or disabled, on PostgreSQL). `gridsafe check_deploy` and `gridsafe audit
  verify` fail on it, and a `post_migrate` handler (core/apps.py) puts missing triggers back after every
  `migrate`, saying so on stderr and in `REPAIRED`, which a test holds empty: a migration that drops them fails CI
  even though production repairs itself.

The one-row table `append_only_guard` lets `audit_purge` delete past the retention, and lets the test suite put the
demo world back after a transactional test (conftest.py `WorldSnapshot.restore`: on PostgreSQL it empties the tables
with DELETE, lifting the guard and lowering it again inside that one transaction; on SQLite it copies a saved
database over the test one and needs no guard). It only ever lifts DELETE; UPDATE is refused always. It is deliberately not a Django model, so a flush never empties it."""

import logging
import sys

from django.db import connections

log = logging.getLogger("gridsafe.appendonly")

APPEND_ONLY_TABLES = (
    "cases_caseevent",
    "core_auditevent",
    "hazards_majorhazardevent",  # a major hazard's steps (hazards/0005)
    "hazards_enterpriserecord",  # what an enterprise recorded on its cases (hazards/0005)
)
GUARD_TABLE = "append_only_guard"

# Tables whose triggers the last post_migrate had to put back (empty when every migration kept them).
REPAIRED: list[str] = []


def expected_triggers(vendor: str, tables=APPEND_ONLY_TABLES) -> list[tuple[str, str]]:
    """(table, trigger name) for every trigger the tables must carry on this database."""
    if vendor == "sqlite":
        return [(t, name) for t in tables for name in (f"{t}_no_update", f"{t}_no_delete")]
    if vendor == "postgresql":
        return [(t, f"{t}_append_only") for t in tables]
    return []


def _guard_exists(cursor, vendor: str) -> bool:
    if vendor == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [GUARD_TABLE])
    else:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [GUARD_TABLE])
        return bool(cursor.fetchone()[0])
    return cursor.fetchone() is not None


def triggers_missing(connection, tables=APPEND_ONLY_TABLES) -> list[str]:
    """Every expected trigger that is absent, as "table: trigger" (PostgreSQL: a disabled trigger counts as
    absent), plus the guard table if it is gone. Empty when the tables are append-only as they should be."""
    vendor = connection.vendor
    missing = []
    with connection.cursor() as cursor:
        if not _guard_exists(cursor, vendor):
            missing.append(f"{GUARD_TABLE}: table")
        for table, name in expected_triggers(vendor, tables):
            if vendor == "sqlite":
                cursor.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name = %s", [table, name]
                )
            else:
                cursor.execute(
                    "SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s AND tgenabled <> 'D'",
                    [table, name],
                )
            if cursor.fetchone() is None:
                missing.append(f"{table}: {name}")
    return missing


def triggers_drop(connection, tables=APPEND_ONLY_TABLES) -> None:
    """Drop the tables' triggers (a data migration that must rewrite rows; reinstall afterwards)."""
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


def triggers_install(connection, tables=APPEND_ONLY_TABLES) -> None:
    """Create the guard table (if absent) and every trigger of `tables`, replacing any that exist."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        if not _guard_exists(cursor, vendor):
            cursor.execute(f"CREATE TABLE {GUARD_TABLE} (id integer PRIMARY KEY, lifted boolean NOT NULL)")
            cursor.execute(f"INSERT INTO {GUARD_TABLE} (id, lifted) VALUES (1, %s)", [False])
    triggers_drop(connection, tables)
    with connection.cursor() as cursor:
        for table in tables:
            if vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                    f"WHEN (SELECT lifted FROM {GUARD_TABLE} WHERE id = 1) IS NOT 1 "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
            else:
                cursor.execute(
                    f"""
                    CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                    BEGIN
                      IF TG_OP = 'DELETE' AND (SELECT lifted FROM {GUARD_TABLE} WHERE id = 1) THEN
                        RETURN OLD;
                      END IF;
                      RAISE EXCEPTION '{table} is append-only';
                    END $$ LANGUAGE plpgsql;
                    CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                      FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                    """
                )


def repair_after_migrate(*, using: str = "default", verbosity: int = 1, **kwargs) -> None:
    """post_migrate: put back any trigger a migration dropped, loudly. Runs once per `migrate` (the core app's
    signal), after every app's migrations; skips a database whose tables are not there yet."""
    connection = connections[using]
    present = set(connection.introspection.table_names())
    tables = [t for t in APPEND_ONLY_TABLES if t in present]
    if not tables:
        return
    missing = triggers_missing(connection, tables)
    if not missing:
        return
    REPAIRED.extend(missing)
    log.warning("append-only triggers were missing after migrate and are re-created: %s", ", ".join(missing))
    if verbosity:
        sys.stderr.write(
            "WARNING: append-only triggers were missing after migrate (a migration rebuilt the table?) and are "
            f"re-created: {', '.join(missing)}\n"
        )
    triggers_install(connection, tables)
