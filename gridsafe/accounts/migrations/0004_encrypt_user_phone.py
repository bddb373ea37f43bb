"""Seal phone numbers stored before User.phone was encrypted, and fill their blind index. Batches of 500."""

from django.db import migrations

from gridsafe.core.fields import blind_index


def encrypt_phones(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    last = 0
    while True:
        batch = list(User.objects.exclude(phone="").filter(pk__gt=last).order_by("pk")[:500])
        if not batch:
            break
        for user in batch:
            user.phone_hash = blind_index(user.phone)  # plaintext here: legacy values decrypt to themselves
        User.objects.bulk_update(batch, ["phone", "phone_hash"])  # get_prep_value encrypts
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_security")]
    operations = [migrations.RunPython(encrypt_phones, migrations.RunPython.noop)]
