from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridsafe.core"
    label = "core"
    verbose_name = _("Security audit")

    def ready(self) -> None:
        # Here, not at the top: an AppConfig module is imported before the app registry is ready (models).
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from gridsafe.core.appendonly import repair_after_migrate
        from gridsafe.core.middleware import mark_active_at_login

        # A migration that rebuilds an append-only table drops its triggers (SQLite): put them back, loudly.
        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="gridsafe.appendonly")
        user_logged_in.connect(mark_active_at_login, dispatch_uid="gridsafe.active_at_login")
