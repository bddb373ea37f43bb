"""Shared test set-up: the 仙游县 demo world (regions, units, people, catalog, calendar) is built once per run and
copied into every xdist worker's test database, so every test runs against real geometry and the real jurisdiction
tree; each test then runs in a transaction that is rolled back."""

import os
import uuid

import pytest
from django.test import TestCase

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def counted_queries(ctx) -> list[str]:
    """The SQL captured, without the in-process caches' version checks (core.cache): one per cache at most every
    few seconds, whatever the rows, so a query count that guards against N+1 must not depend on the clock."""
    return [q["sql"] for q in ctx.captured_queries if '"core_cacheversion"' not in q["sql"]]


FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """The test databases, each holding the demo world, snapshotted; a transactional test's teardown puts the
    snapshot back instead of flushing (see `WorldSnapshot`), so the next test finds the world.

    This replaces pytest-django's fixture of the same name (it migrated every worker's database) and does not
    honour --reuse-db or --nomigrations: every run builds its world afresh from the demo files on a copy of a
    never used database migrated from this code's migrations (`migrated_database`), so no state left by an earlier
    run can leak in."""
    from django.db import connections
    from django.test import TransactionTestCase
    from django.test.utils import override_settings, teardown_databases

    # Tests sign in and set passwords hundreds of times: MD5 instead of a million PBKDF2 rounds (0.3 s) each time,
    # for the world's users too. PBKDF2 stays listed, so a hash made with the site's default still verifies.
    fast_hashes = override_settings(PASSWORD_HASHERS=[FAST_HASHER, "django.contrib.auth.hashers.PBKDF2PasswordHasher"])
    fast_hashes.enable()
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        made = _databases_with_the_world(request.config, verbosity)
        snapshots = {alias: WorldSnapshot.take(connections[alias]) for alias in connections}

    flush = TransactionTestCase._fixture_teardown
    roll_back = TestCase._fixture_teardown

    def restore_the_world(self):
        for alias in self._databases_names(include_mirrors=False):
            snapshots[alias].restore()

    def check_with_fresh_plans_and_roll_back(self):
        # The teardown checks the foreign keys of every row the test wrote (SET CONSTRAINTS ALL IMMEDIATE). Those
        # checks run on plans that PostgreSQL keeps per connection, and the connection's plans were made by earlier
        # tests on the world's small tables: the check of a track point against 10 patrols was a scan of them all.
        # After the demo's year of 31,000 patrols and their track points that took 100-150 s instead of 1 s.
        for alias in self._databases_names(include_mirrors=False):
            if connections[alias].vendor == "postgresql" and self._should_check_constraints(connections[alias]):
                with connections[alias].cursor() as cursor:
                    cursor.execute("DISCARD PLANS")
        roll_back(self)

    TransactionTestCase._fixture_teardown = restore_the_world
    TestCase._fixture_teardown = check_with_fresh_plans_and_roll_back
    yield
    TransactionTestCase._fixture_teardown = flush
    TestCase._fixture_teardown = roll_back
    with django_db_blocker.unblock():
        _end_sessions_left_open(made)
        try:
            teardown_databases(made, verbosity=verbosity)
        except Exception as exc:  # as pytest-django: a thread's session still open must not fail the last test
            request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))
    fast_hashes.disable()


# ---------------------------------------------------------------- the world, built once per run

# Building the world (a migrated database, then build_world: a thousand regions with their boundaries, 1,500 people) is the
# costliest part of a run's set-up, paid until now by every xdist worker on the same two cores. So the first
# worker builds it once and leaves a copy, and the others start from the copy: PostgreSQL copies a database's
# files with CREATE DATABASE … TEMPLATE, SQLite's online backup API copies pages. A copy holds everything the
# build wrote (the post_migrate content types and permissions, sequences, the append-only triggers, the fast
# hasher's passwords) and nothing else: build_world writes no files outside the database.
WORLD_DIR = "GRIDSAFE_TEST_WORLD_DIR"  # this run's lock and copy, made by the xdist controller


def pytest_configure(config):
    """The controller (or a run without xdist) makes this run's directory before xdist starts the workers, which
    inherit the environment: a fresh one per run, so a copy is never one from an earlier run's code."""
    if not hasattr(config, "workerinput"):
        import tempfile

        os.environ[WORLD_DIR] = tempfile.mkdtemp(prefix="gridsafe-world-")


def pytest_sessionfinish(session):
    """The controller drops the run's PostgreSQL copy once every worker is done (a worker that xdist restarts
    after a crash still finds it), and removes the directory with the SQLite copy."""
    import shutil
    from pathlib import Path

    directory = os.environ.get(WORLD_DIR)
    if hasattr(session.config, "workerinput") or not directory:
        return
    copies = Path(directory) / "copies.json"
    if copies.exists():
        import json

        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        with session.config.stash[blocking_manager_key].unblock():
            for alias, copy in json.loads(copies.read_text()).items():
                connection = connections[alias]
                if connection.vendor == "postgresql":
                    with connection._nodb_cursor() as cursor:
                        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(copy)}")
    shutil.rmtree(directory, ignore_errors=True)


def _databases_with_the_world(config, verbosity: int) -> list:
    """Creates this process's test databases with the world in them; returns what teardown_databases takes.

    Under xdist the workers take turns with a file lock: the first makes its database from the migrated one
    (`migrated_database`) and builds the world as a single process would, then copies it; the others wait and start
    from the copy. If the first fails, the next one builds. A single process needs no copy."""
    import fcntl
    import json
    from pathlib import Path

    from django.db import connections

    from gridsafe.demo.world import build_world

    worker = getattr(config, "workerinput", {})
    directory = os.environ.get(WORLD_DIR)
    if worker.get("workercount", 1) < 2 or not directory:
        made = [
            _database_from(connection, migrated_database(connection.settings_dict)) for connection in connections.all()
        ]
        build_world()
        _analyze(connections)
        return made
    copies = Path(directory) / "copies.json"
    with open(Path(directory) / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if copies.exists():
            return [_database_from(connections[alias], copy) for alias, copy in json.loads(copies.read_text()).items()]
        made = [
            _database_from(connection, migrated_database(connection.settings_dict)) for connection in connections.all()
        ]
        build_world()
        _analyze(connections)
        suffix = f"_{worker['workerid']}"
        saved = {alias: _copy_of(connections[alias], directory, suffix) for alias in connections}
        copies.write_text(json.dumps(saved))
        return made


# ---------------------------------------------------------------- a migrated database, kept between runs

# `migrate` renders Django's model state again after each model it creates: 4-5 s of CPU at the start of every run,
# while the other workers wait for the world, and the deploy-check tests need a migrated PostgreSQL database of
# their own. So a migrated, never used database is kept between runs under a key of everything `migrate` runs
# (`schema_key`), PostgreSQL's on the server and SQLite's in a file in the temporary directory, and test databases
# are copies of it. A change to a migration, to the code they or post_migrate run, or to Django makes a new one.
MIGRATED_PREFIX = "gridsafe_migrated_"
OLDER_PREFIXES = ("gridsafe_check_deploy_template_",)  # the deploy-check tests' own, before this one


def schema_key() -> str:
    """A digest of what a fresh `migrate` runs: every installed app's migration files (Django's and the packages'
    too), the project modules they import, the modules of the post_migrate receivers, and the Django version. Two
    databases migrated under the same key are the same database."""
    import ast
    import hashlib
    import importlib.util
    import inspect
    import sys
    import weakref

    import django
    from django.db.migrations.loader import MigrationLoader
    from django.db.models.signals import post_migrate

    modules = set()
    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        module = sys.modules[type(migration).__module__]
        modules.add(module.__name__)
        for node in ast.walk(ast.parse(inspect.getsource(module))):  # at the top or inside a RunPython function
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
            elif isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
    for _key, receiver, *_ in post_migrate.receivers:
        if isinstance(receiver, weakref.ReferenceType):
            receiver = receiver()
        if receiver is not None:
            modules.add(receiver.__module__)
    digest = hashlib.sha256(django.get_version().encode())
    for name in sorted(modules):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, "rb") as source:
                digest.update(name.encode() + b"\0" + source.read())
    return digest.hexdigest()[:16]


def clean_environment() -> dict:
    """This process's environment without the test run's settings, for a `gridsafe` process of the tests."""
    drop = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last one is set above for Playwright
    return {k: v for k, v in os.environ.items() if not k.startswith("GRIDSAFE_") and k not in drop}


def _gridsafe_migrate(env: dict) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "gridsafe.cli", "migrate", "--noinput", "-v0"],
        env={**clean_environment(), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def postgres_url(settings_dict: dict, name: str) -> str:
    """A database on the server of `settings_dict`, as DATABASE_URL names it."""
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def migrated_database(settings_dict: dict) -> str:
    """A migrated, never used database to copy, on the server (PostgreSQL: its name) or on disk (SQLite: its file),
    made with `gridsafe migrate` in a process of its own if this code's schema_key has none yet, and kept. Under a
    file lock, so the workers of a run (or two runs) make it once; one of an older key is dropped."""
    import fcntl
    import shutil
    import tempfile
    from pathlib import Path

    key = schema_key()
    temporary = Path(tempfile.gettempdir())
    with open(temporary / "gridsafe-migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
            path = temporary / f"{MIGRATED_PREFIX}{key}.sqlite3"
            if not path.exists():
                building = Path(tempfile.mkdtemp(prefix=f"{MIGRATED_PREFIX}building_"))
                try:
                    _gridsafe_migrate({"GRIDSAFE_DATA": str(building)})
                    import sqlite3

                    made = sqlite3.connect(building / "gridsafe.sqlite3")
                    made.execute("PRAGMA journal_mode=DELETE")  # one file, as the copies of the test databases
                    made.close()
                    for older in temporary.glob(f"{MIGRATED_PREFIX}*.sqlite3"):
                        older.unlink()
                    (building / "gridsafe.sqlite3").replace(path)
                finally:
                    shutil.rmtree(building, ignore_errors=True)
            return str(path)
        import psycopg

        name = f"{MIGRATED_PREFIX}{key}"
        with psycopg.connect(postgres_url(settings_dict, "postgres"), autocommit=True) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return name
            building = f"{MIGRATED_PREFIX}building"
            admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')  # left by a run killed while migrating
            admin.execute(f'CREATE DATABASE "{building}"')
            try:
                _gridsafe_migrate({"DATABASE_URL": postgres_url(settings_dict, building)})
            except AssertionError:
                admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                raise
            for (older,) in admin.execute("SELECT datname FROM pg_database").fetchall():
                if older.startswith((MIGRATED_PREFIX, *OLDER_PREFIXES)) and older != building:
                    admin.execute(f'DROP DATABASE IF EXISTS "{older}" WITH (FORCE)')
            admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        return name


def _analyze(connections) -> None:
    """PostgreSQL plans from statistics, and a database filled in one go has none until autovacuum gets to it: the
    planner took the world's tables for near-empty, e.g. one grid worker instead of 613, and probed the user-grid
    links 400,000 times (0.4 s) where a hash join takes 4 ms. A deployed database gets its statistics from
    autovacuum within minutes; the test database gets them here, once, and its copies inherit them."""
    for connection in connections.all():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")


def _end_sessions_left_open(made) -> None:
    """A test's thread (a live server's, a concurrency test's) can keep its PostgreSQL session until the worker
    exits, and DROP DATABASE refuses a database in use: the test database stayed behind, with a warning. End such
    sessions first; this process's own connection is closed, so only leftovers are ended."""
    for connection, _old_name, destroy in made:
        if destroy and connection.vendor == "postgresql":
            name = connection.settings_dict["NAME"]
            connection.close()
            with connection._nodb_cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


def _copy_of(connection, directory: str, suffix: str) -> str:
    """Copies a freshly built test database; returns the copy's name (PostgreSQL) or file (SQLite)."""
    if connection.vendor == "postgresql":
        # Named after the run's test databases (test_gridsafe_gw0 → test_gridsafe_world), not the run, so a copy
        # left by a run that was killed is replaced by the next run instead of piling up.
        name = connection.settings_dict["NAME"].removesuffix(suffix) + "_world"
        quoted = connection.ops.quote_name
        connection.close()  # the source of a TEMPLATE copy must have no sessions
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted(name)}")
            cursor.execute(f"CREATE DATABASE {quoted(name)} TEMPLATE {quoted(connection.settings_dict['NAME'])}")
        return name
    if connection.vendor == "sqlite":
        import sqlite3

        path = os.path.join(directory, f"{connection.alias}.sqlite3")
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        return path
    raise NotImplementedError(f"no world copy for {connection.vendor}")


def _database_from(connection, copy: str) -> tuple:
    """This process's test database, made from the copy instead of migrations and build_world, as Django's
    create_test_db names it (pytest-django's _gw0 … suffix included); returns teardown_databases' entry."""
    from django.conf import settings

    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        name = connection.creation._get_test_db_name()
        quoted = connection.ops.quote_name
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted(name)}")  # left by a killed run, as autoclobber
            cursor.execute(f"CREATE DATABASE {quoted(name)} TEMPLATE {quoted(copy)}")
    else:
        name = connection.creation._create_test_db(verbosity=0, autoclobber=True)  # in memory: just its name
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        source = sqlite3.connect(copy)
        source.backup(connection.connection)
        source.close()
    return (connection, old_name, True)


@pytest.fixture(autouse=True)
def _rate_limits_out_of_the_way(settings):
    """Tests send hundreds of reports and photos a minute as the same few users; the per-minute limits would turn
    them into 429s depending on test order. Tests of the limits set their own rate with override_settings."""
    settings.GRIDSAFE_INTAKE_RATE = "100000/m"
    settings.GRIDSAFE_UPLOAD_RATE = "100000/m"
    settings.GRIDSAFE_ACTION_RATE = "100000/m"


@pytest.fixture(scope="session")
def _audit_checkpoint_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audit-checkpoints")


_checkpoint_files = iter(range(10**9))


@pytest.fixture(autouse=True)
def _audit_checkpoints_of_this_test(settings, _audit_checkpoint_dir):
    """Signed checkpoints anchor rows of the audit and event chains by seq and hash. In the default file
    ($GRIDSAFE_DATA/audit/) they outlived the test database that wrote them, and `audit verify` in a later run (a
    second `make test`, or the PostgreSQL run after the SQLite one) compared them with other rows of the same seq:
    "anchored row … has a different hash". Each test gets its own file, in one directory per process: a tmp_path
    made for each of the 1,700 tests was 1 % of the suite's CPU."""
    settings.GRIDSAFE_AUDIT_CHECKPOINTS = str(_audit_checkpoint_dir / f"checkpoints-{next(_checkpoint_files)}.jsonl")


_rate_windows = iter(range(20_000, 10**9))


@pytest.fixture(autouse=True)
def _rate_windows_pinned(monkeypatch):
    """Rate limits count in fixed wall-clock windows; a test of a 3/m limit that straddled a minute boundary saw its
    count start again and failed by chance. Each test gets its own instant at the start of a day, so every window up
    to a day is fresh and stays put for the test, and no count leaks from one test into the next."""
    from types import SimpleNamespace

    from gridsafe.core import ratelimit

    instant = 86_400 * next(_rate_windows)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: instant))


@pytest.fixture(autouse=True)
def _reference_caches_follow_the_rollback():
    """A test that edits reference data (categories, limits, calendar, regions) invalidates the in-process caches
    in its transaction, and the rollback takes the edit and its version bump away: drop the copies it built."""
    yield
    from gridsafe.accounts.identities import identities
    from gridsafe.core.cache import forget_invalidated

    forget_invalidated()
    identities.forget()  # token lookups kept by this process: their tokens and users were rolled back too


@pytest.fixture
def people(db):
    """The named demo users (nanxi_worker, nanxi, bangtou, county, fire …) by username."""
    from gridsafe.accounts.models import User
    from gridsafe.demo.world import NAMED_USERS

    return {u.username: u for u in User.objects.filter(username__in=[n[0] for n in NAMED_USERS])}


class Api:
    """A test client speaking the API as one user, with a real bearer token."""

    def __init__(self, client, user):
        from datetime import timedelta

        from gridsafe.accounts.models import ApiToken
        from gridsafe.accounts.services import token_hash
        from gridsafe.core import clock

        self.client = client
        self.user = user
        key = uuid.uuid4().hex
        ApiToken.objects.create(key_hash=token_hash(key), user=user, expires_at=clock.now() + timedelta(days=1))
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, body=None, **kwargs):
        # Run after-commit side effects (notifications) as a real commit would.
        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(path, body or {}, content_type="application/json", headers=self.headers, **kwargs)

    def upload(self, path, data):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(path, data, headers=self.headers)

    def act(self, case_id, action, version, **fields):
        body = {"version": version, "request_id": str(uuid.uuid4()), **fields}
        return self.post(f"/api/v1/cases/{case_id}/actions/{action}", body)


@pytest.fixture
def api_as(client, people):
    def make(username):
        return Api(client, people[username])

    return make


# ---------------------------------------------------------------- transactional and browser tests


def pytest_collection_modifyitems(config, items):
    """Browser tests first: they are the longest (10-30 s each), so under pytest-xdist (`make test`: --dist
    worksteal) the short tests fill in at the end instead of one worker waiting out the last browser test. Where they
    run does not matter to the data: every transactional test's teardown puts the world back (`WorldSnapshot`)."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("browser") else 1)


class WorldSnapshot:
    """The demo world as built, kept in memory, put back after every transactional test in place of Django's flush.

    A flush empties every table (PostgreSQL: one TRUNCATE of every table and the post_migrate signal, 2-4 s) and
    `build_world()` then took 4 s on SQLite and 10 s on PostgreSQL, for each of the dozen transactional and browser
    tests. Putting the rows back costs a fraction of a second: on SQLite the online backup API copies a saved
    in-memory database over the test database page by page (schema, rows, sequences). On PostgreSQL only the tables
    the test changed are put back (`_changed`): each is emptied with DELETE in one transaction with the append-only
    guard lifted, and its world rows come back with binary COPY; foreign keys are checked at commit, when the rows
    are back. Putting back all 97 tables took 0.8 s, most of it checking the keys of 20,000 rows nobody had touched.
    Nothing is stored in the test database itself, so `gridsafe backup` and the restore tests see only the
    application's tables. Sequences stay where the test left them, as after a flush."""

    def __init__(self, alias: str, copy, tables: list[str] = ()):
        self.alias = alias  # not the connection object: Playwright's tests tear down in another context (asgiref)
        self.copy = copy
        self.tables = tables
        self.rows: dict[str, int] = {}  # PostgreSQL: each table's row count in the world
        self.next_xid = 0  # PostgreSQL: the first transaction after the world was (put back) in place

    @classmethod
    def take(cls, connection) -> "WorldSnapshot":
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            import sqlite3

            copy = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(copy)
            return cls(connection.alias, copy)
        if connection.vendor == "postgresql":
            copy = {}
            tables = cls._tables(connection)
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                    if cursor.fetchone()[0]:
                        with cursor.cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as stream:
                            copy[table] = b"".join(bytes(block) for block in stream)
            snapshot = cls(connection.alias, copy, tables)
            snapshot.rows = dict(snapshot._counts_and_news(connection, tables=tables, since=0)[0])
            snapshot._mark(connection)
            return snapshot
        raise NotImplementedError(f"no world snapshot for {connection.vendor}")

    @staticmethod
    def _tables(connection) -> list[str]:
        """The tables a flush empties (the models' tables: not django_migrations, not append_only_guard), quoted."""
        names = connection.introspection.django_table_names(only_existing=True, include_views=False)
        return [connection.ops.quote_name(name) for name in sorted(names)]

    def _mark(self, connection) -> None:
        """Rows written from now on carry a transaction id (xmin) from this one on."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296")
            self.next_xid = cursor.fetchone()[0]

    @staticmethod
    def _counts_and_news(connection, *, tables, since: int) -> tuple[list[tuple[str, int]], set[str]]:
        """Each table's row count, and the tables with a row written by a transaction from `since` on (xmin is
        32 bits and wraps: "from since on" is the half of the circle ahead of it). One statement for all tables."""
        newer = f"((xmin::text::bigint - {since} + 4294967296) %% 4294967296) < 2147483648"  # %% : a parameter query
        parts = [f"SELECT %s, count(*), coalesce(bool_or({newer}), false) FROM {table}" for table in tables]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), tables)
            found = cursor.fetchall()
        return [(table, count) for table, count, _ in found], {table for table, _, new in found if new}

    def _changed(self, connection) -> list[str]:
        """The tables whose rows are not the world's: another row count, or a row inserted or updated since the
        world was put in place (its xmin). A delete changes the count; a delete and an insert leave a new xmin."""
        counts, written = self._counts_and_news(connection, tables=self.tables, since=self.next_xid)
        return [table for table, count in counts if count != self.rows.get(table, 0) or table in written]

    def restore(self) -> None:
        from django.db import connections, transaction

        from gridsafe.accounts.identities import identities
        from gridsafe.core import cache

        connection = connections[self.alias]
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            self.copy.backup(connection.connection)
        else:
            changed = self._changed(connection)
            if changed:
                with transaction.atomic(using=self.alias), connection.cursor() as cursor:
                    cursor.execute("UPDATE append_only_guard SET lifted = true WHERE id = 1")
                    for table in changed:
                        cursor.execute(f"DELETE FROM {table}")
                    for table in changed:
                        if table in self.copy:
                            with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as stream:
                                stream.write(self.copy[table])
                    cursor.execute("UPDATE append_only_guard SET lifted = false WHERE id = 1")
                self._mark(connection)  # the rows put back are the world's again
        # The reference caches of this process were built from the test's rows; the version rows went back with
        # the world, so a copy could look current: drop them all.
        for each in cache._all:
            each.forget()
        identities.forget()


@pytest.fixture
def committed_world(transactional_db):
    """For tests that need committed rows (live server, threads): the demo world, committed. The test's teardown
    puts the world back as it was (conftest `WorldSnapshot`), so no test sees another's rows."""
    from gridsafe.accounts.models import User
    from gridsafe.demo.world import NAMED_USERS

    return {u.username: u for u in User.objects.filter(username__in=[n[0] for n in NAMED_USERS])}


class _OneRequestAtATime:
    """WSGI wrapper: the in-memory SQLite test database is one connection shared by every server thread, and
    SQLite answers "database table is locked" when two requests use it at once. Pages load in parallel (the page,
    its data, thumbnails, the notification poll, a service worker's precache), so requests run one at a time
    here. A real server (and the test server on PostgreSQL or a file database) gives each thread its own
    connection."""

    def __init__(self, app):
        import threading

        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return self.app(environ, start_response)


@pytest.fixture
def serial_live_server(committed_world, request):
    """The URL of a live server for browser tests: pytest-django's `live_server`, unless the test database is
    in-memory SQLite, where a live server that takes one request at a time on the shared connection."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread, _MediaFilesHandler

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    if not shared:
        yield request.getfixturevalue("live_server").url
        return

    class SerialThread(LiveServerThread):
        def run(self):
            from django.core.handlers.wsgi import WSGIHandler

            for alias, conn in self.connections_override.items():
                connections[alias] = conn
            try:
                handler = _OneRequestAtATime(self.static_handler(_MediaFilesHandler(WSGIHandler())))
                self.httpd = self._create_server(connections_override=self.connections_override)
                self.port = self.httpd.server_address[1]
                self.httpd.set_app(handler)
                self.is_ready.set()
                self.httpd.serve_forever()
            except Exception as exc:  # reported to the test below
                self.error = exc
                self.is_ready.set()

    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = SerialThread("localhost", StaticFilesHandler, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


@pytest.fixture(scope="session")
def chromium_browser():
    import shutil

    # Debian's chromium-headless-shell first: the same Chromium release as the chromium package, built as the
    # headless shell that Playwright itself runs for headless tests. The full browser in headless mode adds a GPU
    # process and its browser UI layer: the 33 browser tests took 136 s of CPU with it and 88 s with the shell
    # (bench/README.md, "Test suite"). CHROMIUM_PATH=/usr/bin/chromium runs them in the full browser.
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if not path:
        if os.environ.get("GRIDSAFE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (GRIDSAFE_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("Chromium not installed: apt-get install chromium-headless-shell (CI installs it)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=path,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh Chinese-locale page; console errors are collected in page.console_errors."""
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.set_default_timeout(15_000)
    yield page
    context.close()
