"""`gridsafe check_deploy` names each unsafe setting and exits non-zero; a production environment passes."""

import os
import subprocess
import sys

from gridsafe.core.fields import new_key

PRODUCTION = {
    "GRIDSAFE_SECRET_KEY": "p" * 20 + new_key() + new_key(),
    "GRIDSAFE_ALLOWED_HOSTS": "gridsafe.xianyou.example",
    "DATABASE_URL": "postgres://root@127.0.0.1:5432/gridsafe_sec",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "GRIDSAFE_TASKS_BACKEND": "rq",
    "GRIDSAFE_S3_BUCKET": "gridsafe-media",
    "GRIDSAFE_HTTPS": "1",
    "GRIDSAFE_PROXY_COUNT": "1",
    "GRIDSAFE_FIELD_KEY": new_key(),
    "GRIDSAFE_AUDIT_KEY": new_key(),
    "GRIDSAFE_2FA_REQUIRED": "1",
}


def run(env: dict) -> subprocess.CompletedProcess:
    drop = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last one is set by conftest for Playwright
    base = {k: v for k, v in os.environ.items() if not k.startswith("GRIDSAFE_") and k not in drop}
    return subprocess.run(
        [sys.executable, "-m", "gridsafe.cli", "check_deploy", "--skip-accounts"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_dev_defaults_are_named_one_by_one():
    result = run({"GRIDSAFE_DEBUG": "1", "GRIDSAFE_ALLOWED_HOSTS": "*"})
    assert result.returncode == 1
    for name in (
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
    ):
        assert name in result.stderr, name


def test_a_production_environment_passes():
    result = run(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no unsafe settings" in result.stdout


def test_one_unsafe_setting_is_enough_to_fail():
    result = run({**PRODUCTION, "GRIDSAFE_SESSION_SECONDS": "7200"})
    assert result.returncode == 1
    assert "GRIDSAFE_SESSION_SECONDS" in result.stderr
