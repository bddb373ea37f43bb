from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gridsafe.demo"
    label = "demo"
