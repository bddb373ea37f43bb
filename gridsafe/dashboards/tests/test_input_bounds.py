"""Dashboards, inspections and bulletins under the shared input rules (issue #12): a year-9999 or year-1 period or
held-at time is a 422 (API) or a form error (page), never a 500; the inspections page still reads; and a control
character stored before the rules existed does not break the DOCX bulletin or its XLSX."""

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards.bulletins import bulletin_generate
from gridsafe.dashboards.models import LeaderActivity
from gridsafe.dashboards.periods import parse_period
from gridsafe.regions.models import Region

BANGTOU = "350322101"


@pytest.fixture
def login(client, people):
    def as_(username):
        client.force_login(people[username])
        return client

    return as_


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/v1/stats/kpis", {"period": "9999"}),
        ("/api/v1/stats/kpis", {"period": "0001"}),
        ("/api/v1/stats/kpis", {"period": "2026-01-01..9999-12-31"}),
        ("/api/v1/stats/kpis", {"start": "0001-01-01", "end": "2026-01-01"}),
        ("/api/v1/stats/kpis", {"end": "9999-12-31"}),
        ("/api/v1/stats/inspections/compliance", {"end": "9999-12-31"}),
        ("/api/v1/stats/inspections/compliance", {"start": "0001-01-01"}),
        ("/api/v1/stats/drill", {"node": str(2**64), "metric": "reported"}),
        ("/api/v1/stats/trend", {"months": str(2**64)}),
        ("/api/v1/stats/reports/shortfall", {"month": "9999-12"}),
    ],
)
def test_stats_queries_outside_the_window_are_422(api_as, path, params):
    response = api_as("county").get(path, **params)
    assert response.status_code == 422, response.content[:400]
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("held_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_inspection_form_refuses_a_held_at_outside_the_window_and_the_page_still_reads(login, held_at):
    bangtou = login("bangtou")
    grid = Region.objects.filter(level=4, path__startswith="350322.101.").order_by("code").first()
    data = {
        "kind": "inspection",
        "region": BANGTOU,
        "title": "镇长带队检查",
        "held_at": held_at,
        "leader_name": "李镇长",
        "grids": [grid.code],
    }
    response = bangtou.post("/inspections/new/", data)
    assert response.status_code in (200, 422)
    assert "2000-01-01" in response.content.decode() or "不能晚于" in response.content.decode()
    assert not LeaderActivity.objects.exists()
    response = bangtou.post("/inspections/new/", {**data, "held_at": "2026-11-02T09:30", "minutes": "检查\x1b出租房"})
    assert response.status_code in (200, 422) and not LeaderActivity.objects.exists()
    assert bangtou.get("/inspections/").status_code == 200
    assert bangtou.get("/inspections/", {"start": "0001-01-01", "end": "9999-12-31"}).status_code == 200
    assert bangtou.get(f"/dashboards/r/{BANGTOU}/", {"period": "9999"}).status_code in (200, 422)
    assert bangtou.get(f"/dashboards/r/{BANGTOU}/", {"start": "9999-12-31"}).status_code == 200


def test_bulletin_with_a_stored_control_character_still_renders(flow):
    with clock.frozen(at("2026-03-02 09:00")):
        flow.report()
    # A name stored before the input rules existed (or through the admin): it reaches the rankings of both files.
    Region.objects.filter(code=BANGTOU).update(name="榜头\x1b镇")
    with clock.frozen(at("2026-04-01 08:00")):
        bulletin = bulletin_generate(kind="monthly", period=parse_period("2026-03"))
    with bulletin.docx.open("rb") as fh:
        doc = Document(io.BytesIO(fh.read()))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "榜头镇" in cells
    with bulletin.xlsx.open("rb") as fh:
        workbook = load_workbook(io.BytesIO(fh.read()))
    names = [row[1] for row in workbook["乡镇排名"].iter_rows(values_only=True)]
    assert "榜头镇" in names
