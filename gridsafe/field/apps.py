from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "gridsafe.field"
    label = "field"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        import gridsafe.field.checklists.admin  # noqa: F401  (registers the checklists' read-only admin)
        from gridsafe.field.checklists.guard import reinstall_after_migrate

        # SQLite drops a table's triggers when a migration rebuilds it: put the checklist guard back every time.
        post_migrate.connect(reinstall_after_migrate, sender=self, dispatch_uid="gridsafe.field.checklist_guard")
