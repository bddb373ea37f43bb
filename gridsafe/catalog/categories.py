"""Active hazard categories by code, cached in-process (see core.cache): intake looks one up for every report.

A code the cache does not know is looked up in the database once more, so a category added in another process is
found at once (and the cache rebuilt); a switched-off one stops being accepted when the admin's save invalidates the
cache, in every process within `check_seconds`."""

from gridsafe.catalog.models import Category, Domain
from gridsafe.core.cache import VersionedCache
from gridsafe.core.rows import in_model_order


def _attnames(model, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f.attname for f in in_model_order(model, names))  # Model.from_db takes a partial row in this order


_CATEGORY_FIELDS = _attnames(
    Category, ("id", "code", "name", "domain_id", "default_grade", "urgent", "department_id", "is_active")
)
_DOMAIN_FIELDS = _attnames(Domain, ("id", "code", "name"))


def _build() -> dict[str, tuple[tuple, tuple]]:
    rows = Category.objects.filter(is_active=True).values_list(
        *_CATEGORY_FIELDS, *(f"domain__{f}" for f in _DOMAIN_FIELDS)
    )
    n = len(_CATEGORY_FIELDS)
    code = _CATEGORY_FIELDS.index("code")
    return {row[code]: (row[:n], row[n:]) for row in rows}


categories = VersionedCache("categories", _build)


def active_category(code: str) -> Category | None:
    """The active category with this code, its domain loaded (other fields load on first access); None if there is
    none. A fresh instance each call: callers may attach it to a new case."""
    known = categories.get().get(code)
    if known is None:
        category = Category.objects.select_related("domain").filter(code=code, is_active=True).first()
        if category is not None:
            categories.invalidate()  # new since the cache was built: let every process see it
        return category
    category_row, domain_row = known
    category = Category.from_db("default", _CATEGORY_FIELDS, category_row)
    category.domain = Domain.from_db("default", _DOMAIN_FIELDS, domain_row)
    return category


def _build_choices() -> tuple[list[tuple[int, str, str]], list[tuple[str, list[tuple[str, str]]]]]:
    domains = list(Domain.objects.filter(is_active=True).values_list("id", "code", "name"))
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, name, domain_name in Category.objects.filter(is_active=True).values_list("code", "name", "domain__name"):
        grouped.setdefault(domain_name, []).append((code, name))
    return domains, list(grouped.items())


# The forms' and the dashboards' choices, in the models' order (domains by sort, categories by domain and sort).
# Same name as the cache above, so the same invalidation (catalog.services) drops both.
choices = VersionedCache("categories", _build_choices)


def active_domains() -> list[tuple[int, str, str]]:
    """The active domains as (id, code, name), in their order (no query when warm)."""
    return choices.get()[0]


def domain_choices() -> list[tuple[str, str]]:
    """The active domains as form choices (no query when warm)."""
    return [(code, name) for _id, code, name in active_domains()]


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The active categories as form choices grouped by domain name (no query when warm)."""
    return choices.get()[1]
