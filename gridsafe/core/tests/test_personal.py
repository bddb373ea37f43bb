"""Personal data: masking on display, AES-GCM at rest with a blind index, audited reveal of a full value."""

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection
from django.test import override_settings

from conftest import Api
from gridsafe.accounts.models import User
from gridsafe.accounts.personal import personal_data_reveal
from gridsafe.core import fields
from gridsafe.core.errors import NotPermitted
from gridsafe.core.masking import mask_id, mask_name, mask_phone
from gridsafe.core.models import AuditEvent


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("350322199001011234") == "350322********1234"
    assert mask_name("林小强") == "林**"
    assert mask_name("林强") == "林*"
    assert mask_phone("") == mask_id(None) == mask_name("") == ""
    assert mask_phone("6612345") == "***2345"


def _raw_phone(user_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_hash FROM accounts_user WHERE id = %s", [user_id])
        return cursor.fetchone()


def test_the_phone_is_encrypted_at_rest_and_found_by_its_blind_index(people):
    user = people["nanxi_worker"]
    user.phone = "13812345678"
    user.save()
    stored, lookup = _raw_phone(user.pk)
    assert stored.startswith("gcm1:") and "13812345678" not in stored
    assert lookup == fields.blind_index("13812345678")
    assert User.objects.get(pk=user.pk).phone == "13812345678"
    assert User.objects.get(phone_hash=fields.blind_index(" 13812345678 ")).pk == user.pk
    # Same value, new nonce: ciphertexts never repeat.
    user.save()
    assert _raw_phone(user.pk)[0] != stored


def test_a_ciphertext_moved_to_another_column_does_not_decrypt(db):
    sealed = fields.encrypt("13812345678", context="accounts_user.phone")
    assert fields.decrypt(sealed, context="accounts_user.phone") == "13812345678"
    with pytest.raises(InvalidTag):
        fields.decrypt(sealed, context="places_place.contact_phone")


def test_key_rotation_keeps_old_values_readable(db):
    old_key, new_key = fields.new_key(), fields.new_key()
    try:
        with override_settings(GRIDSAFE_FIELD_KEY=old_key):
            fields.reset_keys()
            sealed = fields.encrypt("350322199001011234", context="t.c")
        with override_settings(GRIDSAFE_FIELD_KEY=new_key, GRIDSAFE_FIELD_OLD_KEYS=[old_key]):
            fields.reset_keys()
            assert fields.decrypt(sealed, context="t.c") == "350322199001011234"
            assert fields.encrypt("x", context="t.c").split(":")[1] == fields.key_id(fields._decode_key(new_key))
        with override_settings(GRIDSAFE_FIELD_KEY=new_key):
            fields.reset_keys()
            with pytest.raises(Exception, match="no field key"):
                fields.decrypt(sealed, context="t.c")
    finally:
        fields.reset_keys()


def test_a_reveal_is_audited_and_refused_to_other_roles(people):
    user = people["nanxi_worker"]
    user.phone = "13812345678"
    user.save()
    assert personal_data_reveal(actor=people["nanxi"], obj=user, field="phone", ip="10.1.1.1") == "13812345678"
    row = AuditEvent.objects.get(action="personal_data.reveal", outcome="success")
    assert row.actor_id == people["nanxi"].pk and row.target == f"accounts.user:{user.pk}.phone"
    with pytest.raises(NotPermitted):
        personal_data_reveal(actor=people["licheng_worker"], obj=user, field="phone", ip=None)
    assert AuditEvent.objects.filter(action="personal_data.reveal", outcome="failure").count() == 1


def test_reveal_through_the_api_stays_in_the_jurisdiction(client, people):
    user = people["nanxi_worker"]
    user.phone = "13812345678"
    user.save()
    response = Api(client, people["nanxi"]).post(f"/api/v1/users/{user.pk}/phone/reveal")
    assert response.status_code == 200
    assert response.json() == {"user_id": user.pk, "phone": "13812345678", "phone_masked": "138****5678"}
    assert Api(client, people["quanshan"]).post(f"/api/v1/users/{user.pk}/phone/reveal").status_code == 404
    assert Api(client, people["licheng_worker"]).post(f"/api/v1/users/{user.pk}/phone/reveal").status_code == 404


def test_resealing_after_a_key_rotation_moves_every_value_and_index_to_the_new_key(people):
    from django.core.management import call_command

    old_key, new_key = fields.new_key(), fields.new_key()
    deployed = fields.current_key()  # the world's own values (the demo people's phones) are sealed with it
    user = people["nanxi_worker"]
    try:
        with override_settings(GRIDSAFE_FIELD_KEY=old_key):
            fields.reset_keys()
            user.phone = "13812345678"
            user.save()
        with override_settings(GRIDSAFE_FIELD_KEY=new_key, GRIDSAFE_FIELD_OLD_KEYS=[old_key, deployed]):
            fields.reset_keys()
            # Rotated but not resealed: still readable, but no longer found by phone.
            assert User.objects.get(pk=user.pk).phone == "13812345678"
            assert not User.objects.filter(phone_hash=fields.blind_index("13812345678")).exists()

            call_command("reseal_personal_data", stdout=open("/dev/null", "w"))

            assert User.objects.get(phone_hash=fields.blind_index("13812345678")).pk == user.pk
            stored, _ = _raw_phone(user.pk)
            assert stored.split(":")[1] == fields.key_id(fields._decode_key(new_key))
        with override_settings(GRIDSAFE_FIELD_KEY=new_key):  # the old key retired
            fields.reset_keys()
            assert User.objects.get(pk=user.pk).phone == "13812345678"
        audit = AuditEvent.objects.filter(action="personal_data.reseal").latest("seq")
        assert audit.payload["accounts.user.phone"] >= 1
    finally:
        fields.reset_keys()


def test_a_save_of_only_a_users_phone_moves_its_index_with_it(people):
    user = people["nanxi_worker"]
    user.phone = "13812345678"
    user.save()
    user.phone = "13900002222"
    user.save(update_fields=["phone"])

    assert User.objects.get(phone_hash=fields.blind_index("13900002222")).pk == user.pk
    assert not User.objects.filter(phone_hash=fields.blind_index("13812345678")).exists()
