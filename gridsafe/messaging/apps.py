from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "gridsafe.messaging"
    label = "messaging"
    verbose_name = "消息推送"

    def ready(self) -> None:
        from gridsafe.cases.hooks import after_case_event
        from gridsafe.messaging.services import wants_event
        from gridsafe.messaging.tasks import case_messages

        # SMS/WeCom and upward webhooks once the case change has committed (a task: retries never duplicate).
        after_case_event(case_messages.enqueue, wants=wants_event)
