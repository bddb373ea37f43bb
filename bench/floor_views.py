"""The floor: the least a Django endpoint on the same server can do to take in a case.

No auth, no validation, no locate, no deadline arithmetic, no notification: parse the JSON body, then insert the
case row and its `case_reported` event row (the same columns case_report writes, copied from a template case that
the real service wrote during set-up) in one transaction, through Django's own connection and cursor."""

import json
import os
import threading
import uuid

from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bench import rows

_templates: list[rows.Template] | None = None
_lock = threading.Lock()


def _load() -> list[rows.Template]:
    global _templates
    if _templates is None:
        with _lock:
            if _templates is None:
                ids = [int(i) for i in os.environ["BENCH_TEMPLATE_CASES"].split(",")]
                with connection.cursor() as cursor:
                    _templates = rows.load_templates(cursor, ids)
    return _templates


@csrf_exempt
def floor_case(request):
    body = json.loads(request.body)
    template = _load()[body["t"]]
    client_id = uuid.UUID(body["client_id"])
    with transaction.atomic(), connection.cursor() as cursor:
        case_id = rows.insert_case(
            cursor, template, client_id=client_id, lon=body["lon"], lat=body["lat"], now=timezone.now()
        )
    return JsonResponse({"id": case_id}, status=201)
