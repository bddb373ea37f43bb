"""Admin for units and users (people.py), and the mixins every GridSafe admin uses (audited.py). Other apps import
the mixins from here; importing this package registers the unit and user admins."""

from gridsafe.accounts.admin.audited import (
    AuditedAdmin,
    AuditedReads,
    BusinessDataAdmin,
    ReadOnlyInline,
    ServiceCheckedForm,
    SystemAdminOnly,
    readable_payload,
)
from gridsafe.accounts.admin.people import UnitAdmin, UserAdmin

__all__ = [
    "AuditedAdmin",
    "AuditedReads",
    "BusinessDataAdmin",
    "ReadOnlyInline",
    "ServiceCheckedForm",
    "SystemAdminOnly",
    "UnitAdmin",
    "UserAdmin",
    "readable_payload",
]
