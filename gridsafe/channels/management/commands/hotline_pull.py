"""`gridsafe hotline_pull`: for a 12345 platform that cannot push, fetch its new work orders and register them
(the same intake as a pushed order; idempotent by 工单编号, so pulling twice is harmless). Run it from a timer."""

from django.core.management.base import BaseCommand, CommandError

from gridsafe.channels.hotline import PushFailed, platform
from gridsafe.channels.services.hotline import hotline_order_receive
from gridsafe.core.errors import DomainError


class Command(BaseCommand):
    help = "Fetch new 12345 work orders from the platform (GRIDSAFE_HOTLINE_ADAPTER) and register them"

    def handle(self, *args, **options):
        adapter = platform()
        try:
            orders = adapter.pull_orders()
        except (PushFailed, ValueError) as exc:
            raise CommandError(f"拉取工单失败：{exc}") from None
        new = 0
        for order in orders:
            try:
                _row, created = hotline_order_receive(order=order, source=adapter)
            except DomainError as error:
                self.stderr.write(f"{order.order_no}: {error.detail}")
                continue
            new += created
        self.stdout.write(f"拉取 {len(orders)} 件，新登记 {new} 件")
