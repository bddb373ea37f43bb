from django.apps import AppConfig

# psycopg caches how it splits a statement into text and placeholders only for statements of at most 50
# parameters (psycopg._queries.MAX_CACHED_STATEMENT_PARAMS) and re-parses longer ones with a regex on every run.
# The intake's statements have fixed shapes but more parameters (the 60-column case row, the rollup upsert of 10
# cells × 7 values): re-parsing them cost ~0.5 ms of CPU per report (bench/profile_intake.py). The cache is an
# LRU of 128 entries, so a rare statement of another shape only displaces an entry.
PSYCOPG_CACHED_PARAMS = 200


def _widen_psycopg_statement_cache() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # SQLite-only install
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_CACHED_PARAMS) < PSYCOPG_CACHED_PARAMS:
        _queries.MAX_CACHED_STATEMENT_PARAMS = PSYCOPG_CACHED_PARAMS


class CoreConfig(AppConfig):
    name = "gridsafe.core"
    label = "core"
    verbose_name = "GridSafe core"

    def ready(self) -> None:
        # Here, not at the top: an AppConfig module is imported before the app registry is ready (models).
        from django.db.models.signals import post_migrate

        from gridsafe.core.appendonly import repair_after_migrate

        _widen_psycopg_statement_cache()
        # A migration that rebuilds an append-only table drops its triggers (SQLite): put them back, loudly.
        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="gridsafe.appendonly")
