"""信息材料: each responsible unit ≥ 2 a month; the shortfall list and the reminders (once per stage)."""

import pytest

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed
from gridsafe.dashboards.inforeports import info_report_submit, info_reports_remind_due, report_status
from gridsafe.dashboards.models import ReportQuota
from gridsafe.dashboards.periods import parse_period
from gridsafe.notifications.models import Notification
from gridsafe.regions.models import Region


def _submit(user, title, when="2026-11-10 09:00", **extra):
    with clock.frozen(at(when)):
        return info_report_submit(actor=user, title=title, **extra)


def test_shortfall_list(people):
    county = Region.objects.get(code="350322")
    _submit(people["bangtou"], "榜头镇镇村二级网格经验")
    _submit(people["bangtou_lead"], "南溪村取缔非法燃气点")
    _submit(people["fire"], "消防隐患上平台的做法")
    status = report_status(county, parse_period("2026-11"))
    rows = {r["name"]: r for r in status["units"]}
    assert len(rows) == 24 + 6  # 18 乡镇(街道) and 6 管委会 centres, 6 county departments
    assert rows["榜头镇网格化中心"]["count"] == 2 and not rows["榜头镇网格化中心"]["short"]
    assert rows["县消防救援大队"]["count"] == 1 and rows["县消防救援大队"]["missing"] == 1
    assert len(status["short"]) == 29
    township = report_status(Region.objects.get(code="350322101"), parse_period("2026-11"))
    assert [r["name"] for r in township["units"]] == ["榜头镇网格化中心"]
    ReportQuota.objects.filter(unit_kind="centre").update(minimum=3)
    assert report_status(county, parse_period("2026-11"))["units"][0]["minimum"] in (2, 3)


def test_reminders_once_per_stage_to_the_desk(people):
    _submit(people["bangtou"], "一")
    _submit(people["bangtou"], "二")
    assert info_reports_remind_due(at("2026-11-10 09:00")) == 0  # before the 20th
    assert info_reports_remind_due(at("2026-11-20 09:00")) == 29
    assert info_reports_remind_due(at("2026-11-20 18:00")) == 0  # same stage: already sent
    fire_inbox = Notification.objects.filter(user=people["fire"], kind="system")
    assert fire_inbox.count() == 1 and "已报送 0 篇，至少需 2 篇" in fire_inbox.get().title
    assert not Notification.objects.filter(user=people["bangtou"], kind="system").exists()
    assert info_reports_remind_due(at("2026-11-27 09:00")) == 29  # the second round
    assert fire_inbox.count() == 2


def test_submission_rules(people):
    late = _submit(people["bangtou"], "十月的补报", when="2026-11-03 09:00", month="2026-10")
    assert late.month.isoformat() == "2026-10-01"
    with pytest.raises(ValidationFailed):
        _submit(people["bangtou"], "太晚的补报", when="2026-11-10 09:00", month="2026-10")
    with pytest.raises(ValidationFailed):
        _submit(people["bangtou"], "  ", when="2026-11-10 09:00")
