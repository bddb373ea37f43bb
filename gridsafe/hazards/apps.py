from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "gridsafe.hazards"
    label = "hazards"
    verbose_name = "重大隐患与企业"
