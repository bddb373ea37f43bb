from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "gridsafe.channels"
    label = "channels"
    verbose_name = "外部渠道"

    def ready(self) -> None:
        from gridsafe.cases.hooks import on_case_event
        from gridsafe.channels.services.hotline import hotline_case_event

        # In the case service's transaction: a 12345 case's 办结/退单/延期 is queued with the event that owes it.
        on_case_event(hotline_case_event)
