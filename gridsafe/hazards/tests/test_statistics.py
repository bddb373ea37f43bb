"""The quarterly 隐患排查治理统计分析表: its sums equal the cases, counted here independently from the rows; the
XLSX carries the same figures; the 存量/新增 page splits the year's 重大隐患 by when they were reported."""

import io
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from gridsafe.cases.models import Case
from gridsafe.core import clock
from gridsafe.hazards.models import MajorHazard
from gridsafe.hazards.services import major_hazard_list, major_hazard_plan
from gridsafe.hazards.statistics import Period, statistics_table
from gridsafe.hazards.tests.test_major_hazard import BASIS, PLAN


def test_the_quarterly_table_sums_equal_the_cases(flow, people, web_as, ent_world):
    flow.closed_resolved()
    flow.closed_resolved(category="fire-ebike-indoor")
    flow.handling_l1()
    voided = flow.act(flow.report(), "void", "nanxi", reason_code="not_hazard", reason="现场无隐患")
    assert voided.closure == "invalid"
    major = flow.act(flow.handling_dept(), "regrade", "fire", grade="major", basis=BASIS)
    hazard = MajorHazard.objects.get(case=major)
    deadline = timezone.localdate(clock.now()) + timedelta(days=20)
    hazard = major_hazard_list(hazard=hazard, actor=people["fire"], expected_version=hazard.version,
                               request_id=uuid.uuid4(), supervising_body="县安委办", public_title="t",
                               rectify_by=deadline)  # fmt: skip
    major_hazard_plan(hazard=hazard, actor=people["fire"], expected_version=hazard.version, request_id=uuid.uuid4(),
                      plan=PLAN, funds_wan="8.25")  # fmt: skip

    today = timezone.localdate(clock.now())
    period = Period(today.year, (today.month - 1) // 3 + 1)
    table = statistics_table(people["county"], period)

    # independently, from the case rows
    start, end = period.bounds()
    rows = [c for c in Case.objects.all() if start <= c.created_at < end and c.closure not in ("invalid", "duplicate")]
    general = Counter(c.domain.name for c in rows if c.grade == "general")
    general_fixed = Counter(c.domain.name for c in rows if c.grade == "general" and c.closure == "resolved")
    majors = Counter(c.domain.name for c in rows if c.grade == "major")
    assert {r.name: r.general for r in table["rows"] if r.general} == dict(general)
    assert {r.name: r.general_fixed for r in table["rows"] if r.general_fixed} == dict(general_fixed)
    assert {r.name: r.major for r in table["rows"] if r.major} == dict(majors)
    total = table["total"]
    assert (total.general, total.general_fixed, total.major, total.major_fixed) == (
        sum(general.values()), sum(general_fixed.values()), sum(majors.values()), 0)  # fmt: skip
    assert (total.planned, total.listed, total.funds) == (1, 1, Decimal("8.25"))
    assert total.rate(total.general_fixed, total.general) == round(
        100 * sum(general_fixed.values()) / sum(general.values()), 2
    )
    assert voided.pk not in {c.pk for c in rows}

    response = web_as(people["county"]).get(
        "/hazards/statistics/", {"year": period.year, "quarter": period.quarter, "format": "xlsx"}
    )
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    total_row = next(r for r in values if r[0] == "合计")
    assert total_row[1:3] == [total.general, total.general_fixed] and total_row[4] == total.major
    assert "一般事故隐患" in values[2] and "重大事故隐患" in values[2]
    assert web_as(people["county"]).get("/hazards/statistics/").status_code == 200

    stock = web_as(people["county"]).get("/hazards/stock/")
    assert stock.status_code == 200 and f"#{major.pk}" in stock.content.decode()


def test_the_hazard_menu_entries_open_for_who_has_them(people, web_as):
    from gridsafe.dashboards.menu import menu_for

    seen = 0
    for user in people.values():
        links = [link for group in menu_for(user) for link in group["links"] if link["url"].startswith("/hazards/")]
        for link in links:
            assert web_as(user).get(link["url"]).status_code == 200, (user.username, link["url"])
            seen += 1
        if user.role in ("grid_worker", "station_officer"):
            assert [link["url"] for link in links] == (["/hazards/findings/"] if user.role == "station_officer" else [])
            assert web_as(user).get("/hazards/statistics/").status_code == 404
    assert seen >= 3 * 5
