from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "gridsafe.messaging"
    label = "messaging"
    verbose_name = "消息推送"
