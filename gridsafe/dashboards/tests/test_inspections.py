"""领导带队检查 and 例会: cadence as data, records, findings that become cases, and the compliance view that flags
every missed period (and never a period still in progress)."""

import pytest

from gridsafe.cases.tests.helpers import at, jpeg_upload
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.dashboards.inspections import activity_add_finding, activity_add_photo, activity_record, compliance
from gridsafe.dashboards.models import CadenceRule
from gridsafe.regions.models import Region

BANGTOU = "350322101"


def _record(user, region, kind, when, **extra):
    with clock.frozen(at("2026-11-20 12:00")):
        return activity_record(
            actor=user, kind=kind, region=region, title="", held_at=at(when), leader_name="李镇长", **extra
        )


@pytest.fixture
def bangtou():
    return Region.objects.get(code=BANGTOU)


def test_weekly_township_cadence_flags_the_missed_week(people, bangtou):
    nanxi = Region.objects.get(level=3, name="南溪村", path__startswith="350322.101")
    _record(people["bangtou"], bangtou, "inspection", "2026-11-03 09:00")  # week 45 only
    _record(people["bangtou"], bangtou, "meeting", "2026-11-04 15:00")
    _record(people["bangtou"], bangtou, "meeting", "2026-11-12 15:00")  # both weeks
    _record(people["nanxi"], nanxi, "inspection", "2026-11-05 10:00")
    with clock.frozen(at("2026-11-20 12:00")):  # weeks 45 and 46 are over, week 47 is in progress
        report = compliance(bangtou, at("2026-11-02 00:00").date(), at("2026-11-20 00:00").date())
    summary = {(s["level"], s["kind"]): s for s in report["summary"]}
    township_inspection = summary[(2, "inspection")]
    assert (township_inspection["due"], township_inspection["done"], township_inspection["missed"]) == (2, 1, 1)
    assert township_inspection["in_progress"] == 1 and township_inspection["rate"] == 50.0
    assert (summary[(2, "meeting")]["done"], summary[(2, "meeting")]["missed"]) == (2, 0)
    villages = summary[(3, "inspection")]
    assert villages["due"] == 2 * villages["nodes"] and villages["done"] == 1
    assert villages["missed"] == villages["due"] - 1 and summary[(3, "meeting")]["done"] == 0
    missed = [(m["region"], m["period"]) for m in report["missed"] if m["rule"].startswith("乡镇")]
    assert missed == [("榜头镇", "2026年第46周(11-09~11-15)")]
    assert ("南溪村", "2026年第45周(11-02~11-08)") not in [
        (m["region"], m["period"]) for m in report["missed"] if m["rule"].startswith("村")
    ]


def test_monthly_county_cadence_and_rules_are_data(people):
    county = Region.objects.get(code="350322")
    _record(people["county"], county, "inspection", "2026-10-15 09:00")
    with clock.frozen(at("2026-11-20 12:00")):
        report = compliance(county, at("2026-10-01 00:00").date(), at("2026-11-20 00:00").date())
    county_rows = {s["kind"]: s for s in report["summary"] if s["level"] == 1}
    assert (county_rows["inspection"]["due"], county_rows["inspection"]["done"]) == (1, 1)  # October; November runs
    assert county_rows["meeting"]["missed"] == 1
    CadenceRule.objects.filter(region_level=1, kind="meeting").update(times=2, cadence="week")
    with clock.frozen(at("2026-11-20 12:00")):
        report = compliance(county, at("2026-10-01 00:00").date(), at("2026-11-20 00:00").date())
    meeting = next(s for s in report["summary"] if s["level"] == 1 and s["kind"] == "meeting")
    assert meeting["rule"].endswith("（每周2次）") and meeting["missed"] == meeting["due"] > 4


def test_findings_become_cases_and_photos_are_checked(people, bangtou, settings, tmp_path):
    grid = Region.objects.filter(level=4, path__startswith="350322.101.").order_by("code").first()
    activity = _record(people["bangtou"], bangtou, "inspection", "2026-11-03 09:00", grids=[grid], photo=jpeg_upload())
    from gridsafe.catalog.models import Category

    with clock.frozen(at("2026-11-03 10:00")):
        case = activity_add_finding(
            activity=activity,
            actor=people["bangtou"],
            category=Category.objects.get(code="fire-escape-blocked"),
            description="安全出口上锁",
            grid=grid,
        )
    assert case.source == "leader" and case.description.startswith("【") and case.events.count() == 1
    assert list(activity.findings.all()) == [case] and activity.photos.count() == 1
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationFailed):
        activity_add_photo(
            activity=activity, actor=people["bangtou"], upload=SimpleUploadedFile("x.jpg", b"not an image")
        )
    with pytest.raises(NotFound):
        activity_add_photo(activity=activity, actor=people["quanshan"], upload=jpeg_upload())
    licheng_grid = Region.objects.filter(level=4, path__startswith="350322.001.").first()
    with pytest.raises(ValidationFailed):
        _record(people["bangtou"], bangtou, "inspection", "2026-11-03 09:00", grids=[licheng_grid])
    with pytest.raises(NotFound):
        _record(people["quanshan"], bangtou, "meeting", "2026-11-03 09:00")
    with pytest.raises(ValidationFailed):
        _record(people["bangtou"], bangtou, "meeting", "2026-12-30 09:00")  # in the future
