"""Responsible persons' phones at rest (domain.md §10, 等保 level 3): sealed in the column whichever way a place is
written (service, field-app edit, demo seeding, the data migration), indexed by a keyed blind index, masked wherever
shown, in full only through the audited reveal."""

import hashlib
import importlib
import json
import uuid

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import TestCase

from conftest import Api
from gridsafe.cases.services import case_report
from gridsafe.core.fields import PREFIX, blind_index
from gridsafe.core.models import AuditEvent
from gridsafe.places.models import Place, PlaceRevision
from gridsafe.places.services import place_create

PHONE = "13900001111"
DATA_MIGRATION = "0004_encrypt_existing_contact_phones"


def _raw(place_id: int) -> tuple[str, str]:
    """What someone reading the database sees: the columns themselves, not what the model decrypts."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone, contact_phone_hash FROM places_place WHERE id = %s", [place_id])
        return cursor.fetchone()


def _raw_row_text(place_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM places_place WHERE id = %s", [place_id])
        return " ".join(str(value) for value in cursor.fetchone())


def _assert_sealed(place_id: int, phone: str) -> None:
    stored, index = _raw(place_id)
    assert stored.startswith(PREFIX), stored
    # Neither the number nor its last eight digits anywhere in the row (fingerprints included).
    assert phone not in _raw_row_text(place_id) and phone[3:] not in _raw_row_text(place_id)
    assert index == blind_index(phone)


def _grid(people):
    return people["nanxi_worker"].grids.order_by("code").first()


def _create_body(grid, **extra) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "name": "陈氏烟花爆竹零售点",
        "kind": "fireworks_seller",
        "domain": "fireworks",
        "lon": grid.center_lon,
        "lat": grid.center_lat,
        "grid_code": grid.code,
        "contact_name": "陈志强",
        "contact_phone": PHONE,
        **extra,
    }


def _patch(api: Api, place_id: int, base_version: int, changes: dict):
    body = {"request_id": str(uuid.uuid4()), "base_version": base_version, "changes": changes}
    return api.client.patch(
        f"/api/v1/field/places/{place_id}", body, content_type="application/json", headers=api.headers
    )


def _service_place(people, phone=PHONE) -> Place:
    grid = _grid(people)
    place, created = place_create(
        actor=people["nanxi_worker"],
        client_id=uuid.uuid4(),
        name="林记液化气供应点",
        kind="lpg_point",
        domain_code="lpg",
        lon=grid.center_lon,
        lat=grid.center_lat,
        grid_code=grid.code,
        contact_name="林建华",
        contact_phone=phone,
    )
    assert created
    return place


def test_a_place_created_through_the_service_holds_no_plaintext_phone(people):
    place = _service_place(people)
    _assert_sealed(place.pk, PHONE)
    assert Place.objects.get(pk=place.pk).contact_phone == PHONE
    # Found by phone only through the blind index (a ciphertext never equals another one).
    assert list(Place.objects.filter(contact_phone_hash=blind_index(f" {PHONE} "))) == [place]


def test_a_place_created_in_the_field_app_is_sealed_shown_masked_and_revealed_with_an_audit_row(client, people):
    worker = Api(client, people["nanxi_worker"])
    body = _create_body(_grid(people))
    created = worker.post("/api/v1/field/places", body)
    assert created.status_code == 201, created.content
    place_id = created.json()["id"]
    _assert_sealed(place_id, PHONE)

    assert created.json()["contact_phone"] == "139****1111" and created.json()["contact_name"] == "陈**"
    assert worker.get(f"/api/v1/field/places/{place_id}").json()["contact_phone"] == "139****1111"
    listed = {p["id"]: p for p in worker.get("/api/v1/field/places").json()["items"]}
    assert listed[place_id]["contact_phone"] == "139****1111"
    synced = worker.get("/api/v1/field/sync").content.decode()
    assert "139****1111" in synced and PHONE not in synced

    revealed = worker.post(f"/api/v1/field/places/{place_id}/contact")
    assert revealed.json() == {"contact_name": "陈志强", "contact_phone": PHONE}
    assert AuditEvent.objects.filter(action="place.contact_revealed", target=f"place:{place_id}").count() == 1

    # An identical resend still lands once; other content under the same id is refused.
    assert worker.post("/api/v1/field/places", body).status_code == 200
    assert worker.post("/api/v1/field/places", {**body, "name": "别的"}).status_code == 409


def _submitted(body: dict, grid, phone: str) -> dict:
    """The create payload as place_create fingerprints it (the source is public: an attacker knows this too)."""
    return dict(
        name=body["name"],
        kind=body["kind"],
        domain=body["domain"],
        lon=body["lon"],
        lat=body["lat"],
        crs="wgs84",
        grid=grid.code,
        address="",
        contact_name=body["contact_name"],
        contact_phone=phone,
        licence_no="",
        risk_level="yellow",
        rental_class="",
    )


def _plain_sha256(data: dict) -> str:
    # The serialisation fingerprints were taken over before core.idempotency (its canonical form is the same here).
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def test_the_stored_create_fingerprint_cannot_be_brute_forced_back_to_the_phone(client, people):
    """The idempotency fingerprint covers the payload, phone included: a plain SHA-256 of it would give the number
    away to anyone with the database and the source, by trying the numbers one by one. It is keyed instead."""
    worker = Api(client, people["nanxi_worker"])
    grid = _grid(people)
    body = _create_body(grid)
    place_id = worker.post("/api/v1/field/places", body).json()["id"]
    stored = Place.objects.get(pk=place_id).client_fingerprint
    guesses = {_plain_sha256(_submitted(body, grid, f"139000011{n:02}")) for n in range(100)}
    assert stored and stored not in guesses


def test_a_resend_of_a_create_fingerprinted_before_the_key_still_lands(client, people):
    """Rows written before fingerprints were keyed hold the plain SHA-256: an offline resend of them is still
    recognised (this also checks that `_submitted` above is the payload the service fingerprints)."""
    worker = Api(client, people["nanxi_worker"])
    grid = _grid(people)
    body = _create_body(grid)
    place_id = worker.post("/api/v1/field/places", body).json()["id"]
    Place.objects.filter(pk=place_id).update(client_fingerprint=_plain_sha256(_submitted(body, grid, PHONE)))
    assert worker.post("/api/v1/field/places", body).status_code == 200
    assert worker.post("/api/v1/field/places", {**body, "name": "别的"}).status_code == 409


def test_a_resend_of_a_create_fingerprinted_under_the_field_key_still_lands(client, people):
    """Rows written before issue #17 hold a fingerprint keyed by the field key (the blind index of the payload): an
    offline resend of them still lands while that key is configured (current or old)."""
    worker = Api(client, people["nanxi_worker"])
    grid = _grid(people)
    body = _create_body(grid)
    place_id = worker.post("/api/v1/field/places", body).json()["id"]
    old = json.dumps(_submitted(body, grid, PHONE), sort_keys=True, ensure_ascii=False, default=str)
    Place.objects.filter(pk=place_id).update(client_fingerprint=blind_index(old))
    assert worker.post("/api/v1/field/places", body).status_code == 200
    assert worker.post("/api/v1/field/places", {**body, "name": "别的"}).status_code == 409


def test_an_edit_of_the_phone_from_the_field_app_is_sealed_and_reindexed(client, people):
    place = _service_place(people)
    worker = Api(client, people["nanxi_worker"])
    response = _patch(worker, place.pk, place.version, {"contact_phone": "137 0000 2222"})
    assert response.status_code == 200, response.content
    assert response.json()["contact_phone"] == "137****2222"
    _assert_sealed(place.pk, "137 0000 2222")
    assert "13700002222" not in _raw_row_text(place.pk)
    assert Place.objects.get(contact_phone_hash=blind_index("137 0000 2222")).pk == place.pk
    assert not Place.objects.filter(contact_phone_hash=blind_index(PHONE)).exists()
    revision = PlaceRevision.objects.get(place=place, version=2)
    assert revision.changes == {"contact_phone": ["***", "***"]}

    # Another field's edit leaves the sealed phone and its index as they were.
    before = _raw(place.pk)
    assert _patch(worker, place.pk, 2, {"address": "榜头镇南溪村9号"}).status_code == 200
    assert _raw(place.pk) == before

    # Cleared: no ciphertext of an empty string, no index.
    assert _patch(worker, place.pk, 3, {"contact_phone": ""}).status_code == 200
    assert _raw(place.pk) == ("", "")
    assert Place.objects.get(pk=place.pk).contact_phone == ""


def test_an_overlong_phone_is_refused_now_that_the_column_no_longer_limits_it(client, people):
    place = _service_place(people)
    response = _patch(Api(client, people["nanxi_worker"]), place.pk, 1, {"contact_phone": "+86 (0594) 123-4567-8"})
    assert response.status_code == 422, response.content
    assert Place.objects.get(pk=place.pk).contact_phone == PHONE


def test_the_case_page_shows_the_place_contact_masked(client, people):
    place = _service_place(people)
    worker = people["nanxi_worker"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _ = case_report(
            actor=worker,
            client_id=uuid.uuid4(),
            category_code="lpg-no-inspection",
            description="液化气钢瓶未检验",
            lon=place.lon,
            lat=place.lat,
            place_id=place.pk,
        )
    client.force_login(people["nanxi"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "林记液化气供应点" in html and "负责人：林** 139****1111" in html
    assert PHONE not in html and "林建华" not in html


def test_demo_seeding_seals_every_phone(db):
    from gridsafe.field.demo import _seed_places

    assert _seed_places(350322) > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, contact_phone, contact_phone_hash FROM places_place")
        rows = cursor.fetchall()
    phones = {p.pk: p.contact_phone for p in Place.objects.all()}
    assert rows and all(stored.startswith(PREFIX) and index == blind_index(phones[pk]) for pk, stored, index in rows)


def _historical_apps():
    return MigrationLoader(connection).project_state(("places", DATA_MIGRATION)).apps


def test_the_data_migration_seals_phones_stored_in_clear_and_can_undo_it(people):
    migration = importlib.import_module(f"gridsafe.places.migrations.{DATA_MIGRATION}")
    legacy = _service_place(people)
    empty = _service_place(people, phone="")
    # As the rows stood before the field was encrypted: the number in clear, no index.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE places_place SET contact_phone = %s, contact_phone_hash = '' WHERE id = %s", [PHONE, legacy.pk]
        )
    assert _raw(legacy.pk) == (PHONE, "")
    legacy = Place.objects.get(pk=legacy.pk)
    assert legacy.contact_phone == PHONE  # still readable before the migration has run

    editor = connection.schema_editor()  # RunPython needs only its connection; not entered (SQLite, atomic test)
    migration.encrypt_contact_phones(_historical_apps(), editor)
    _assert_sealed(legacy.pk, PHONE)
    after = Place.objects.get(pk=legacy.pk)
    assert after.contact_phone == PHONE
    assert (after.version, after.updated_at) == (legacy.version, legacy.updated_at)  # not an edit of the place
    assert _raw(empty.pk) == ("", "")

    sealed = _raw(legacy.pk)
    migration.encrypt_contact_phones(_historical_apps(), editor)  # again: still sealed, the same index
    assert _raw(legacy.pk)[1] == sealed[1] and _raw(legacy.pk)[0].startswith(PREFIX)

    migration.decrypt_contact_phones(_historical_apps(), editor)
    assert _raw(legacy.pk) == (PHONE, "") and _raw(empty.pk) == ("", "")


def test_a_save_of_only_the_phone_moves_its_index_with_it(people):
    place = _service_place(people)
    place.contact_phone = "13700003333"
    place.save(update_fields=["contact_phone"])

    _assert_sealed(place.pk, "13700003333")
    assert Place.objects.get(contact_phone_hash=blind_index("13700003333")).pk == place.pk
    assert not Place.objects.filter(contact_phone_hash=blind_index(PHONE)).exists()


def test_comparing_the_encrypted_phone_is_an_error_not_an_empty_answer(people):
    import pytest
    from django.core.exceptions import FieldError

    place = _service_place(people)
    with pytest.raises(FieldError, match="contact_phone_hash=blind_index"):
        list(Place.objects.filter(contact_phone=PHONE))
    with pytest.raises(FieldError):
        list(Place.objects.filter(contact_phone__contains="1390"))
    # What does make sense still works: empty or not.
    assert place in Place.objects.exclude(contact_phone="")
    assert not Place.objects.filter(pk=place.pk, contact_phone__isnull=True).exists()
