from gridsafe.core.tasks import task
from gridsafe.notifications.services import notification_send_for_event


@task()
def case_notify(*, event_id: int) -> None:
    """Write the in-app notifications for one case event. Safe to run twice (unique per user, event, kind)."""
    notification_send_for_event(event_id=event_id, desk_only_too=False)
