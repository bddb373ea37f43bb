from gridsafe.core.tasks import task


@task()
def case_notify(*, event_id: int) -> None:
    """Write the in-app notifications for one case event. Safe to run twice (unique per user, event, kind)."""
    from gridsafe.notifications.services import notification_send_for_event

    notification_send_for_event(event_id=event_id)
