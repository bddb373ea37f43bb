"""Shared test set-up: the 仙游县 demo world (regions, units, people, catalog, calendar) is built once per test
database, so every test runs against real geometry and the real jurisdiction tree; each test then runs in a
transaction that is rolled back."""

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
def django_db_setup(django_db_setup, django_db_blocker):
    """The world is built once per test database (once per xdist worker) and snapshotted; a transactional test's
    teardown puts the snapshot back instead of flushing (see `WorldSnapshot`), so the next test finds the world."""
    from django.db import connections
    from django.test import TransactionTestCase
    from django.test.utils import override_settings

    from gridsafe.demo.world import build_world

    # Tests sign in and set passwords hundreds of times: MD5 instead of a million PBKDF2 rounds (0.3 s) each time,
    # for the world's users too. PBKDF2 stays listed, so a hash made with the site's default still verifies.
    fast_hashes = override_settings(PASSWORD_HASHERS=[FAST_HASHER, "django.contrib.auth.hashers.PBKDF2PasswordHasher"])
    fast_hashes.enable()
    with django_db_blocker.unblock():
        build_world()
        snapshots = {alias: WorldSnapshot.take(connections[alias]) for alias in connections}

    flush = TransactionTestCase._fixture_teardown

    def restore_the_world(self):
        for alias in self._databases_names(include_mirrors=False):
            snapshots[alias].restore()

    TransactionTestCase._fixture_teardown = restore_the_world
    yield
    TransactionTestCase._fixture_teardown = flush
    fast_hashes.disable()


@pytest.fixture(autouse=True)
def _rate_limits_out_of_the_way(settings):
    """Tests send hundreds of reports and photos a minute as the same few users; the per-minute limits would turn
    them into 429s depending on test order. Tests of the limits set their own rate with override_settings."""
    settings.GRIDSAFE_INTAKE_RATE = "100000/m"
    settings.GRIDSAFE_UPLOAD_RATE = "100000/m"
    settings.GRIDSAFE_ACTION_RATE = "100000/m"


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
    in-memory database over the test database page by page (schema, rows, sequences); on PostgreSQL every model
    table is emptied with DELETE in one transaction with the append-only guard lifted (a TRUNCATE of them all is
    the slow part of a flush; foreign keys are checked at commit, when the world's rows are back), and the world's
    rows come back with binary COPY. Nothing is stored in the test database itself, so `gridsafe backup` and the
    restore tests see only the application's tables. Sequences stay where the test left them, as after a flush."""

    def __init__(self, alias: str, copy):
        self.alias = alias  # not the connection object: Playwright's tests tear down in another context (asgiref)
        self.copy = copy

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
            with connection.cursor() as cursor:
                for table in cls._tables(connection):
                    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                    if cursor.fetchone()[0]:
                        with cursor.cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as stream:
                            copy[table] = b"".join(bytes(block) for block in stream)
            return cls(connection.alias, copy)
        raise NotImplementedError(f"no world snapshot for {connection.vendor}")

    @staticmethod
    def _tables(connection) -> list[str]:
        """The tables a flush empties (the models' tables: not django_migrations, not append_only_guard), quoted."""
        names = connection.introspection.django_table_names(only_existing=True, include_views=False)
        return [connection.ops.quote_name(name) for name in sorted(names)]

    def restore(self) -> None:
        from django.db import connections, transaction

        from gridsafe.accounts.identities import identities
        from gridsafe.core import cache

        connection = connections[self.alias]
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            self.copy.backup(connection.connection)
        else:
            with transaction.atomic(using=self.alias), connection.cursor() as cursor:
                cursor.execute("UPDATE append_only_guard SET lifted = true WHERE id = 1")
                for table in self._tables(connection):
                    cursor.execute(f"DELETE FROM {table}")
                for table, rows in self.copy.items():
                    with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as stream:
                        stream.write(rows)
                cursor.execute("UPDATE append_only_guard SET lifted = false WHERE id = 1")
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

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        if os.environ.get("GRIDSAFE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (GRIDSAFE_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("Chromium not installed: apt-get install chromium (CI installs it)")
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
