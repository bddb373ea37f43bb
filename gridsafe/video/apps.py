from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "gridsafe.video"
    label = "video"
    verbose_name = "视频监控"
