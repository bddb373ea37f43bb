from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "gridsafe.cases"
    label = "cases"
