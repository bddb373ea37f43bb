"""The admin: every reference-data page opens for the 系统管理员, edits reach the caches that hold the rows, business
data (cases, events, attachments, places) is not the 系统管理员's and is read-only for the 审计管理员, and every
admin change is an audit row."""

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.forms import CheckboxInput
from django.urls import reverse

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.accounts.routing import default_department_id
from gridsafe.cases.models import Attachment, Case, CaseEvent, Supervision
from gridsafe.catalog.calendar import calendar_seed, current_calendar
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import Category, Domain, TimeLimit, WorkCalendarDay
from gridsafe.core.models import AuditEvent
from gridsafe.places.models import Enterprise, Place, PlaceDeadline, RiskPoint
from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import Region, RegionLevel
from gridsafe.web.tests.test_map import _grid, make_case

MY_APPS = ("accounts", "regions", "catalog", "places", "cases")
READ_ONLY = (Case, CaseEvent, Attachment, Supervision)
# 三员分立: not the 系统管理员's (accounts.admin.BusinessDataAdmin): the cases, the places and their registers.
BUSINESS_DATA = (*READ_ONLY, Place, Enterprise, RiskPoint, PlaceDeadline)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _make_staff(username: str, role: str) -> User:
    user = User(username=username, display_name=username, role=role, is_staff=True)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def as_admin(client, people):
    client.force_login(people["admin"])  # Role.ADMIN: the demo's 系统管理员
    return client


def form_data(response) -> dict:
    """The POST body the change form would send as it stands (main form and inline formsets)."""
    data = {}

    def add(form):
        for field in form:
            if field.field.disabled:
                continue
            value = field.value()
            if isinstance(field.field.widget, CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = "" if value is None else field.field.widget.format_value(value) or ""

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def _audits(action: str, target_prefix: str):
    return AuditEvent.objects.filter(action=action, target__startswith=target_prefix).order_by("-seq", "-id")


# ---------------------------------------------------------------------------------------------- pages


def test_the_system_admin_opens_every_changelist_and_change_page_but_business_data(as_admin):
    registered = [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in MY_APPS]
    assert {m._meta.model_name for m, _ in registered} >= {
        "unit",
        "user",
        "region",
        "domain",
        "category",
        "timelimit",
        "workcalendarday",
        "calendaryear",
        "place",
        "case",
        "caseevent",
        "attachment",
    }
    grid = _grid("泉山村")
    make_case(grid, "red")
    for model, model_admin in registered:
        if model in BUSINESS_DATA:
            assert as_admin.get(_url(model, "changelist")).status_code == 403, model
            obj = model._default_manager.first()
            if obj is not None:  # the test world has no places
                assert as_admin.get(_url(model, "change", obj.pk)).status_code == 403, model
            continue
        response = as_admin.get(_url(model, "changelist"))
        assert response.status_code == 200, (model, response.status_code)
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            assert as_admin.get(_url(model, "change", obj.pk)).status_code == 200, model
        if model not in READ_ONLY and model_admin.has_add_permission(response.wsgi_request):
            assert as_admin.get(_url(model, "add")).status_code == 200, model
    assert "网格安全" in as_admin.get("/admin/").content.decode()


def test_audit_log_is_for_the_audit_admin_only(client, as_admin):
    assert as_admin.get(_url(AuditEvent, "changelist")).status_code == 403
    client.force_login(_make_staff("auditor1", Role.AUDIT_ADMIN))
    assert client.get(_url(AuditEvent, "changelist")).status_code == 200
    assert client.get(_url(Domain, "changelist")).status_code == 403  # 三员分立: the auditor keeps no catalog


def test_staff_who_are_not_system_admins_see_no_reference_data(client, people):
    User.objects.filter(pk=people["county"].pk).update(is_staff=True)
    client.force_login(people["county"])
    for model in (Domain, Category, WorkCalendarDay, Region, Unit, Case):
        assert client.get(_url(model, "changelist")).status_code == 403


# ---------------------------------------------------------------------------------------------- read-only


def test_cases_events_and_attachments_have_no_add_change_or_delete(client, db):
    as_auditor = client  # the one administrator who may read them (read-only, audited)
    as_auditor.force_login(_make_staff("auditor0", Role.AUDIT_ADMIN))
    case = make_case(_grid("泉山村"), "red")
    event = CaseEvent.objects.create(
        case=case, request_id=uuid.uuid4(), kind="case.commented", actor_label="测试", created_at=case.created_at
    )
    request = as_auditor.get(_url(Case, "changelist")).wsgi_request
    for model in BUSINESS_DATA:
        model_admin = admin.site._registry[model]
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert as_auditor.get(_url(model, "add")).status_code == 403
        assert "delete_selected" not in (model_admin.get_actions(request) or {})
    page = as_auditor.get(_url(Case, "change", case.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert as_auditor.post(_url(Case, "change", case.pk), {"description": "改"}).status_code == 403
    assert as_auditor.post(_url(Case, "delete", case.pk), {"post": "yes"}).status_code == 403
    assert as_auditor.post(_url(CaseEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    case.refresh_from_db()
    assert case.description == "测试隐患" and CaseEvent.objects.filter(pk=event.pk).exists()


# ---------------------------------------------------------------------------------------------- calendar


def _weekday_holiday() -> WorkCalendarDay:
    today = date.today()
    return (
        WorkCalendarDay.objects.filter(is_workday=False, source="seed", date__year__gte=today.year - 1)
        .exclude(date__week_day__in=[1, 7])
        .order_by("date")
        .first()
    )


def test_editing_a_calendar_day_makes_it_an_admin_row_and_the_calendar_follows(as_admin, people):
    day = _weekday_holiday()
    assert day is not None and not current_calendar().is_workday(day.date)
    page = as_admin.get(_url(WorkCalendarDay, "change", day.pk))
    data = form_data(page)
    data["is_workday"] = "on"
    data["note"] = "县政府通知：照常上班"
    response = as_admin.post(_url(WorkCalendarDay, "change", day.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    day.refresh_from_db()
    assert (day.is_workday, day.source, day.note) == (True, "admin", "县政府通知：照常上班")
    assert current_calendar().is_workday(day.date)  # the cache was dropped at once

    calendar_seed(years=[day.date.year])  # the next seed leaves the admin's row alone
    day.refresh_from_db()
    assert day.is_workday and day.source == "admin"

    audit = _audits("admin.change", "catalog.workcalendarday:").first()
    assert audit.actor_id == people["admin"].pk
    assert audit.payload["fields"]["is_workday"] == {"old": False, "new": True}


def test_deleting_a_holiday_keeps_the_day_as_usual_against_the_seed(as_admin):
    day = _weekday_holiday()
    response = as_admin.post(_url(WorkCalendarDay, "delete", day.pk), {"post": "yes"})
    assert response.status_code == 302
    kept = WorkCalendarDay.objects.get(date=day.date)
    assert (kept.is_workday, kept.source) == (True, "admin")
    assert current_calendar().is_workday(day.date)
    calendar_seed(years=[day.date.year])
    assert WorkCalendarDay.objects.get(date=day.date).is_workday
    assert _audits("admin.delete", f"catalog.workcalendarday:{day.pk} ").exists()


def test_adding_a_makeup_working_saturday(as_admin):
    saturday = date(2031, 1, 4)
    assert saturday.weekday() == 5
    response = as_admin.post(
        _url(WorkCalendarDay, "add"), {"date": saturday.isoformat(), "is_workday": "on", "note": "调休上班"}
    )
    assert response.status_code == 302
    assert WorkCalendarDay.objects.get(date=saturday).source == "admin"
    assert current_calendar().is_workday(saturday)
    assert _audits("admin.add", "catalog.workcalendarday:").exists()


# ---------------------------------------------------------------------------------------------- limits, units


def test_default_time_limit_edit_reaches_the_deadline_lookup(as_admin):
    row = TimeLimit.objects.filter(category__isnull=True, urgency="normal", step="handle").first()
    category = Category.objects.exclude(time_limits__step="handle", time_limits__urgency="normal").first()
    assert limit_for(category_id=category.pk, urgent=False, step="handle") == (row.amount, row.unit)
    data = form_data(as_admin.get(_url(TimeLimit, "change", row.pk)))
    data["amount"] = "7.50"
    assert as_admin.post(_url(TimeLimit, "change", row.pk), data).status_code == 302
    assert limit_for(category_id=category.pk, urgent=False, step="handle") == (Decimal("7.50"), row.unit)
    changelist = as_admin.get(_url(TimeLimit, "changelist"))
    assert all(obj.category_id is None for obj in changelist.context["cl"].result_list)


def test_category_inline_time_limit_reaches_the_lookup(as_admin):
    category = Category.objects.exclude(time_limits__step="verify").order_by("code").first()
    page = as_admin.get(_url(Category, "change", category.pk))
    data = form_data(page)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-urgency": "normal",
            f"{prefix}-{total}-step": "verify",
            f"{prefix}-{total}-amount": "3",
            f"{prefix}-{total}-unit": "work_days",
        }
    )
    response = as_admin.post(_url(Category, "change", category.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert limit_for(category_id=category.pk, urgent=False, step="verify") == (Decimal("3"), "work_days")
    audit = _audits("admin.change", f"catalog.category:{category.pk} ").first()
    assert audit.payload["inlines"][0]["model"] == "catalog.timelimit" and audit.payload["inlines"][0]["added"]


def test_unit_domains_edit_reaches_the_routing(as_admin):
    township = Region.objects.get(code="350322101")
    lpg = Domain.objects.get(code="lpg")
    safety = Unit.objects.get(code=f"safety-{township.code}")
    construction = Unit.objects.get(code=f"construction-{township.code}")
    path = f"{township.path}.001.001"
    assert default_department_id(region_path=path, level=2, domain_id=lpg.pk, category_department_id=None) == (
        construction.pk
    )
    for unit, add in ((construction, False), (safety, True)):
        data = form_data(as_admin.get(_url(Unit, "change", unit.pk)))
        domains = set(data.get("domains", []))
        domains = domains | {str(lpg.pk)} if add else domains - {str(lpg.pk)}
        data["domains"] = sorted(domains)
        assert as_admin.post(_url(Unit, "change", unit.pk), data).status_code == 302
    assert default_department_id(region_path=path, level=2, domain_id=lpg.pk, category_department_id=None) == (
        safety.pk
    )
    audit = _audits("admin.change", f"accounts.unit:{safety.pk} ").first()
    assert lpg.pk in audit.payload["fields"]["domains"]["new"]
    assert lpg.pk not in audit.payload["fields"]["domains"]["old"]


# ---------------------------------------------------------------------------------------------- regions


def test_region_list_by_level_and_search(as_admin):
    response = as_admin.get(_url(Region, "changelist"), {"level__exact": RegionLevel.TOWNSHIP})
    assert response.context["cl"].result_count == 24  # 18 乡镇(街道) + 6 管委会
    response = as_admin.get(_url(Region, "changelist"), {"q": "泉山村"})
    assert {r.level for r in response.context["cl"].result_list} >= {RegionLevel.VILLAGE}
    assert as_admin.get(_url(Region, "changelist"), {"q": "350322101"}).context["cl"].result_count > 100


def test_region_geometry_edit_is_checked_and_versioned(as_admin):
    grid = _grid("泉山村")
    version, index_version = grid.geometry_version, _index_token()
    url = _url(Region, "change", grid.pk)
    data = form_data(as_admin.get(url))
    lon, lat = grid.center_lon, grid.center_lat
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + 0.001, lat + 0.001], [lon + 0.001, lat], [lon, lat + 0.001], [lon, lat]]],
    }
    data["geometry"] = json.dumps(bow_tie)
    response = as_admin.post(url, data)
    assert response.status_code == 200
    assert "自相交" in str(response.context["adminform"].form.errors["geometry"])

    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - 0.001, lat - 0.001],
                [lon + 0.001, lat - 0.001],
                [lon + 0.001, lat + 0.001],
                [lon - 0.001, lat + 0.001],
                [lon - 0.001, lat - 0.001],
            ]
        ],
    }
    data["geometry"] = json.dumps(square)
    assert as_admin.post(url, data).status_code == 302
    grid.refresh_from_db()
    assert grid.geometry_version == version + 1
    assert grid.geometry["type"] == "Polygon" and len(grid.geometry["coordinates"][0]) == 5
    old, new = grid.geometry_versions.order_by("version")  # the old boundary kept, closed when the new one began
    assert (old.version, new.version, new.geometry, new.valid_to) == (version, version + 1, grid.geometry, None)
    assert old.valid_to == new.valid_from
    assert _index_token() != index_version  # grid_index.invalidate() was called
    audit = _audits("admin.change", f"regions.region:{grid.pk} ").first()
    assert set(audit.payload["fields"]) == {"geometry"}

    data = form_data(as_admin.get(url))
    data["name"] = grid.name + "（改）"
    assert as_admin.post(url, data).status_code == 302
    grid.refresh_from_db()
    assert grid.geometry_version == version + 1  # a rename is not a new boundary


def _index_token():
    from gridsafe.core.cache import read_version

    return read_version(grid_index.name)


def test_grid_autocomplete_offers_only_grids(as_admin):
    response = as_admin.get(
        "/admin/autocomplete/", {"app_label": "accounts", "model_name": "user", "field_name": "grids", "term": "泉山村"}
    )
    assert response.status_code == 200
    ids = [int(r["id"]) for r in response.json()["results"]]
    assert ids and set(Region.objects.filter(pk__in=ids).values_list("level", flat=True)) == {RegionLevel.GRID}


# ---------------------------------------------------------------------------------------------- users


def test_system_admin_edits_unit_and_grids_but_not_the_role(as_admin, people):
    from django.test import Client

    from conftest import Api

    worker = people["nanxi_worker"]
    phone = Api(Client(), worker)  # the worker's phone, signed in through the edit
    assert phone.get("/api/v1/me").json()["unit_name"] == "南溪村网格管理站"
    quanshan_grids = list(Region.objects.filter(parent=_grid("泉山村").parent).order_by("code")[:2])
    url = _url(User, "change", worker.pk)
    data = form_data(as_admin.get(url))
    assert "role" not in data and "is_superuser" not in data  # grants are the 安全管理员's
    data["grids"] = [str(g.pk) for g in quanshan_grids]
    data["unit"] = str(Unit.objects.get(kind=UnitKind.STATION, region=quanshan_grids[0].parent).pk)
    data["role"] = Role.LEADER  # ignored: not a field of this form
    response = as_admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    worker.refresh_from_db()
    assert set(worker.grids.all()) == set(quanshan_grids) and worker.role == Role.GRID_WORKER
    assert phone.get("/api/v1/me").json()["unit_name"] == "泉山村网格管理站"  # at once, not at the next sign-in
    audit = _audits("admin.change", f"accounts.user:{worker.pk} ").first()
    assert set(audit.payload["fields"]) == {"grids", "unit"}

    data["grids"] = [str(quanshan_grids[0].parent_id)]  # a village is not a grid
    response = as_admin.post(url, data)
    assert response.status_code == 200 and "单元网格" in str(response.context["adminform"].form.errors)


def test_security_admin_changes_the_role_through_the_service(client, people):
    security = _make_staff("secadmin1", Role.SECURITY_ADMIN)
    client.force_login(security)
    target = people["nanxi"]
    url = _url(User, "change", target.pk)
    data = form_data(client.get(url))
    assert "unit" not in data  # accounts are the 系统管理员's
    data["role"] = Role.CENTRE_OPERATOR
    assert client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.role == Role.CENTRE_OPERATOR
    assert AuditEvent.objects.filter(action="user.role_changed", target=target.username).exists()
    assert _audits("admin.change", f"accounts.user:{target.pk} ").first().payload["fields"]["role"]["new"] == (
        Role.CENTRE_OPERATOR
    )
    own = form_data(client.get(_url(User, "change", security.pk)))
    assert "role" not in own  # never one's own grants


def test_admin_change_writes_an_audit_event(as_admin, people):
    domain = Domain.objects.get(code="fire")
    before = AuditEvent.objects.count()
    data = form_data(as_admin.get(_url(Domain, "change", domain.pk)))
    data["name"] = "消防安全（含九小场所）"
    assert as_admin.post(_url(Domain, "change", domain.pk), data).status_code == 302
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "admin.change" and event.target.startswith(f"catalog.domain:{domain.pk} ")
    assert event.actor_id == people["admin"].pk and event.seq and event.hash
    assert event.payload == {
        "model": "catalog.domain",
        "fields": {"name": {"old": "消防安全", "new": "消防安全（含九小场所）"}},
    }
    from gridsafe.core.audit import audit_verify

    assert audit_verify().ok  # the admin's rows join the hash chain


def test_calendar_year_unpublish_is_an_admin_decision(as_admin):
    from gridsafe.catalog.models import CalendarYear

    year = CalendarYear.objects.order_by("-year").first()
    data = form_data(as_admin.get(_url(CalendarYear, "change", year.pk)))
    data.pop("published", None)
    assert as_admin.post(_url(CalendarYear, "change", year.pk), data).status_code == 302
    year.refresh_from_db()
    assert (year.published, year.source) == (False, "admin")
    assert year.year not in current_calendar().published_years
    calendar_seed(years=[year.year])
    year.refresh_from_db()
    assert not year.published  # the seed does not re-publish what the admin withdrew


# ---------------------------------------------------------------------------------------------- credentials


def _password_post(client, user, password="Set-By-Admin-2026x"):
    return client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"usable_password": "true", "password1": password, "password2": password},
    )


def test_no_administrator_sets_another_administrators_password(client, people):
    """三员分立: the 系统管理员 and the 安全管理员 cannot take over the 审计管理员 (or each other) by setting a
    password here; the attempt is refused with 403 and leaves an audit row."""
    auditor = _make_staff("auditor2", Role.AUDIT_ADMIN)
    auditor.set_password("Auditor-Own-2026x")
    auditor.save()
    system, security = _make_staff("sysadmin2", Role.SYSTEM_ADMIN), _make_staff("secadmin2", Role.SECURITY_ADMIN)
    for actor, target in ((system, auditor), (security, auditor), (system, security), (security, system)):
        client.force_login(actor)
        before = User.objects.get(pk=target.pk).password
        assert client.get(f"/admin/accounts/user/{target.pk}/password/").status_code == 403
        assert _password_post(client, target).status_code == 403, (actor.username, target.username)
        assert User.objects.get(pk=target.pk).password == before
        refused = _audits("admin.change", f"accounts.user:{target.pk} ").filter(actor=actor, outcome="refused")
        assert refused.exists() and refused.first().payload["fields"] == {"password": "refused"}
    assert User.objects.get(pk=auditor.pk).check_password("Auditor-Own-2026x")
    # The demo's all-round administrator is an administrator too.
    client.force_login(system)
    assert _password_post(client, people["admin"]).status_code == 403


def test_the_admin_cannot_switch_off_another_users_password_either(client, people):
    """三员分立: the password page is one's own only (a reset code replaces someone else's password); switching
    password sign-in off is refused too — deactivation is how an account is stopped."""
    from django.test import Client

    from conftest import Api

    worker = people["nanxi_worker"]
    phone = Api(Client(), worker)
    assert phone.get("/api/v1/me").status_code == 200
    client.force_login(_make_staff("sysadmin5", Role.SYSTEM_ADMIN))
    url = f"/admin/accounts/user/{worker.pk}/password/"
    response = client.post(url, {"usable_password": "false", "unset-password": "禁用基于密码的身份验证"})
    assert response.status_code == 403
    worker.refresh_from_db()
    assert worker.has_usable_password()
    assert phone.get("/api/v1/me").status_code == 200


def test_an_administrator_still_sets_their_own_password(client, db):
    security = _make_staff("secadmin3", Role.SECURITY_ADMIN)
    client.force_login(security)
    assert _password_post(client, security).status_code == 302
    security.refresh_from_db()
    assert security.check_password("Set-By-Admin-2026x")
    from gridsafe.accounts.services import password_expired

    assert not password_expired(security)  # their own choice: no forced change


def test_a_password_set_by_an_administrator_must_be_changed_at_next_login(client, people):
    """Administrators no longer set others' passwords (accounts.resets); an account whose password one set before
    is still sent to the change page and gets no API token until its owner chose one."""
    from django.test import Client

    from gridsafe.accounts.models import ApiToken
    from gridsafe.accounts.services import password_change_required, password_expired

    worker = people["nanxi_worker"]
    old_token = Client().post(
        "/api/v1/auth/token",
        {"username": worker.username, "password": "gridsafe-demo"},
        content_type="application/json",
    )
    assert old_token.status_code == 200
    client.force_login(_make_staff("sysadmin4", Role.SYSTEM_ADMIN))
    assert _password_post(client, worker).status_code == 403
    worker.set_password("Set-By-Admin-2026x")
    worker.save()
    password_change_required(worker)
    worker.refresh_from_db()
    assert worker.check_password("Set-By-Admin-2026x") and password_expired(worker)
    assert not ApiToken.objects.filter(user=worker).exists()  # the old password's tokens are revoked

    page = Client()
    response = page.post("/login/", {"username": worker.username, "password": "Set-By-Admin-2026x"})
    assert response.status_code == 302, response.content.decode()[:1000]
    response = page.get("/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    assert "由管理员设置" in page.get("/account/password/").content.decode()
    api = Client().post(
        "/api/v1/auth/token",
        {"username": worker.username, "password": "Set-By-Admin-2026x"},
        content_type="application/json",
    )
    assert api.status_code == 403 and api.json()["code"] == "password_expired"

    response = page.post(
        "/account/password/",
        {
            "old_password": "Set-By-Admin-2026x",
            "new_password1": "Own-Choice-2026z",
            "new_password2": "Own-Choice-2026z",
        },
    )
    assert response.status_code == 302
    assert page.get("/").status_code == 200  # their own password now: no longer sent to the change page


def test_a_user_added_in_the_admin_has_no_password_until_its_owner_sets_one(as_admin):
    response = as_admin.post(
        _url(User, "add"),
        {
            "username": "newcomer1",
            "usable_password": "true",
            "password1": "Set-By-Admin-2026x",
            "password2": "Set-By-Admin-2026x",
            "display_name": "新人",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert not User.objects.get(username="newcomer1").has_usable_password()  # set with a reset code


def test_deactivating_in_the_admin_revokes_tokens(as_admin, people):
    from conftest import Api
    from gridsafe.accounts.models import ApiToken

    worker = people["nanxi_worker"]
    Api(as_admin, worker)
    url = _url(User, "change", worker.pk)
    data = form_data(as_admin.get(url))
    data.pop("is_active")
    assert as_admin.post(url, data).status_code == 302
    assert not ApiToken.objects.filter(user=worker).exists()


def test_groups_are_not_administered_here():
    from django.contrib.auth.models import Group

    assert Group not in admin.site._registry


def test_the_security_admin_cannot_demote_set_and_restore_an_administrator(client, db):
    """Roles are the 安全管理员's, passwords of others the 系统管理员's: neither alone takes over an account."""
    auditor = _make_staff("auditor5", Role.AUDIT_ADMIN)
    security = _make_staff("secadmin5", Role.SECURITY_ADMIN)
    client.force_login(security)
    url = _url(User, "change", auditor.pk)
    data = form_data(client.get(url))
    data["role"] = Role.GRID_WORKER
    assert client.post(url, data).status_code == 302
    auditor.refresh_from_db()
    assert auditor.role == Role.GRID_WORKER
    assert _password_post(client, auditor).status_code == 403
    assert not User.objects.get(pk=auditor.pk).has_usable_password()
    refused = _audits("admin.change", f"accounts.user:{auditor.pk} ").filter(outcome="refused").first()
    assert refused.payload["reason"] == "use_reset_code"
    # Nor with a reset code: whoever was an administrator recovers their password outside the application.
    url = reverse("admin:accounts_user_reset_code", args=[auditor.pk])
    assert client.post(url, {"delivery": "handover"}).status_code == 403
    assert not User.objects.get(pk=auditor.pk).reset_codes.exists()


def test_the_change_page_says_whose_password_it_is(client, db):
    auditor, system = _make_staff("auditor6", Role.AUDIT_ADMIN), _make_staff("sysadmin6", Role.SYSTEM_ADMIN)
    worker = _make_staff("worker6", Role.GRID_WORKER)
    client.force_login(system)
    assert "其他管理员的密码只能由本人修改" in client.get(_url(User, "change", auditor.pk)).content.decode()
    assert "其他管理员的密码只能由本人修改" not in client.get(_url(User, "change", worker.pk)).content.decode()


def test_a_category_switched_off_in_the_admin_is_refused_for_new_reports(as_admin, api_as):
    """Intake reads categories from a cache (catalog.categories): the admin's save must reach it."""
    from gridsafe.cases.tests.helpers import report

    worker = api_as("nanxi_worker")
    assert report(worker, category="fire-escape-blocked").status_code == 201  # the cache holds it now
    category = Category.objects.get(code="fire-escape-blocked")
    data = form_data(as_admin.get(_url(Category, "change", category.pk)))
    data.pop("is_active", None)  # an unticked checkbox is not sent
    response = as_admin.post(_url(Category, "change", category.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response

    refused = report(worker, category="fire-escape-blocked")

    assert refused.status_code == 422
    assert "隐患类别不存在" in refused.json()["detail"]


def test_admin_forms_refuse_control_characters_and_dates_out_of_the_window(as_admin):
    """core.input's rules in the admin too (issue #12): what an administrator stores is read by everyone's pages."""
    day = _weekday_holiday()
    for field, value in (("note", "县政府\x1b通知"), ("date", "9999-12-31"), ("date", "0001-01-01")):
        data = form_data(as_admin.get(_url(WorkCalendarDay, "change", day.pk)))
        data[field] = value
        response = as_admin.post(_url(WorkCalendarDay, "change", day.pk), data)
        assert response.status_code == 200, (field, value)
        assert field in response.context["adminform"].form.errors
    day.refresh_from_db()
    assert "\x1b" not in day.note and day.date.year > 2000
