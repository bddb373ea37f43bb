"""Which unit holds a case at each tier: the village station, the township centre, the county centre, and the
departments by domain. Small reference data, cached in-process (see core.cache)."""

from dataclasses import dataclass, field

from gridsafe.accounts.models import Unit, UnitKind
from gridsafe.core.cache import VersionedCache
from gridsafe.regions.models import Region


@dataclass
class _Routing:
    tier_unit: dict[str, int] = field(default_factory=dict)  # region path → station/centre unit id
    command_unit: dict[str, int] = field(default_factory=dict)  # township path → 专项整治指挥部 unit id
    departments: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (region path, domain id) → units
    unit_path: dict[int, str] = field(default_factory=dict)
    unit_name_kind: dict[int, tuple[str, str]] = field(default_factory=dict)


def _build() -> _Routing:
    routing = _Routing()
    units = Unit.objects.filter(is_active=True).select_related("region").prefetch_related("domains")
    for unit in units:
        routing.unit_path[unit.pk] = unit.region.path
        routing.unit_name_kind[unit.pk] = (unit.name, unit.kind)
        if unit.kind in (UnitKind.STATION, UnitKind.CENTRE):
            routing.tier_unit[unit.region.path] = unit.pk
        elif unit.kind == UnitKind.COMMAND:
            routing.command_unit[unit.region.path] = unit.pk
        elif unit.kind == UnitKind.DEPARTMENT:
            for domain in unit.domains.all():
                routing.departments.setdefault((unit.region.path, domain.pk), []).append(unit.pk)
    return routing


unit_routing = VersionedCache("unit_routing", _build, follows=("grid_index",))  # a unit's region path


def tier_path(region_path: str, level: int) -> str:
    """The path of the ancestor at a case level: 1 village, 2 township, 3 county."""
    parts = region_path.split(".")
    return ".".join(parts[: 4 - level])


def tier_unit_id(region_path: str, level: int) -> int | None:
    return unit_routing.get().tier_unit.get(tier_path(region_path, level))


def command_unit_id(region_path: str) -> int | None:
    return unit_routing.get().command_unit.get(tier_path(region_path, 2))


def default_department_id(*, region_path: str, level: int, domain_id: int, category_department_id: int | None):
    """The department a centre dispatches to: the category's county department at the county, the township's own
    unit for the domain (安监站, 村建站 …) at a township."""
    if level >= 3 and category_department_id:
        return category_department_id
    candidates = unit_routing.get().departments.get((tier_path(region_path, level), domain_id), [])
    return candidates[0] if candidates else None


def unit_loaded(unit_id: int) -> Unit:
    """The unit with its id, name and kind from the routing cache; other fields load on first access."""
    name, kind = unit_routing.get().unit_name_kind[unit_id]
    return Unit.from_db("default", ["id", "name", "kind"], [unit_id, name, kind])


def unit_region_path(unit_id: int) -> str | None:
    return unit_routing.get().unit_path.get(unit_id)


def region_level_of_path(path: str) -> int:
    return len(path.split("."))


__all__ = ["Region", "command_unit_id", "default_department_id", "tier_unit_id", "unit_routing"]
