"""`gridsafe open311_key create NAME` prints a new Open311 API key (shown once, stored hashed);
`gridsafe open311_key list`; `gridsafe open311_key revoke NAME`."""

from django.core.management.base import BaseCommand, CommandError

from gridsafe.channels.models import Open311Key
from gridsafe.channels.services.citizen import open311_key_create
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError


class Command(BaseCommand):
    help = "Open311 API keys: create NAME (prints the key once), list, revoke NAME"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("name", nargs="?", default="")

    def handle(self, *args, action, name, **options):
        if action == "list":
            for row in Open311Key.objects.order_by("name"):
                state = "启用" if row.is_active else "已停用"
                self.stdout.write(f"{row.name}\t{row.prefix}…\t{state}\t{row.last_used_at or '-'}")
            return
        if not name:
            raise CommandError("请给出客户端名称")
        if action == "create":
            try:
                row, key = open311_key_create(name=name)
            except DomainError as error:
                raise CommandError(error.detail) from None
            self.stdout.write(f"客户端：{row.name}\nAPI 密钥（只显示这一次，请妥善保存）：\n{key}")
            return
        updated = Open311Key.objects.filter(name=name, is_active=True).update(is_active=False)
        if not updated:
            raise CommandError(f"没有启用中的客户端：{name}")
        audit_record(action="open311.key_revoked", target=f"open311_key:{name}")
        self.stdout.write(f"已停用：{name}")
