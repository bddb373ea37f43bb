"""Seal the responsible persons' phone numbers stored before Place.contact_phone was encrypted, and fill their blind
index. Each row is saved through the field itself: a legacy plaintext value reads back as itself (core.fields.decrypt
passes it through), the field's pre_save fills contact_phone_hash, get_prep_value encrypts. Saving only these two
columns leaves `version` and `updated_at` alone: nothing about the place changed. Running it again is harmless (a
sealed value is decrypted and sealed anew). Backwards: the plaintext is written back, for the column to become a
varchar again."""

from django.db import migrations

BATCH = 500


def _batches(places):
    last = 0
    while True:
        batch = list(places.exclude(contact_phone="").filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def encrypt_contact_phones(apps, schema_editor):
    Place = apps.get_model("places", "Place")
    db = schema_editor.connection.alias
    for batch in _batches(Place.objects.using(db)):
        for place in batch:
            place.save(using=db, update_fields=["contact_phone", "contact_phone_hash"])


def decrypt_contact_phones(apps, schema_editor):
    Place = apps.get_model("places", "Place")
    quote = schema_editor.quote_name
    table, phone, index = quote(Place._meta.db_table), quote("contact_phone"), quote("contact_phone_hash")
    sql = f"UPDATE {table} SET {phone} = %s, {index} = '' WHERE id = %s"
    with schema_editor.connection.cursor() as cursor:
        for batch in _batches(Place.objects.using(schema_editor.connection.alias)):
            cursor.executemany(sql, [(place.contact_phone, place.pk) for place in batch])


class Migration(migrations.Migration):
    dependencies = [("places", "0003_encrypt_contact_phone")]
    operations = [migrations.RunPython(encrypt_contact_phones, decrypt_contact_phones)]
