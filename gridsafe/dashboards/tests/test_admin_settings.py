"""The county's settings in the admin, without a shell: KPI weights, inspection cadence, information-report quotas,
time limits, the working calendar and the category → department routing. Each change is saved, is an audit row
naming who changed what from what to what, and takes effect (the next score, compliance count, deadline or
dispatch uses it); bad input gives a Chinese error on the page and changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from gridsafe.accounts.models import Role, Unit, UnitKind, User
from gridsafe.cases.models import Case
from gridsafe.catalog.limits import limit_for
from gridsafe.catalog.models import CalendarYear, Category, DepartmentRouting, TimeLimit, WorkCalendarDay
from gridsafe.core.models import AuditEvent
from gridsafe.dashboards import config
from gridsafe.dashboards.inforeports import responsible_units
from gridsafe.dashboards.models import CadenceRule, KpiWeight, ReportQuota
from gridsafe.dashboards.services import kpi_weights_check
from gridsafe.web.tests.test_admin import form_data


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def as_admin(client, people, settings):
    settings.GRIDSAFE_2FA_REQUIRED = False
    client.force_login(people["admin"])  # the demo's 系统管理员
    return client


def _audits(model, obj=None):
    rows = AuditEvent.objects.filter(action__in=("admin.change", "admin.add", "admin.delete"))
    rows = rows.filter(payload__model=model._meta.label_lower)
    if obj is not None:
        rows = rows.filter(target__startswith=f"{model._meta.label_lower}:{obj.pk} ")
    return rows.order_by("seq", "id")


def _errors(response) -> str:
    """The error texts a page shows (form, inline and list errors)."""
    from lxml import html

    tree = html.fromstring(response.content.decode())
    return " ".join(n.text_content().strip() for n in tree.xpath("//*[contains(@class,'errorlist')]/li"))


def _list_data(response) -> dict:
    """The POST body of a changelist's list-editable form as it stands."""
    formset = response.context["cl"].formset
    data = {"_save": "保存"}
    for field in formset.management_form:
        data[field.html_name] = field.value()
    for form in formset.forms:
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else str(getattr(value, "pk", value))
    return data


def _row_index(response, obj) -> int:
    return next(i for i, form in enumerate(response.context["cl"].formset.forms) if form.instance.pk == obj.pk)


# ---------------------------------------------------------------------------------------------- KPI weights


def test_every_profiles_default_weights_add_up_to_100(db):
    """The admin refuses a profile whose weights do not add up to 100 %: the defaults must pass its own check, or
    the first save of any weight of that profile is refused."""

    def totals() -> dict[str, Decimal]:
        sums: dict[str, Decimal] = {}
        for weight in KpiWeight.objects.all():
            sums[weight.profile] = sums.get(weight.profile, Decimal(0)) + weight.weight
        return sums

    assert totals() == {"region": 100, "department": 100, "grid_worker": 100}  # as the migrations left them
    KpiWeight.objects.all().delete()
    config.ensure_defaults()  # a database whose rows were removed gets the defaults back
    assert totals() == {"region": 100, "department": 100, "grid_worker": 100}
    kpi_weights_check(KpiWeight.objects.all())  # raises ValidationFailed naming a profile that is off


def test_kpi_weights_change_together_audited_and_used_by_the_next_score(as_admin, people):
    config.ensure_defaults()
    rows = {w.kpi: w for w in KpiWeight.objects.filter(profile="region")}
    assert sum(w.weight for w in rows.values()) == 100
    url = _url(KpiWeight, "changelist") + "?profile__exact=region"
    page = as_admin.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "按期结案率" in text and "closure_on_time" not in text.split('id="result_list"')[1].split("</table>")[0]
    data = _list_data(page)
    closure, on_time = rows["closure_rate"], rows["closure_on_time"]
    data[f"form-{_row_index(page, closure)}-weight"] = "25"
    data[f"form-{_row_index(page, on_time)}-weight"] = "45"
    response = as_admin.post(url, data)
    assert response.status_code == 302, _errors(response)

    weights = {w.kpi: w.weight for w in config.weights_for("region")}
    assert weights["closure_rate"] == Decimal(25) and weights["closure_on_time"] == Decimal(45)
    audit = _audits(KpiWeight, closure).last()
    assert audit.actor == people["admin"] and audit.action == "admin.change"
    assert audit.payload["fields"]["weight"] == {"old": "30.00", "new": "25"} or audit.payload["fields"]["weight"][
        "new"
    ] in ("25", "25.00", 25)
    assert Decimal(str(audit.payload["fields"]["weight"]["old"])) == Decimal(30)
    assert _audits(KpiWeight, on_time).exists()


def test_kpi_weights_that_do_not_add_up_are_refused_in_chinese(as_admin):
    config.ensure_defaults()
    closure = KpiWeight.objects.get(profile="region", kpi="closure_rate")
    url = _url(KpiWeight, "changelist") + "?profile__exact=region"
    page = as_admin.get(url)
    data = _list_data(page)
    data[f"form-{_row_index(page, closure)}-weight"] = "35"
    response = as_admin.post(url, data)
    assert response.status_code == 200
    assert "合计须为 100%，现为 105%" in _errors(response)
    closure.refresh_from_db()
    assert closure.weight == 30 and not _audits(KpiWeight).exists()

    # The change page alone cannot break the sum either, and out-of-range or unreadable input is named.
    page = as_admin.get(_url(KpiWeight, "change", closure.pk))
    for weight, bands, message in (("31", "", "合计须为 100%"), ("-1", "", "权重须在 0 到 100 之间")):
        data = form_data(page)
        data.update(weight=weight, bands=bands)
        response = as_admin.post(_url(KpiWeight, "change", closure.pk), data)
        assert response.status_code == 200 and message in _errors(response), _errors(response)
    closure.refresh_from_db()
    assert closure.weight == 30 and not _audits(KpiWeight).exists()


def test_count_bands_are_edited_as_text_and_checked(as_admin):
    config.ensure_defaults()
    filing = KpiWeight.objects.get(profile="region", kpi="filing_count")
    page = as_admin.get(_url(KpiWeight, "change", filing.pk))
    assert "0.5:100；3:90；5:75；7:60；9:40；以上:0" in page.content.decode()
    data = form_data(page)
    data["bands"] = "1:100；4:80；以上:20"
    response = as_admin.post(_url(KpiWeight, "change", filing.pk), data)
    assert response.status_code == 302, _errors(response)
    filing.refresh_from_db()
    assert filing.bands == [[1, 100], [4, 80], [None, 20]]
    terms = {w.kpi: w for w in config.weights_for("region")}
    assert terms["filing_count"].bands == [[1, 100], [4, 80], [None, 20]]
    assert _audits(KpiWeight, filing).last().payload["fields"]["bands"]["new"] == [[1, 100], [4, 80], [None, 20]]

    for bands, message in (
        ("4:80；1:100；以上:20", "分档上限须逐档增大"),
        ("1:100；4:80", "最后一档须为“以上”"),
        ("一百", "应写成“上限:分值”"),
        ("1:120；以上:0", "每档分值须在 0 到 100 之间"),
    ):
        data["bands"] = bands
        response = as_admin.post(_url(KpiWeight, "change", filing.pk), data)
        assert response.status_code == 200 and message in _errors(response), (bands, _errors(response))
    filing.refresh_from_db()
    assert filing.bands == [[1, 100], [4, 80], [None, 20]]


# ---------------------------------------------------------------------------------------------- cadence


def test_cadence_rule_change_is_audited_and_counts_in_compliance(as_admin, people):
    from gridsafe.dashboards.inspections import compliance
    from gridsafe.regions.models import Region

    config.ensure_defaults()
    rule = CadenceRule.objects.get(region_level=2, kind="inspection")
    county = Region.objects.get(code="350322")
    start, end = date(2026, 11, 2), date(2026, 11, 29)  # four whole weeks, over

    def needed():
        summary = compliance(county, start, end)["summary"]
        return next(s for s in summary if s["level"] == 2 and s["kind"] == "inspection")

    before = needed()
    assert "每周1次" in before["rule"]
    data = form_data(as_admin.get(_url(CadenceRule, "change", rule.pk)))
    data.update(times="2", cadence="month")
    response = as_admin.post(_url(CadenceRule, "change", rule.pk), data)
    assert response.status_code == 302, _errors(response)
    after = needed()
    assert "每月2次" in after["rule"] and after["due"] < before["due"]
    audit = _audits(CadenceRule, rule).last()
    assert audit.actor == people["admin"]
    assert audit.payload["fields"]["times"] == {"old": 1, "new": 2}
    assert audit.payload["fields"]["cadence"] == {"old": "week", "new": "month"}
    listing = as_admin.get(_url(CadenceRule, "changelist")).content.decode()
    assert "乡镇(街道)" in listing and "每月" in listing


def test_overlapping_or_empty_cadence_rules_are_refused(as_admin):
    config.ensure_defaults()
    count = CadenceRule.objects.count()
    page = as_admin.get(_url(CadenceRule, "add"))
    data = form_data(page)
    data.update(region_level="2", kind="inspection", cadence="week", times="1", title="另一条乡镇检查", is_active="on")
    response = as_admin.post(_url(CadenceRule, "add"), data)
    assert response.status_code == 200
    assert "乡镇(街道)级已有“领导带队检查”频次规则" in _errors(response)
    rule = CadenceRule.objects.get(region_level=3, kind="meeting")
    data = form_data(as_admin.get(_url(CadenceRule, "change", rule.pk)))
    data["times"] = "0"
    response = as_admin.post(_url(CadenceRule, "change", rule.pk), data)
    assert "每个周期的次数须在 1 到 31 之间" in _errors(response)
    rule.refresh_from_db()
    assert rule.times == 1 and CadenceRule.objects.count() == count and not _audits(CadenceRule).exists()


# ---------------------------------------------------------------------------------------------- report quotas


def test_report_quota_change_is_audited_and_sets_the_monthly_minimum(as_admin, people):
    config.ensure_defaults()
    quota = ReportQuota.objects.get(unit_kind="centre", region_level=2)
    bangtou = people["bangtou"].unit
    assert dict(responsible_units())[bangtou] == 2
    data = form_data(as_admin.get(_url(ReportQuota, "change", quota.pk)))
    data["minimum"] = "3"
    response = as_admin.post(_url(ReportQuota, "change", quota.pk), data)
    assert response.status_code == 302, _errors(response)
    assert dict(responsible_units())[bangtou] == 3
    audit = _audits(ReportQuota, quota).last()
    assert audit.actor == people["admin"] and audit.payload["fields"]["minimum"] == {"old": 2, "new": 3}
    listing = as_admin.get(_url(ReportQuota, "changelist")).content.decode()
    assert "乡镇(街道)网格化中心：每月至少 3 篇" in listing


def test_duplicate_or_zero_report_quotas_are_refused(as_admin):
    config.ensure_defaults()
    data = form_data(as_admin.get(_url(ReportQuota, "add")))
    data.update(unit_kind="centre", region_level="2", minimum="4")
    response = as_admin.post(_url(ReportQuota, "add"), data)
    assert response.status_code == 200 and "乡镇(街道)级的网格化中心已有报送要求" in _errors(response)
    data.update(unit_kind="station", region_level="3", minimum="0")
    response = as_admin.post(_url(ReportQuota, "add"), data)
    assert response.status_code == 200 and "每月最少篇数须在 1 到 50 之间" in _errors(response)
    assert ReportQuota.objects.count() == 2 and not _audits(ReportQuota).exists()


# ---------------------------------------------------------------------------------------------- time limits


def _village_review_row(category: Category) -> TimeLimit:
    urgency = "urgent" if category.urgent else "normal"
    own = TimeLimit.objects.filter(category=category, urgency=urgency, step="review_village").first()
    return own or TimeLimit.objects.get(category__isnull=True, urgency=urgency, step="review_village")


def test_a_changed_time_limit_sets_the_deadline_of_the_next_case(as_admin, flow, people):
    category = Category.objects.get(code="fire-ebike-indoor")
    row = _village_review_row(category)
    before = flow.report()
    assert before.due_at is not None
    url = _url(TimeLimit, "change", row.pk) if row.category_id is None else None
    assert url, "the demo's category has no village-review limit of its own: the default row applies"
    data = form_data(as_admin.get(url))
    data.update(amount="20", unit="days")
    response = as_admin.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert limit_for(category_id=category.pk, urgent=category.urgent, step="review_village") == (Decimal(20), "days")
    after = flow.report()
    assert after.due_at - after.created_at >= timedelta(days=19)
    assert before.due_at - before.created_at < timedelta(days=19)
    audit = _audits(TimeLimit, row).last()
    assert audit.actor == people["admin"]
    assert audit.payload["fields"]["unit"]["new"] == "days" and audit.payload["fields"]["amount"]["new"] == "20"


@pytest.mark.parametrize("amount", ["0", "-2"])
def test_a_time_limit_must_be_positive(as_admin, amount):
    row = TimeLimit.objects.filter(category__isnull=True).order_by("pk").first()
    data = form_data(as_admin.get(_url(TimeLimit, "change", row.pk)))
    data["amount"] = amount
    response = as_admin.post(_url(TimeLimit, "change", row.pk), data)
    assert response.status_code == 200 and "时限须为正数" in _errors(response)
    # The list page's inline editing is checked the same way.
    page = as_admin.get(_url(TimeLimit, "changelist"))
    data = _list_data(page)
    data[f"form-{_row_index(page, row)}-amount"] = amount
    response = as_admin.post(_url(TimeLimit, "changelist"), data)
    assert response.status_code == 200 and "时限须为正数" in _errors(response)
    assert TimeLimit.objects.get(pk=row.pk).amount == row.amount and not _audits(TimeLimit).exists()


def test_a_second_default_limit_for_the_same_step_is_refused(as_admin):
    row = TimeLimit.objects.filter(category__isnull=True).order_by("pk").first()
    data = form_data(as_admin.get(_url(TimeLimit, "add")))
    data.update(urgency=row.urgency, step=row.step, amount="2", unit="work_days")
    response = as_admin.post(_url(TimeLimit, "add"), data)
    assert response.status_code == 200 and "默认时限中已有" in _errors(response)
    assert TimeLimit.objects.filter(category__isnull=True, urgency=row.urgency, step=row.step).count() == 1


# ---------------------------------------------------------------------------------------------- calendar


def test_the_calendar_year_page_shows_the_year_with_holidays_and_makeup_days(as_admin):
    year = CalendarYear.objects.get(year=2026)
    page = as_admin.get(_url(CalendarYear, "change", year.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "全年日历" in text and "12 月" in text and "catalog/calendar-year.css" in text
    holiday = WorkCalendarDay.objects.filter(date__year=2026, is_workday=False, date__week_day__in=[2, 3, 4, 5, 6])
    makeup = WorkCalendarDay.objects.filter(date__year=2026, is_workday=True, date__week_day__in=[1, 7])
    assert holiday.exists() and makeup.exists()
    assert text.count('class="gs-cal-holiday"') >= holiday.count()
    assert text.count('class="gs-cal-makeup"') >= makeup.count()
    listing = as_admin.get(_url(CalendarYear, "changelist")).content.decode()
    assert f"工作日放假 {holiday.count()} 天" in listing and "法定节假日导入" in listing


def test_a_makeup_day_added_in_the_admin_is_audited_and_moves_a_deadline(as_admin, people):
    from gridsafe.catalog.calendar import current_calendar

    saturday = date(2026, 12, 12)
    assert not current_calendar().is_workday(saturday)
    data = form_data(as_admin.get(_url(WorkCalendarDay, "add")))
    data.update(date="2026-12-12", is_workday="on", note="调休上班")
    response = as_admin.post(_url(WorkCalendarDay, "add"), data)
    assert response.status_code == 302, _errors(response)
    assert current_calendar().is_workday(saturday)
    audit = _audits(WorkCalendarDay).last()
    assert audit.action == "admin.add" and audit.actor == people["admin"]
    assert audit.payload["fields"]["date"]["new"] == "2026-12-12"


# ---------------------------------------------------------------------------------------------- routing


def test_a_changed_routing_sends_the_next_county_dispatch_to_the_new_department(as_admin, flow, people):
    category = Category.objects.get(code="fire-ebike-indoor")
    fire, gas = people["fire"].unit, people["gas"].unit
    assert category.department_id == fire.pk
    assert flow.dispatched().department_id == fire.pk

    url = _url(DepartmentRouting, "changelist")
    page = as_admin.get(url + f"?q={category.code}")
    assert page.status_code == 200 and "县消防救援大队" in page.content.decode()
    data = _list_data(page)
    data[f"form-{_row_index(page, category)}-department"] = str(gas.pk)
    response = as_admin.post(url + f"?q={category.code}", data)
    assert response.status_code == 302, _errors(response)

    case = flow.dispatched()
    assert case.department_id == gas.pk and Case.objects.get(pk=case.pk).holder_unit_id == gas.pk
    audit = _audits(DepartmentRouting, category).last()
    assert audit.actor == people["admin"]
    assert audit.payload["fields"]["department"] == {
        "old": {"id": fire.pk, "text": fire.name},
        "new": {"id": gas.pk, "text": gas.name},
    }
    # The audit administrator reads the change by the departments' names, not their ids.
    auditor = User(username="routing-auditor", display_name="审计员", role=Role.AUDIT_ADMIN, is_staff=True)
    auditor.set_unusable_password()
    auditor.save()
    as_admin.force_login(auditor)
    page = as_admin.get(reverse("admin:core_auditevent_change", args=[audit.pk]))
    assert page.status_code == 200
    assert f"{fire.name} → {gas.name}" in page.content.decode()


def test_routing_to_a_unit_that_is_not_a_county_department_is_refused(as_admin):
    category = Category.objects.get(code="fire-ebike-indoor")
    township_unit = Unit.objects.filter(kind=UnitKind.DEPARTMENT, region__level=2).first()
    data = form_data(as_admin.get(_url(DepartmentRouting, "change", category.pk)))
    data["department"] = str(township_unit.pk)
    response = as_admin.post(_url(DepartmentRouting, "change", category.pk), data)
    assert response.status_code == 200 and "选择一个有效的选项" in _errors(response)
    assert Category.objects.get(pk=category.pk).department_id == category.department_id
    assert not _audits(DepartmentRouting).exists()


# ---------------------------------------------------------------------------------------------- 三员分立


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_settings_are_the_system_administrators_only(client, db, role):
    user = User(username=f"s-{role}", display_name="x", role=role, is_staff=True)
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    for model in (KpiWeight, CadenceRule, ReportQuota, DepartmentRouting, TimeLimit, CalendarYear):
        assert client.get(_url(model, "changelist")).status_code == 403, model
