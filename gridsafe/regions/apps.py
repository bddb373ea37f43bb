from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "gridsafe.regions"
    label = "regions"
