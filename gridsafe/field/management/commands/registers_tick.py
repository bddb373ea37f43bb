from django.core.management.base import BaseCommand

from gridsafe.core import clock
from gridsafe.field.deadlines import registers_tick


class Command(BaseCommand):
    help = (
        "台账到期提醒：即将到期的许可证/定期检验列入网格员走访任务，已到期未续的立案（每日由 gridsafe worker 运行）。"
    )

    def handle(self, *args, **options):
        result = registers_tick(clock.now())
        self.stdout.write(f"到期提醒 {result['reminded']} 条、到期未续立案 {result['cases']} 件")
