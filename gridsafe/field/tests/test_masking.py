"""Masking of personal data on display (domain.md §10): 138****5678, 林*; full values only through an audited reveal."""

import pytest

from gridsafe.core.masking import mask_id, mask_name, mask_phone
from gridsafe.core.models import AuditEvent
from gridsafe.places.masking import is_masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("0594-7654321", "059****4321"),
        ("7654321", "***4321"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_phone_mask(phone, masked):
    assert mask_phone(phone) == masked


def test_name_and_id_masks():
    assert mask_name("林强") == "林*"
    assert mask_name("欧阳明华") == "欧***"
    assert mask_id("350322199001011234") == "350322********1234"
    assert is_masked("138****5678") and not is_masked("13812345678")


def test_places_api_masks_contacts_and_reveal_is_audited(api_as, field_world):
    worker = api_as("nanxi_worker")
    listed = worker.get("/api/v1/field/places").json()["items"]
    lpg = next(p for p in listed if p["id"] == field_world["lpg"].pk)
    assert lpg["contact_phone"] == "138****5678" and lpg["contact_name"] == "林**"
    assert "13812345678" not in str(worker.get("/api/v1/field/sync").content, "utf-8")

    revealed = worker.post(f"/api/v1/field/places/{field_world['lpg'].pk}/contact")
    assert revealed.status_code == 200, revealed.content
    assert revealed.json() == {"contact_name": "林建华", "contact_phone": "13812345678"}
    audit = AuditEvent.objects.get(action="place.contact_revealed", target=f"place:{field_world['lpg'].pk}")
    assert audit.actor_id == worker.user.pk and audit.outcome == "success"


def test_a_masked_phone_sent_back_unchanged_does_not_overwrite_the_real_one(api_as, field_world):
    worker = api_as("nanxi_worker")
    place = field_world["lpg"]
    response = worker.client.patch(
        f"/api/v1/field/places/{place.pk}",
        {
            "request_id": "6a3f0b9c-1e42-4c55-9d1e-2b7e4d7c8f0a",
            "base_version": 1,
            "changes": {"contact_phone": "138****5678", "address": "榜头镇南溪村9号"},
        },
        content_type="application/json",
        headers=worker.headers,
    )
    assert response.status_code == 200, response.content
    place.refresh_from_db()
    assert place.contact_phone == "13812345678" and place.address == "榜头镇南溪村9号"
