"""`gridsafe check_deploy` — name every setting that is unsafe for production, then run Django's
`check --deploy`; exit 1 if anything was found. Run it with the production environment loaded."""

import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from gridsafe.accounts.models import Role, User
from gridsafe.core.appendonly import triggers_missing
from gridsafe.demo.world import DEMO_PASSWORD

DEFAULT_SECRET = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"


def deploy_problems() -> list[str]:
    """Each entry names the setting (or environment variable) and why it is unsafe."""
    problems = []
    s = settings
    if s.DEBUG:
        problems.append("GRIDSAFE_DEBUG is on: tracebacks and settings are shown to anyone")
    if s.SECRET_KEY == DEFAULT_SECRET or len(s.SECRET_KEY) < 50:
        problems.append("GRIDSAFE_SECRET_KEY is the development default (or too short): sessions can be forged")
    if any(host == "*" or host.startswith("*") for host in s.ALLOWED_HOSTS) or not s.ALLOWED_HOSTS:
        problems.append("GRIDSAFE_ALLOWED_HOSTS has a wildcard or is empty: name the site's host names")
    if {"127.0.0.1", "localhost", "testserver", "[::1]"} >= set(s.ALLOWED_HOSTS):
        problems.append("GRIDSAFE_ALLOWED_HOSTS lists only local names: set the public host name")
    if s.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append("DATABASE_URL is not set: SQLite is for a single-machine demo, production uses PostgreSQL")
    if s.TASKS_BACKEND in ("immediate", "dummy"):
        problems.append(f"GRIDSAFE_TASKS_BACKEND={s.TASKS_BACKEND}: use db or rq with a `gridsafe worker`")
    if s.TASKS_BACKEND == "rq" and not s.REDIS_URL:
        problems.append("GRIDSAFE_TASKS_BACKEND=rq without REDIS_URL")
    if not s.REDIS_URL:
        problems.append("REDIS_URL is not set: each worker process counts its own rate limits")
    if not s.GRIDSAFE_S3_BUCKET and not s.GRIDSAFE_MEDIA_BACKED_UP:
        problems.append(
            "media is on the local disk (no GRIDSAFE_S3_BUCKET) and GRIDSAFE_MEDIA_BACKED_UP is not set: "
            "evidence photos would be lost with the disk"
        )
    if not s.GRIDSAFE_HTTPS:
        problems.append("GRIDSAFE_HTTPS is off: passwords and personal data would cross the network in clear text")
    if s.GRIDSAFE_HTTPS and not s.GRIDSAFE_PROXY_COUNT:
        problems.append(
            "GRIDSAFE_HTTPS is on but GRIDSAFE_PROXY_COUNT is 0: behind the TLS proxy every audit row, lockout and "
            "rate limit would see the proxy's address instead of the client's (set it to the number of proxies)"
        )
    if not s.GRIDSAFE_FIELD_KEY:
        problems.append("GRIDSAFE_FIELD_KEY is not set: personal data is encrypted with a key derived from SECRET_KEY")
    if not s.GRIDSAFE_AUDIT_KEY:
        problems.append("GRIDSAFE_AUDIT_KEY is not set: the audit chain is keyed by SECRET_KEY")
    if s.GRIDSAFE_AUDIT_KEY and s.GRIDSAFE_AUDIT_KEY == s.SECRET_KEY:
        problems.append("GRIDSAFE_AUDIT_KEY equals SECRET_KEY: use a separate key")
    if s.GRIDSAFE_PASSWORD_MAX_AGE_DAYS == 0 or s.GRIDSAFE_PASSWORD_MAX_AGE_DAYS > 90:
        problems.append("GRIDSAFE_PASSWORD_MAX_AGE_DAYS is off or above 90: 等保 expects periodic change")
    if s.GRIDSAFE_LOGIN_MAX_FAILURES > 5 or s.GRIDSAFE_LOGIN_LOCK_MINUTES < 10:
        problems.append("login lockout is weaker than ≤ 5 failures / ≥ 10 minutes (GRIDSAFE_LOGIN_*)")
    if not s.GRIDSAFE_2FA_REQUIRED:
        problems.append("GRIDSAFE_2FA_REQUIRED is off: privileged users may sign in without a second factor")
    if s.SESSION_COOKIE_AGE > 30 * 60:
        problems.append("GRIDSAFE_SESSION_SECONDS is above 30 minutes: idle sessions must end")
    problems.extend(_account_problems())
    problems.extend(_append_only_problems())
    return problems


def _append_only_problems() -> list[str]:

    try:
        missing = triggers_missing(connection)
    except DatabaseError as exc:
        return [f"database not reachable or not migrated: {exc}"]
    return [
        f"append-only trigger missing: {name} — timeline/audit rows can be changed or deleted "
        "(run `gridsafe migrate`, which re-creates them)"
        for name in missing
    ]


def _account_problems() -> list[str]:

    try:
        found = []
        if User.objects.filter(is_active=True, is_superuser=True).exists():
            found.append("active superuser accounts exist: 三员分立 wants system/security/audit administrators")
        if User.objects.filter(is_active=True, role=Role.ADMIN).exists():
            found.append(
                "active accounts with the demo role 'admin' exist: use system_admin/security_admin/audit_admin"
            )
        for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
            if not User.objects.filter(is_active=True, role=role).exists():
                found.append(f"no active {role} account: 三员分立 needs all three administrators")
        demo = [
            u.username
            for u in User.objects.filter(is_active=True, username__in=["admin", "nanxi_worker", "county"])
            if u.check_password(DEMO_PASSWORD)
        ]
        if demo:
            found.append(f"demo accounts with the demo password are active: {', '.join(demo)}")
        return found
    except DatabaseError as exc:
        return [f"database not reachable or not migrated: {exc}"]


class Command(BaseCommand):
    help = "Name every unsafe production setting and run `check --deploy`; exit 1 if any is found."
    requires_system_checks: list[str] = []  # handle() runs them all, with the deploy checks: not twice

    def add_arguments(self, parser):
        parser.add_argument("--skip-accounts", action="store_true", help="do not inspect user accounts")

    def handle(self, *args, skip_accounts=False, **options):
        problems = deploy_problems()
        if skip_accounts:
            problems = [p for p in problems if "account" not in p]
        for problem in problems:
            self.stderr.write(f"UNSAFE: {problem}")
        django_failed = False
        try:
            call_command("check", deploy=True, fail_level="WARNING")
        except CommandError as exc:
            self.stderr.write(str(exc))
            django_failed = True
        if problems or django_failed:
            self.stderr.write(
                f"check_deploy: {len(problems)} GridSafe problem(s); Django deploy check "
                f"{'failed' if django_failed else 'passed'}"
            )
            sys.exit(1)
        self.stdout.write("check_deploy: no unsafe settings found")
