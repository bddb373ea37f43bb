from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "gridsafe.dashboards"
    label = "dashboards"
