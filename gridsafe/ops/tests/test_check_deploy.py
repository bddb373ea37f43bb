"""`gridsafe check_deploy` names each unsafe setting and exits non-zero; a production environment passes."""

import os
import subprocess
import sys

import pytest

from conftest import clean_environment, migrated_database
from gridsafe.core.fields import new_key

PG_ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"
PRODUCTION_DB = f"gridsafe_check_deploy_{os.getpid()}"

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


def run(env: dict, command: str = "check_deploy") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridsafe.cli", command, "--skip-accounts"],
        env={**clean_environment(), **env},
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


@pytest.fixture(scope="module")
def production_database():
    """A migrated PostgreSQL database of its own (a copy of conftest's `migrated_database`): the check connects to
    it and looks for unapplied migrations."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("GRIDSAFE_REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({exc})")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PRODUCTION_DB}"')
        template = migrated_database({"ENGINE": "django.db.backends.postgresql", "USER": "root", "HOST": "127.0.0.1"})
        admin.execute(f'CREATE DATABASE "{PRODUCTION_DB}" TEMPLATE "{template}"')
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
        env={**clean_environment(), **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    for role in ("system_admin", "security_admin", "audit_admin"):
        assert f"no active {role} account" in result.stderr, result.stderr
