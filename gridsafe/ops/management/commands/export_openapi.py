import json

from django.core.management.base import BaseCommand

from gridsafe.api import api


class Command(BaseCommand):
    help = "Print the OpenAPI document of /api/v1/."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=1, sort_keys=True))
