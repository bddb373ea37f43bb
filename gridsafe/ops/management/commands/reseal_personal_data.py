"""`gridsafe reseal_personal_data` — the second half of a field-key rotation (docs/deploy.md)."""

from django.core.management.base import BaseCommand

from gridsafe.core.personal import personal_data_reseal


class Command(BaseCommand):
    help = (
        "Seal every encrypted personal-data value again under GRIDSAFE_FIELD_KEY and rebuild the blind indexes "
        "(run after putting the previous key in GRIDSAFE_FIELD_OLD_KEYS; then that key can be removed)."
    )

    def handle(self, *args, **options):
        for label, count in personal_data_reseal().items():
            self.stdout.write(f"{label}: {count} value(s) sealed again")
