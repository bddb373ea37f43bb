from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gridsafe.core"
    label = "core"
    verbose_name = "GridSafe core"

    def ready(self) -> None:
        # Here, not at the top: an AppConfig module is imported before the app registry is ready (models).
        from django.db.models.signals import post_migrate

        from gridsafe.core.appendonly import repair_after_migrate

        # A migration that rebuilds an append-only table drops its triggers (SQLite): put them back, loudly.
        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="gridsafe.appendonly")
