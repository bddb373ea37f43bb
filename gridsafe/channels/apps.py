from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "gridsafe.channels"
    label = "channels"
    verbose_name = "外部渠道"
