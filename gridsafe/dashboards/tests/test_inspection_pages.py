"""The inspections page and the drill-down as a user reads them (issue 14): records and missed periods page through,
the grid pickers work on the county's 700 grids (grouped by township, with a filter and a typeahead), and the
drill-down names every figure in Chinese — never a code such as `resolved` or `now:overdue`."""

import re

import pytest

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards.inspections import activity_record
from gridsafe.regions.models import Region, RegionLevel

NOW = "2026-11-20 12:00"


def _get(client, user, url, **params):
    client.force_login(user)
    with clock.frozen(at(NOW)):
        return client.get(url, params)


def _record(user, region, day, title):
    with clock.frozen(at(NOW)):
        return activity_record(
            actor=user, kind="inspection", region=region, title=title, held_at=at(day), leader_name="李镇长"
        )


def test_records_and_missed_periods_page_through(client, people):
    bangtou = Region.objects.get(code="350322101")
    for i in range(33):
        _record(people["bangtou"], bangtou, f"2026-11-{1 + i % 19:02d} 09:00", f"安全检查{i:02d}")
    first = _get(client, people["bangtou"], "/inspections/", start="2026-10-01", end="2026-11-19")
    body = first.content.decode()
    assert first.status_code == 200
    assert len(re.findall(r">安全检查\d\d</a>", body)) == 30
    assert "第 1 / 2 页 · 共 33 条" in body and "page=2" in body
    second = _get(client, people["bangtou"], "/inspections/", start="2026-10-01", end="2026-11-19", page=2)
    assert len(re.findall(r">安全检查\d\d</a>", second.content.decode())) == 3

    # Every village of 榜头镇 missed its weekly checks: 50 a page, and the pages go on.
    missed = re.search(r'id="missed-rows">(.*?)</table>', body, re.S).group(1)
    assert missed.count("<tr>") == 51  # header + 50 rows
    assert "mpage=2" in body
    later = _get(client, people["bangtou"], "/inspections/", start="2026-10-01", end="2026-11-19", mpage=3)
    assert re.search(r"第 3 / \d+ 页", later.content.decode())


def test_grid_pickers_are_grouped_and_searchable(client, people):
    form = _get(client, people["county"], "/inspections/new/").content.decode()
    select = re.search(r'<select name="grids"[^>]*>(.*?)</select>', form, re.S)
    assert select and 'data-filter="输入村名或网格名筛选"' in form
    groups = re.findall(r'<optgroup label="([^"]+)">', select.group(1))
    assert len(groups) == Region.objects.filter(level=RegionLevel.TOWNSHIP, is_active=True).count()
    assert "榜头镇" in groups
    assert re.search(r">南溪村 · 南溪村第1网格</option>", select.group(1))
    assert select.group(1).count("<option") == Region.objects.filter(level=RegionLevel.GRID, is_active=True).count()
    assert "dashboards/select_filter.js" in form

    county = Region.objects.get(level=RegionLevel.COUNTY)
    activity = _record(people["county"], county, "2026-11-18 09:00", "县领导带队检查")
    detail = _get(client, people["county"], f"/inspections/{activity.pk}/").content.decode()
    typeahead = re.search(r'<input type="text" name="grid"[^>]*list="([^"]+)"', detail)
    assert typeahead, "the finding's grid is a typeahead"
    options = re.search(rf'<datalist id="{typeahead.group(1)}">(.*?)</datalist>', detail, re.S).group(1)
    assert re.search(r'value="\d{15}">榜头镇 · 南溪村 · 南溪村第1网格<', options)


@pytest.mark.parametrize(
    ("metric", "label"),
    [
        ("resolved", "已结案(整改销号)"),
        ("now:overdue", "当前超期"),
        ("handled+overdue_unhandled", "已处置或超期未处置"),
        ("f_reworks", "本期返工"),
        ("now:open_pending_review", "当前待研判"),
    ],
)
def test_drill_down_names_figures_in_chinese(client, people, metric, label):
    page = _get(client, people["county"], "/dashboards/drill/", scope="r", node="350322", metric=metric, domain="fire")
    assert page.status_code == 200
    heading = re.search(r"<h1>(.*?)</h1>", page.content.decode(), re.S).group(1)
    assert heading.startswith(f"{label}：")
    text = re.sub(r"<[^>]+>", " ", page.content.decode())
    for code in (metric, "resolved", "now:", "fire", "overdue"):
        assert code not in text, code
    assert "消防" in text  # the domain by its name
