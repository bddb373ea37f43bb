"""`gridsafe video_gateway create NAME [--unit CODE]` prints a new gateway's id and secret (shown once);
`gridsafe video_gateway list` lists the gateways."""

from django.core.management.base import BaseCommand, CommandError

from gridsafe.core.errors import DomainError
from gridsafe.video.models import VideoGateway
from gridsafe.video.services import gateway_create


class Command(BaseCommand):
    help = "视频网关：create NAME 创建网关并打印其编号与签名密钥；list 列出网关。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="创建网关，打印网关编号和签名密钥（只显示这一次）")
        create.add_argument("name")
        create.add_argument("--unit", default=None, help="立案账号所属网格化中心的单位编码（默认县网格化中心）")
        sub.add_parser("list", help="列出网关")

    def handle(self, *args, action, **options):
        if action == "list":
            for g in VideoGateway.objects.order_by("pk"):
                self.stdout.write(f"{g.key}\t{g.name}\t{'启用' if g.is_active else '停用'}")
            return
        try:
            gateway, secret = gateway_create(name=options["name"], unit_code=options["unit"])
        except DomainError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"gateway_id: {gateway.key}")
        self.stdout.write(f"secret: {secret}")
        self.stderr.write(
            "签名密钥只显示这一次，请妥善配置到网关（请求头 X-GridSafe-Gateway / X-GridSafe-Signature）。"
        )
