"""莆田市 above 仙游县 and 荔城区: the city's grid centre sees both counties' cases, statistics, rankings and big screen;
each county's own people see theirs only, and the other county's case, grid and statistics are 404 (API and pages)."""

import pytest
from django.test import TestCase

from gridsafe.accounts.models import Unit
from gridsafe.cases.models import Case
from gridsafe.cases.tests.helpers import grid_point, report
from gridsafe.regions.models import Region, RegionLevel

PROBLEM = "application/problem+json"
XIANYOU, LICHENGQU, PUTIAN = "350322", "350304", "350300"


@pytest.fixture
def city(db, api_as, people):
    from gridsafe.demo.city import build_city

    with TestCase.captureOnCommitCallbacks(execute=True):
        users = build_city(reports=6)
    people.update(users)  # api_as("putian") …
    worker = api_as("nanxi_worker")
    response = report(worker, point=grid_point(worker.user))
    assert response.status_code == 201, response.content
    theirs = Case.objects.filter(region_path__startswith=LICHENGQU + ".").order_by("pk")
    assert theirs.count() == 6
    return {
        "users": users,
        "xianyou_case": Case.objects.get(pk=response.json()["id"]),
        "lichengqu_case": theirs.first(),
        "lichengqu_grid": Region.objects.filter(level=RegionLevel.GRID, path__startswith=LICHENGQU + ".").first(),
    }


def _ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def _hidden(response):
    assert response.status_code == 404, response.content


def test_the_city_user_sees_both_counties_cases(city, api_as):
    putian = api_as("putian")
    listed = {c["id"] for c in _ok(putian.get("/api/v1/cases", limit=200))["items"]}
    assert {city["xianyou_case"].pk, city["lichengqu_case"].pk} <= listed
    for case in (city["xianyou_case"], city["lichengqu_case"]):
        assert putian.get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert _ok(putian.get(f"/api/v1/regions/{city['lichengqu_grid'].code}"))["name"]
    children = {r["code"] for r in _ok(putian.get(f"/api/v1/regions/{PUTIAN}/children"))}
    assert children == {XIANYOU, LICHENGQU}


def test_a_county_user_gets_404_on_the_other_county(city, api_as):
    county, lichengqu = api_as("county"), api_as("lichengqu")
    _hidden(county.get(f"/api/v1/cases/{city['lichengqu_case'].pk}"))
    _hidden(lichengqu.get(f"/api/v1/cases/{city['xianyou_case'].pk}"))
    assert city["lichengqu_case"].pk not in {c["id"] for c in _ok(county.get("/api/v1/cases", limit=200))["items"]}
    _hidden(county.get(f"/api/v1/regions/{city['lichengqu_grid'].code}"))
    _hidden(county.get(f"/api/v1/regions/{PUTIAN}"))
    for node in (LICHENGQU, PUTIAN):
        _hidden(county.get("/api/v1/stats/kpis", node=node))
        _hidden(county.get("/api/v1/stats/screen", node=node))
    _hidden(lichengqu.get("/api/v1/stats/kpis", node=XIANYOU))
    assert _ok(lichengqu.get("/api/v1/stats/kpis"))["code"] == LICHENGQU  # their own district by default


def test_a_county_user_gets_404_on_the_other_countys_pages(city, client, people):
    client.force_login(people["county"])
    assert client.get(f"/cases/{city['xianyou_case'].pk}/").status_code == 200
    assert client.get(f"/cases/{city['lichengqu_case'].pk}/").status_code == 404
    assert client.get(f"/dashboards/r/{LICHENGQU}/").status_code == 404
    assert client.get(f"/dashboards/r/{PUTIAN}/").status_code == 404
    assert client.get("/screen/", {"node": LICHENGQU}).status_code == 404


def test_the_city_statistics_roll_up_both_counties(city, api_as):
    putian = api_as("putian")
    report_ = _ok(putian.get("/api/v1/stats/kpis", node=PUTIAN, period="all"))
    xianyou = _ok(putian.get("/api/v1/stats/kpis", node=XIANYOU, period="all"))
    district = _ok(putian.get("/api/v1/stats/kpis", node=LICHENGQU, period="all"))
    assert (xianyou["counts"]["reported"], district["counts"]["reported"]) == (1, 6)
    assert report_["counts"]["reported"] == 7
    ranking = {row["code"]: row for row in report_["children"]}
    assert set(ranking) == {XIANYOU, LICHENGQU}
    assert ranking[LICHENGQU]["counts"]["reported"] == 6
    assert _ok(putian.get("/api/v1/stats/kpis"))["code"] == PUTIAN  # the city's dashboard opens on the city
    _ok(putian.get("/api/v1/stats/inspections/compliance", node=PUTIAN))
    screen = _ok(putian.get("/api/v1/stats/screen", node=PUTIAN))
    grids = Region.objects.filter(level=RegionLevel.GRID, path__startswith=LICHENGQU + ".").count()
    assert screen["counters"]["year_reported"] == 7 and screen["counters"]["grids"] == 711 + grids
    county_screen = _ok(putian.get("/api/v1/stats/screen", node=XIANYOU))
    assert screen["counters"]["workers"] == county_screen["counters"]["workers"] + grids  # one per 荔城区 grid


def test_the_city_pages_open_for_the_city_user(city, client, people):
    client.force_login(city["users"]["putian"])
    for url in (f"/dashboards/r/{PUTIAN}/", f"/dashboards/r/{LICHENGQU}/", f"/cases/{city['xianyou_case'].pk}/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/screen/", {"node": PUTIAN}).status_code == 200
    assert client.get("/map/").status_code == 200
    counties = client.get("/map/regions.json", {"level": 1, "zoom": 9}).json()["features"]
    assert {f["properties"]["code"] for f in counties} == {XIANYOU, LICHENGQU}
    page = client.get("/cases/").content.decode()
    assert f"/cases/{city['lichengqu_case'].pk}/" in page and f"/cases/{city['xianyou_case'].pk}/" in page


def test_a_county_only_deployment_is_unchanged(db, api_as):
    """Without a city the county is the top: no city key in its rollups, its users' 辖区 is the county's path."""
    from gridsafe.accounts.jurisdiction import jurisdiction_of
    from gridsafe.dashboards.rollups import region_node_ids

    assert region_node_ids("350322.101.205.001") == [350322, 350322101, 350322101205, 350322101205001]
    assert jurisdiction_of(api_as("county").user).paths == (XIANYOU,)
    assert Region.objects.get(code=XIANYOU).parent is None


def test_the_admin_form_takes_a_city_and_a_county_under_it(db):
    from gridsafe.regions.admin import RegionForm

    city = Region.objects.create(code=PUTIAN, name="莆田市", level=RegionLevel.CITY, path=PUTIAN)

    def form(code, level, parent=None):
        data = {"code": code, "name": "某区", "level": level, "official": "on", "is_active": "on"}
        return RegionForm(data={**data, "parent": parent.pk if parent else ""})

    assert form(LICHENGQU, RegionLevel.COUNTY, city).is_valid()
    assert form("350399", RegionLevel.COUNTY).is_valid()  # a county may stand alone
    assert "parent" in form("350104", RegionLevel.COUNTY, city).errors  # 福州's 仓山区 is not 莆田's
    assert "code" in form("350301", RegionLevel.CITY).errors  # a city's code ends in 00
    assert "code" in form("350400", RegionLevel.CITY, city).errors  # and it has no parent


@pytest.fixture
def county_papers(city, people):
    """A bulletin and an information report of each county (荔城区's are made here; the demo world holds 仙游县's)."""
    from datetime import timedelta

    from gridsafe.core import clock
    from gridsafe.dashboards.models import Bulletin, InfoReport
    from gridsafe.dashboards.periods import month_period, today

    last = month_period(today()).previous()
    papers = {"window": {"start": last.start.isoformat(), "end": today().isoformat()}}
    for code, author in ((XIANYOU, people["county"]), (LICHENGQU, city["users"]["lichengqu"])):
        region = Region.objects.get(code=code)
        bulletin = Bulletin.objects.create(
            kind="monthly",
            region=region,
            period_start=last.start + timedelta(days=1 if code == XIANYOU else 0),  # not the demo's own 仙游县 one
            period_end=last.end,
            title=f"{region.name}安全生产网格化管理工作通报（测试）",
            generated_at=clock.now(),
        )
        info = InfoReport.objects.create(
            unit=author.unit,
            month=today().replace(day=1),
            title=f"{region.name}经验做法（测试）",
            submitted_by=author,
            submitted_at=clock.now(),
        )
        papers[code] = {"bulletin": bulletin, "report": info, "unit": author.unit}
    return papers


def test_the_city_user_sees_both_counties_bulletins_archives_and_reports(city, county_papers, client):
    import io
    import zipfile

    from docx import Document

    client.force_login(city["users"]["putian"])
    mine, theirs = county_papers[XIANYOU], county_papers[LICHENGQU]
    page = client.get("/bulletins/")
    assert page.status_code == 200
    assert f"/bulletins/{theirs['bulletin'].pk}/" in page.content.decode()
    for paper in (mine, theirs):
        assert client.get(f"/bulletins/{paper['bulletin'].pk}/").status_code == 200

    page = client.get("/reports/")
    assert page.status_code == 200
    text = page.content.decode()
    assert mine["report"].title in text and theirs["report"].title in text
    township = Unit.objects.filter(region__path__startswith=LICHENGQU + ".", region__level=RegionLevel.TOWNSHIP)
    assert township.first().name in text  # 荔城区's responsible units and their quota, under the city's status

    page = client.get("/dashboards/archives/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'value="r:{XIANYOU}"' in text and f'value="r:{LICHENGQU}"' in text and f'value="r:{PUTIAN}"' in text
    response = client.get("/dashboards/archives/download/", {"target": f"r:{PUTIAN}", **county_papers["window"]})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        index = Document(io.BytesIO(zf.read("目录.docx")))
    cells = " ".join(c.text for t in index.tables for row in t.rows for c in row.cells)
    assert mine["report"].title in cells and theirs["report"].title in cells
    assert mine["bulletin"].title in cells and theirs["bulletin"].title in cells


def test_a_county_user_does_not_see_the_other_countys_papers(city, county_papers, client, people):
    client.force_login(people["county"])
    mine, theirs = county_papers[XIANYOU], county_papers[LICHENGQU]
    assert f"/bulletins/{theirs['bulletin'].pk}/" not in client.get("/bulletins/").content.decode()
    assert client.get(f"/bulletins/{mine['bulletin'].pk}/").status_code == 200
    assert client.get(f"/bulletins/{theirs['bulletin'].pk}/").status_code == 404
    assert client.get(f"/bulletins/{theirs['bulletin'].pk}/docx/").status_code == 404
    text = client.get("/reports/").content.decode()
    assert mine["report"].title in text and theirs["report"].title not in text
    assert theirs["unit"].name not in text
    assert client.get(f"/reports/{theirs['report'].pk}/file/").status_code == 404
    text = client.get("/dashboards/archives/").content.decode()
    assert f'value="r:{XIANYOU}"' in text and f"r:{LICHENGQU}" not in text
    for target in (f"r:{LICHENGQU}", f"r:{PUTIAN}", f"u:{theirs['unit'].pk}"):
        response = client.get("/dashboards/archives/download/", {"target": target, **county_papers["window"]})
        assert response.status_code == 404, target
