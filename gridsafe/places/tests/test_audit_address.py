"""The contact reveal's audit row (domain.md §10, 等保 level 3) records the client's real address: behind the
trusted proxy (nginx, GRIDSAFE_PROXY_COUNT=1) it comes from X-Forwarded-For, not the proxy's 127.0.0.1."""

import uuid

from conftest import Api
from gridsafe.core.models import AuditEvent
from gridsafe.field.tests.conftest import make_place
from gridsafe.places.models import PlaceRevision


def test_a_contact_reveal_is_audited_with_the_forwarded_client_address(client, people, settings):
    settings.GRIDSAFE_PROXY_COUNT = 1
    worker = Api(client, people["nanxi_worker"])
    place = make_place(people["nanxi_worker"].grids.order_by("code").first())
    revealed = worker.post(
        f"/api/v1/field/places/{place.pk}/contact", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="127.0.0.1"
    )
    assert revealed.status_code == 200, revealed.content
    assert revealed.json()["contact_phone"] == "13812345678"
    audit = AuditEvent.objects.get(action="place.contact_revealed", target=f"place:{place.pk}")
    assert (audit.actor_id, audit.ip, audit.outcome) == (worker.user.pk, "203.0.113.7", "success")


def test_a_forged_address_left_of_the_proxys_is_not_believed(client, people, settings):
    """The client can send its own X-Forwarded-For; only the entry our one proxy appended (the last) counts."""
    settings.GRIDSAFE_PROXY_COUNT = 1
    worker = Api(client, people["nanxi_worker"])
    place = make_place(people["nanxi_worker"].grids.order_by("code").first())
    worker.post(f"/api/v1/field/places/{place.pk}/contact", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert AuditEvent.objects.get(action="place.contact_revealed", target=f"place:{place.pk}").ip == "203.0.113.7"


def test_a_place_edit_records_the_forwarded_client_address_on_its_revision(client, people, settings):
    """The edit history (PlaceRevision) says where each edit came from, as the case timeline does."""
    settings.GRIDSAFE_PROXY_COUNT = 1
    station = Api(client, people["nanxi"])
    place = make_place(people["nanxi_worker"].grids.order_by("code").first())
    edited = client.patch(
        f"/api/v1/field/places/{place.pk}",
        {"request_id": str(uuid.uuid4()), "base_version": 1, "changes": {"risk_level": "red"}},
        content_type="application/json",
        headers={**station.headers, "X-Forwarded-For": "203.0.113.7"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert edited.status_code == 200, edited.content
    revision = PlaceRevision.objects.get(place=place)
    assert (revision.actor_id, revision.version, revision.ip) == (station.user.pk, 2, "203.0.113.7")
    assert "ip" not in edited.json()
