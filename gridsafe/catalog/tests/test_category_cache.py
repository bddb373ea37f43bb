"""Intake reads categories from an in-process cache: a new category is accepted at once (the switch-off through the
admin is in web/tests/test_admin.py)."""

import uuid

from gridsafe.cases.tests.helpers import grid_point
from gridsafe.catalog.models import Category


def _report(api, category):
    lon, lat = grid_point(api.user)
    body = {"client_id": str(uuid.uuid4()), "category": category, "description": "隐患", "lon": lon, "lat": lat}
    return api.post("/api/v1/cases", body)


def test_a_category_added_after_the_cache_was_built_is_accepted(api_as):
    worker = api_as("nanxi_worker")
    assert _report(worker, "fire-ebike-indoor").status_code == 201  # the cache is built now
    template = Category.objects.get(code="fire-ebike-indoor")
    Category.objects.create(code="fire-new-kind", name="新增隐患类别", domain=template.domain, sort=99)

    response = _report(worker, "fire-new-kind")

    assert response.status_code == 201, response.content
    assert response.json()["category_name"] == "新增隐患类别"
