from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "gridsafe.field"
    label = "field"
