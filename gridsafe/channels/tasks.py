"""Background work of the channels app: sending one 12345 outbox row (retried by the worker's flush with backoff)."""

from gridsafe.channels.services import hotline
from gridsafe.core.tasks import task


@task()
def hotline_push_send(*, push_id: int) -> None:
    hotline.hotline_push_deliver(push_id=push_id)
