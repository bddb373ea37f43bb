from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "gridsafe.messaging"
    label = "messaging"
    verbose_name = "消息推送"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gridsafe.cases.hooks import after_case_event
        from gridsafe.messaging.models import ChannelRule, WebhookSubscription
        from gridsafe.messaging.services import wanted_kinds, wants_event
        from gridsafe.messaging.tasks import case_messages

        def changed(**kwargs) -> None:
            wanted_kinds.invalidate()

        for model in (ChannelRule, WebhookSubscription):
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"messaging-wanted-{model.__name__}-save")
            post_delete.connect(
                changed, sender=model, weak=False, dispatch_uid=f"messaging-wanted-{model.__name__}-delete"
            )
        # SMS/WeCom and upward webhooks once the case change has committed (a task: retries never duplicate).
        after_case_event(case_messages.enqueue, wants=wants_event)
