"""Re-sealing personal data after a field-key rotation. Who may see a full value, and the audited reveal, are
accounts' (`accounts.personal.personal_data_reveal`); lists and pages show `core.masking` output."""

from django.apps import apps
from django.db import transaction

from gridsafe.core.audit import audit_record
from gridsafe.core.fields import EncryptedCharField, blind_index


def personal_data_reseal(*, batch: int = 500) -> dict[str, int]:
    """After a field-key rotation (GRIDSAFE_FIELD_KEY new, the old one in GRIDSAFE_FIELD_OLD_KEYS): seal every
    encrypted value again under the current key and recompute its blind index, which is keyed by the current key
    too — until this has run, finding a person or place by phone finds nothing. Idempotent; one audit row.
    Returns {"app_label.model.field": rows rewritten}. Afterwards the old key can leave GRIDSAFE_FIELD_OLD_KEYS."""
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedCharField):
                continue
            label = f"{model._meta.label_lower}.{field.name}"
            counts[label] = 0
            rows = model._default_manager.exclude(**{field.name: ""}).exclude(**{f"{field.name}__isnull": True})
            last_pk = None
            while True:
                page = rows.order_by("pk")
                if last_pk is not None:
                    page = page.filter(pk__gt=last_pk)
                chunk = list(page.values_list("pk", field.attname)[:batch])
                if not chunk:
                    break
                with transaction.atomic():
                    for pk, value in chunk:  # decrypted by the field with whichever key sealed it
                        update = {field.attname: value}
                        if field.lookup_field:
                            update[field.lookup_field] = blind_index(value) if value else ""
                        model._default_manager.filter(pk=pk).update(**update)  # sealed again with the current key
                counts[label] += len(chunk)
                last_pk = chunk[-1][0]
    audit_record(action="personal_data.reseal", target="field keys", ip=None, payload=counts)
    return counts
