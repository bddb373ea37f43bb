from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gridsafe.web"
    label = "web"
