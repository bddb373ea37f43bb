"""No "legacy" audit rows: `audit verify` used to accept any row without a `seq` whose id was below the chain's
first row as "written before the chain existed" — so a row forged with a low (or negative) id passed as history.

This migration adopts the rows that really predate the chain (core/0002): it appends one chained row,
`audit.legacy_adopted`, listing each such row's id with the hash of its content, signed like every chained row.
From here on `audit verify` accepts a row outside the chain only if an adoption row names it with that content."""

from django.db import migrations

from gridsafe.core.audit import adopt_unchained


def adopt(apps, schema_editor):
    adopt_unchained(apps.get_model("core", "AuditEvent"))


class Migration(migrations.Migration):
    dependencies = [("core", "0003_cache_version")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
