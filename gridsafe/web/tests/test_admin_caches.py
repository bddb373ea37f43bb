"""Reference data reaches every process's caches because the services that write it own the invalidation, not
because each admin page remembers to: an admin save of each kind moves the version row every other process
rechecks (core.cache), and that process's copy (a second VersionedCache of the same name) is rebuilt from it."""

import pytest

from gridsafe.accounts.models import Unit, UnitKind, User
from gridsafe.accounts.routing import unit_routing
from gridsafe.catalog.categories import categories
from gridsafe.catalog.models import CalendarYear, Category, Domain, TimeLimit, WorkCalendarDay
from gridsafe.core.cache import VersionedCache, read_version
from gridsafe.regions.models import Region, RegionLevel
from gridsafe.web.tests.test_admin import _url, _weekday_holiday, as_admin, form_data  # noqa: F401

# Which caches an admin save of each model must reach (the identity cache follows routing and the grid index).
REACHES = {
    Domain: {"categories"},
    Category: {"categories", "time_limits"},
    TimeLimit: {"time_limits"},
    WorkCalendarDay: {"calendar"},
    CalendarYear: {"calendar"},
    Region: {"grid_index", "unit_routing", "identities"},
    Unit: {"unit_routing", "identities"},
    User: {"identities"},
}


def _one(model, people):
    if model is TimeLimit:
        return TimeLimit.objects.filter(category__isnull=True).first()
    if model is WorkCalendarDay:
        return _weekday_holiday()
    if model is Region:
        return Region.objects.filter(level=RegionLevel.GRID).first()
    if model is Unit:
        return Unit.objects.filter(kind=UnitKind.DEPARTMENT).first()
    if model is User:
        return people["nanxi_worker"]
    return model.objects.order_by("pk").first()


@pytest.mark.parametrize("model", list(REACHES), ids=lambda m: m.__name__)
def test_an_admin_save_of_each_reference_kind_reaches_the_caches_built_from_it(as_admin, people, model):  # noqa: F811
    obj = _one(model, people)
    assert obj is not None
    url = _url(model, "change", obj.pk)
    before = {name: read_version(name) for name in REACHES[model]}

    response = as_admin.post(url, form_data(as_admin.get(url)))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert {name for name in before if read_version(name) != before[name]} == REACHES[model]


def test_a_domain_renamed_in_the_admin_reaches_another_process_copy_of_the_categories(as_admin):  # noqa: F811
    """The category cache carries each category's domain name; the domain page used to invalidate nothing."""
    other = VersionedCache("categories", categories.build, check_seconds=0)  # another worker's copy
    code, (_, domain_row) = next(iter(other.get().items()))
    domain = Domain.objects.get(pk=domain_row[0])
    url = _url(Domain, "change", domain.pk)
    data = form_data(as_admin.get(url))
    data["name"] = "改名后的领域"

    assert as_admin.post(url, data).status_code == 302

    assert other.get()[code][1][2] == "改名后的领域"


def test_a_unit_switched_off_in_the_admin_leaves_another_process_routing(as_admin):  # noqa: F811
    other = VersionedCache("unit_routing", unit_routing.build, check_seconds=0)
    unit = Unit.objects.filter(kind=UnitKind.DEPARTMENT, is_active=True).first()
    assert unit.pk in other.get().unit_path
    url = _url(Unit, "change", unit.pk)
    data = form_data(as_admin.get(url))
    data.pop("is_active")

    assert as_admin.post(url, data).status_code == 302

    assert unit.pk not in other.get().unit_path
