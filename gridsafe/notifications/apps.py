from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gridsafe.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Here, not at the top: an AppConfig module is imported before the app registry is ready (models).
        from gridsafe.cases.hooks import after_case_event
        from gridsafe.notifications.services import needs_task
        from gridsafe.notifications.tasks import case_notify

        # A case event of a kind that notifies someone queues the task once the service's transaction commits.
        after_case_event(case_notify.enqueue, wants=needs_task)
