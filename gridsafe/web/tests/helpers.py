"""Cases for page tests, made by the services (never by assigning state), as the people of the demo world."""

import io
import uuid

from django.test import TestCase

from gridsafe.cases.services import ACTION_SERVICES, case_report
from gridsafe.cases.tests.helpers import grid_point


def new_case(worker, *, category="fire-ebike-indoor", description="楼道内有电动车充电", **extra):
    lon, lat = grid_point(worker)
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _ = case_report(
            actor=worker,
            client_id=uuid.uuid4(),
            category_code=category,
            description=description,
            lon=lon,
            lat=lat,
            **extra,
        )
    return case


def act(case, actor, action, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return ACTION_SERVICES[action](
            case=case, actor=actor, expected_version=case.version, request_id=uuid.uuid4(), **kwargs
        )


def jpeg(name="after.jpg", colour=(30, 120, 60)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    buf.seek(0)
    buf.name = name
    return buf
