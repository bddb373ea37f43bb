"""`gridsafe check_deploy` names each unsafe setting and exits non-zero; a production environment passes."""

import os
import subprocess
import sys

import pytest

from gridsafe.core.fields import new_key

PG_ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"
PRODUCTION_DB = f"gridsafe_check_deploy_{os.getpid()}"
TEMPLATE_PREFIX = "gridsafe_check_deploy_template_"

PRODUCTION = {
    "GRIDSAFE_SECRET_KEY": "p" * 20 + new_key() + new_key(),
    "GRIDSAFE_ALLOWED_HOSTS": "gridsafe.xianyou.example",
    "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{PRODUCTION_DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "GRIDSAFE_TASKS_BACKEND": "rq",
    "GRIDSAFE_S3_BUCKET": "gridsafe-media",
    "GRIDSAFE_HTTPS": "1",
    "GRIDSAFE_PROXY_COUNT": "1",
    "GRIDSAFE_FIELD_KEY": new_key(),
    "GRIDSAFE_AUDIT_KEY": new_key(),
    "GRIDSAFE_2FA_REQUIRED": "1",
}


def _base_env() -> dict:
    drop = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last one is set by conftest for Playwright
    return {k: v for k, v in os.environ.items() if not k.startswith("GRIDSAFE_") and k not in drop}


def run(env: dict, command: str = "check_deploy") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridsafe.cli", command, "--skip-accounts"],
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


DEV_DEFAULTS = {"GRIDSAFE_DEBUG": "1", "GRIDSAFE_ALLOWED_HOSTS": "*"}
DEV_PROBLEMS = (
    "GRIDSAFE_DEBUG",
    "GRIDSAFE_SECRET_KEY",
    "GRIDSAFE_ALLOWED_HOSTS has a wildcard",
    "SQLite",
    "GRIDSAFE_TASKS_BACKEND=immediate",
    "GRIDSAFE_MEDIA_BACKED_UP",
    "GRIDSAFE_HTTPS",
    "GRIDSAFE_FIELD_KEY",
    "GRIDSAFE_AUDIT_KEY",
    "REDIS_URL",
)


def _unsafe_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("UNSAFE:")]


@pytest.fixture(scope="module")
def dev_defaults_checked() -> subprocess.CompletedProcess:
    """`gridsafe check_deploy` with the dev defaults, run once for the tests that read it (a process: 2-5 s)."""
    return run(DEV_DEFAULTS)


def test_the_dev_defaults_are_named_one_by_one(dev_defaults_checked):
    result = dev_defaults_checked
    assert result.returncode == 1
    for name in DEV_PROBLEMS:
        assert name in result.stderr, name


def test_the_hyphenated_command_name_runs_the_same_check(dev_defaults_checked):
    """`gridsafe check-deploy` is `gridsafe check_deploy`, not Django's "Unknown command"."""
    hyphen, underscore = run(DEV_DEFAULTS, "check-deploy"), dev_defaults_checked
    assert "Unknown command" not in hyphen.stderr
    assert hyphen.returncode == underscore.returncode == 1
    for name in DEV_PROBLEMS:
        assert name in hyphen.stderr, name
    assert _unsafe_lines(hyphen.stderr) == _unsafe_lines(underscore.stderr) != []


def _schema_key() -> str:
    """What a freshly migrated database is made of: the migrations, the code run after them (post_migrate: the
    append-only triggers) and Django's own. A template migrated from the same key is the same database."""
    import hashlib
    from pathlib import Path

    import django

    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(root.rglob("*.py")):
        text = path.read_bytes()
        if "/migrations/" in path.as_posix() or b"post_migrate" in text:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + text)
    return digest.hexdigest()[:16]


def _migrated_template(admin) -> str:
    """A migrated, never used database to copy (CREATE DATABASE … TEMPLATE, a second), kept on the server between
    runs under its schema key: `migrate` takes 20-30 s, and under pytest-xdist each worker would run it. Made under
    a file lock, so the workers of a run (or two runs) make it once; one of an older schema is dropped."""
    template = f"{TEMPLATE_PREFIX}{_schema_key()}"
    exists = "SELECT 1 FROM pg_database WHERE datname = %s"
    if admin.execute(exists, (template,)).fetchone():
        return template
    building = f"{template}_building"
    admin.execute(f'DROP DATABASE IF EXISTS "{building}"')  # left by a run killed while migrating
    admin.execute(f'CREATE DATABASE "{building}"')
    migrate = subprocess.run(
        [sys.executable, "-m", "gridsafe.cli", "migrate", "--noinput", "-v0"],
        env={**_base_env(), "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{building}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if migrate.returncode != 0:
        admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    assert migrate.returncode == 0, migrate.stderr
    for (name,) in admin.execute("SELECT datname FROM pg_database").fetchall():
        if name.startswith(TEMPLATE_PREFIX) and not name.endswith("_building"):  # an older schema's
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    return template


@pytest.fixture(scope="module")
def production_database():
    """A migrated PostgreSQL database of its own: the check connects to it and looks for unapplied migrations."""
    import fcntl

    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("GRIDSAFE_REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({exc})")
    with admin, open("/tmp/gridsafe-check-deploy-template.lock", "w") as lock:
        admin.execute(f'DROP DATABASE IF EXISTS "{PRODUCTION_DB}"')
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            template = _migrated_template(admin)
            admin.execute(f'CREATE DATABASE "{PRODUCTION_DB}" TEMPLATE "{template}"')
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        try:
            yield
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{PRODUCTION_DB}" WITH (FORCE)')


def test_a_production_environment_passes(production_database):
    result = run(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no unsafe settings" in result.stdout


def test_https_without_the_proxy_count_is_named(production_database):
    """TLS ends at nginx (docs/deploy.md): without GRIDSAFE_PROXY_COUNT every client would be the proxy."""
    result = run({**PRODUCTION, "GRIDSAFE_PROXY_COUNT": "0"})
    assert result.returncode == 1
    assert "GRIDSAFE_PROXY_COUNT" in result.stderr
    assert [line for line in _unsafe_lines(result.stderr) if "GRIDSAFE_PROXY_COUNT" in line]


def test_one_unsafe_setting_is_enough_to_fail(production_database):
    result = run({**PRODUCTION, "GRIDSAFE_SESSION_SECONDS": "7200"})
    assert result.returncode == 1
    assert "GRIDSAFE_SESSION_SECONDS" in result.stderr


def test_the_account_checks_name_missing_administrators(production_database):
    """Without --skip-accounts the check reads the accounts: a fresh database has none of the three administrators."""
    result = subprocess.run(
        [sys.executable, "-m", "gridsafe.cli", "check_deploy"],
        env={**_base_env(), **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    for role in ("system_admin", "security_admin", "audit_admin"):
        assert f"no active {role} account" in result.stderr, result.stderr
