from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gridsafe.core"
    label = "core"
    verbose_name = "GridSafe core"
