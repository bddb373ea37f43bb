from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "gridsafe.dashboards"
    label = "dashboards"
    verbose_name = _("Oversight and assessment")

    def ready(self) -> None:
        # Here, not at the top: an AppConfig module is imported before the app registry is ready (models).
        from gridsafe.cases.hooks import on_case_event
        from gridsafe.dashboards.rollups import rollup_apply_event

        # Every case event updates the rollups in the service's own transaction (cases tells; it imports no
        # dashboards code).
        on_case_event(rollup_apply_event)

        from gridsafe.dashboards import downloads

        downloads.register()  # 工作档案 as a background job under 我的下载 (core/jobs.py)
