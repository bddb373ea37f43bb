"""Background work of messages out: the task a case event queues after commit, and the worker's tick."""

from datetime import datetime

from gridsafe.core.tasks import task
from gridsafe.messaging.services import deliveries_due, digest_send, messages_for_event
from gridsafe.messaging.webhooks import webhooks_due, webhooks_for_event


@task()
def case_messages(*, event_id: int) -> None:
    """SMS/WeCom deliveries and webhook posts of one case event. Safe to run twice (unique keys)."""
    messages_for_event(event_id=event_id)
    webhooks_for_event(event_id=event_id)


def messaging_tick(now: datetime | None = None) -> dict[str, int]:
    """Called by `gridsafe worker` every interval: retries and deferred messages due, the daily digest, webhook
    retries. Returns what it did, for the worker's log."""
    counts = deliveries_due(now)
    counts["digests"] = digest_send(now)
    counts["webhooks"] = webhooks_due(now)
    return {k: v for k, v in counts.items() if v}
