"""导入单位、人员与巡逻队 — the county's organisation from its own XLSX files (templates from `template_*`), the
command line (`gridsafe import units|people|teams FILE.xlsx`) and the admin use the same functions.

Each import reads the whole workbook, checks every row (problems by sheet, row and column, in Chinese), and writes
only when there is none, in one transaction: all or nothing. A dry run stops after the checks. Rows are matched by
their code (units, teams) or account (people), so the same file twice changes nothing and a changed row updates.
People (and units) missing from the file are deactivated only with `deactivate_missing`.

Writes go through the services the admin uses (`unit_save`, `user_save`, `tokens_revoke`), and each run is one
audit row (`import.units` …) naming every row it created, changed or deactivated and which fields changed. Admin
roles (管理员, 系统/安全/审计管理员) are never imported: they are the 安全管理员's decision (三员分立).

Split by concern: `sheets.py` (the workbook format and templates), `units.py`, `people.py` (people and patrol teams).
Callers import from here."""

from gridsafe.accounts.importer.people import import_people, import_teams
from gridsafe.accounts.importer.sheets import (
    MEMBERS,
    PEOPLE,
    ROLE_NAMES,
    TEAMS,
    UNIT_KIND_NAMES,
    UNITS,
    template_people,
    template_teams,
    template_units,
)
from gridsafe.accounts.importer.units import import_units

__all__ = [
    "MEMBERS",
    "PEOPLE",
    "ROLE_NAMES",
    "TEAMS",
    "UNIT_KIND_NAMES",
    "UNITS",
    "import_people",
    "import_teams",
    "import_units",
    "template_people",
    "template_teams",
    "template_units",
]
