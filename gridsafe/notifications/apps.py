from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gridsafe.notifications"
    label = "notifications"
