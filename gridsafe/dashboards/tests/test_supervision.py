"""巡查监督 pages as their users see them: the station officer's and township centre's patrols (grid, worker,
replay), coverage figures that match the walks, who is on patrol now (never a finished walk's position), the
supervised places' due and overdue lists with masked contacts and their history, publicity per township; 404
outside the 辖区; query counts that do not grow with the page."""

import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import counted_queries
from gridsafe.core import clock
from gridsafe.core.models import AuditEvent
from gridsafe.dashboards.tests.supervision_data import publicity, walk
from gridsafe.field.services import patrol_end
from gridsafe.field.tests.conftest import make_place
from gridsafe.regions.models import Region

CST = ZoneInfo("Asia/Shanghai")
# A Wednesday: the week started on Monday 16th, the month on Sunday 1st.
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=CST)


@pytest.fixture
def nanxi_village(people):
    grid = people["nanxi_worker"].grids.order_by("code").first()
    return grid.parent


@pytest.fixture
def village_grids(nanxi_village):
    """南溪村's grids with their worker (王芳 for her two, the synthetic worker of each other one)."""
    grids = list(Region.objects.filter(parent=nanxi_village, is_active=True).order_by("code"))
    out = []
    for grid in grids:
        worker = grid.grid_workers.filter(role="grid_worker").order_by("pk").first()
        out.append((grid, worker))
    return out


def _get(client, user, url, **params):
    client.force_login(user)
    with clock.frozen(NOW):
        return client.get(url, params)


def _text(response) -> str:
    return _plain(response.content.decode())


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _table(response, table_id: str) -> str:
    """The text of one table of the page ("" when the page has none: an empty list)."""
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', response.content.decode(), re.S)
    return _plain(found.group(1)) if found else ""


# ---------------------------------------------------------------- patrols


def test_station_officer_sees_patrols_by_grid_and_worker_and_replays_one(client, people, village_grids):
    (grid_a, wang), (grid_b, other) = village_grids[0], village_grids[2]
    mine = walk(wang, grid_a, start=NOW - timedelta(days=1, hours=2), seed=3)
    walk(other, grid_b, start=NOW - timedelta(days=2), seed=4)

    page = _get(client, people["nanxi"], "/supervision/patrols/")
    assert page.status_code == 200
    text = _text(page)
    assert f"{grid_a.name} 王芳" in text and other.display_name in text
    assert "轨迹回放" in text

    by_grid = _table(_get(client, people["nanxi"], "/supervision/patrols/", grid=grid_a.code), "sv-patrol-rows")
    assert "王芳" in by_grid and other.display_name not in by_grid
    by_worker = _table(_get(client, people["nanxi"], "/supervision/patrols/", worker=other.pk), "sv-patrol-rows")
    assert other.display_name in by_worker and "王芳" not in by_worker

    detail = _get(client, people["nanxi"], f"/supervision/patrols/{mine.client_id}/")
    assert detail.status_code == 200
    assert f"{grid_a.parent.name} · {grid_a.name} · 王芳" in _text(detail)
    config = re.search(r'data-sv-map="replay" data-config="([^"]+)"', detail.content.decode()).group(1)
    track = json.loads(config.replace("&quot;", '"').replace("&amp;", "&"))
    assert [p["seq"] for p in track["points"]] == list(range(12))  # played in order
    assert track["points"][0]["t"] < track["points"][-1]["t"]
    # A supervisor's look at someone's track is an audited view of personal data.
    assert AuditEvent.objects.filter(action="patrol.track_viewed", target=f"patrol:{mine.client_id}").exists()


def test_township_centre_sees_its_patrols_and_others_get_404(client, people, village_grids):
    grid, wang = village_grids[0]
    patrol = walk(wang, grid, start=NOW - timedelta(hours=5))
    assert _get(client, people["bangtou"], f"/supervision/patrols/{patrol.client_id}/").status_code == 200
    # 泉山村's station officer (another village), the county centre and a leader: the 404 of a missing patrol.
    for user in ("quanshan", "county", "leader", "fire"):
        assert _get(client, people[user], f"/supervision/patrols/{patrol.client_id}/").status_code == 404, user
    for user in ("county", "leader", "fire"):  # no track supervision at all: no patrol list either
        assert _get(client, people[user], "/supervision/patrols/").status_code == 404, user
    assert _table(_get(client, people["quanshan"], "/supervision/patrols/"), "sv-patrol-rows") == ""
    assert _get(client, people["quanshan"], f"/supervision/patrols/{uuid.uuid4()}/").status_code == 404


def test_coverage_this_week_and_month_matches_the_walks(client, people, village_grids, nanxi_village):
    (g0, w0), (g1, w1), (g2, w2), (g3, w3) = village_grids[:4]
    walk(w0, g0, start=NOW - timedelta(days=1))  # this week
    walk(w1, g1, start=NOW - timedelta(days=2, hours=3))  # Monday: this week
    walk(w2, g2, start=NOW - timedelta(days=12))  # 6 November: this month, not this week
    walk(w3, g3, start=NOW - timedelta(days=25))  # October: neither
    walk(w3, g3, start=NOW - timedelta(hours=6), minutes=3, points=2)  # 3 minutes: fails the patrol rule
    grids = len(village_grids)

    page = _get(client, people["nanxi"], "/supervision/coverage/")
    assert page.status_code == 200
    body = page.content.decode()
    assert re.search(rf'id="sv-grids">\s*{grids}<', body)
    assert re.search(r'id="sv-week">\s*2<', body)
    assert re.search(r'id="sv-month">\s*3<', body)
    assert f'id="sv-week-rate">{round(200 / grids, 1)}%' in body
    uncovered = re.search(r'<ul class="sv-chips" id="sv-uncovered">(.*?)</ul>', body, re.S).group(1)
    assert g0.name not in uncovered and g3.name in uncovered and g2.name in uncovered

    # The township and the county read the same walks, per child node; a leader sees coverage, not tracks.
    township = _table(_get(client, people["bangtou_lead"], "/supervision/coverage/"), "sv-coverage-rows")
    assert re.search(rf"{nanxi_village.name} {grids} 2 [\d.]+% 3 ", township), township
    county = _get(client, people["leader"], "/supervision/coverage/", node=nanxi_village.code)
    assert county.status_code == 200 and re.search(r'id="sv-week">\s*2<', county.content.decode())
    # Outside the 辖区: 404.
    assert _get(client, people["quanshan"], "/supervision/coverage/", node=nanxi_village.code).status_code == 404


def test_on_patrol_now_shows_only_running_patrols(client, people, village_grids):
    (grid, worker), (grid2, worker2) = village_grids[2], village_grids[3]
    lost_grid, wang = village_grids[0]
    walk(wang, lost_grid, start=NOW - timedelta(days=2), minutes=20, end=False)  # never ended: a lost end
    with clock.frozen(NOW):
        running = walk(worker, grid, start=NOW - timedelta(minutes=30), minutes=25, end=False)
        walk(worker2, grid2, start=NOW - timedelta(hours=2), minutes=60)  # ended an hour ago
    last = running.points.order_by("-seq").first()

    page = _get(client, people["nanxi"], "/supervision/patrols/now/")
    text = _table(page, "sv-now-rows")
    assert worker.display_name in text and grid.name in text
    assert worker2.display_name not in text
    now = _get(client, people["nanxi"], "/supervision/patrols/now.json").json()["patrols"]
    assert [(p["worker"], p["lon"], p["lat"]) for p in now] == [(worker.display_name, last.lon, last.lat)]

    with clock.frozen(NOW + timedelta(minutes=5)):
        patrol_end(actor=worker, patrol=running, ended_at=NOW + timedelta(minutes=5), nothing_found=True)
    assert _get(client, people["nanxi"], "/supervision/patrols/now.json").json()["patrols"] == []
    after = _get(client, people["nanxi"], "/supervision/patrols/now/")
    assert str(last.lon) not in after.content.decode() and str(last.lat) not in after.content.decode()
    assert _table(after, "sv-now-rows") == "" and "当前没有正在巡查的网格员" in _text(after)
    # Another village's officer never sees who walks in 南溪村.
    assert _get(client, people["quanshan"], "/supervision/patrols/now.json").json()["patrols"] == []
    assert _get(client, people["county"], "/supervision/patrols/now.json").status_code == 404


# ---------------------------------------------------------------- places


@pytest.fixture
def places(people, village_grids):
    grid = village_grids[0][0]
    overdue = make_place(grid, name="林记液化气供应点", phone="13812345678")
    due = make_place(grid, name="南溪3号出租房", kind="rental_housing", domain="rental", risk="yellow")
    later = make_place(grid, name="南溪欢乐KTV", kind="entertainment_venue", domain="venue", risk="blue")
    type(overdue).objects.filter(pk=overdue.pk).update(
        last_inspected_at=NOW - timedelta(days=20), next_due_at=NOW - timedelta(days=6)
    )
    type(due).objects.filter(pk=due.pk).update(
        last_inspected_at=NOW - timedelta(days=27), next_due_at=NOW + timedelta(days=2)
    )
    type(later).objects.filter(pk=later.pk).update(
        last_inspected_at=NOW - timedelta(days=3), next_due_at=NOW + timedelta(days=80)
    )
    other = make_place(
        people["licheng_worker"].grids.first(), name="城内2号出租房", kind="rental_housing", domain="rental"
    )
    return {"overdue": overdue, "due": due, "later": later, "other": other}


def test_places_per_domain_with_due_and_overdue_lists(client, people, places):
    page = _get(client, people["nanxi"], "/supervision/places/")
    assert page.status_code == 200
    text = _table(page, "sv-place-rows")
    for name in ("林记液化气供应点", "南溪3号出租房", "南溪欢乐KTV"):
        assert name in text
    assert "城内2号出租房" not in text  # another township's place
    assert "138****5678" in text and "13812345678" not in text and "林*" in text  # masked contacts

    rows = _table(_get(client, people["nanxi"], "/supervision/places/", due="overdue"), "sv-place-rows")
    assert "林记液化气供应点" in rows and "南溪3号出租房" not in rows and "已逾期" in rows
    due = _table(_get(client, people["nanxi"], "/supervision/places/", due="due"), "sv-place-rows")
    assert "南溪3号出租房" in due and "林记液化气供应点" not in due and "南溪欢乐KTV" not in due

    # The summary per domain counts the same rows.
    summary = re.search(r'id="sv-place-summary">(.*?)</table>', page.content.decode(), re.S).group(1)
    assert re.search(r"液化气.*?</a></td><td>1</td>\s*<td class=\"missed\"><a[^>]*>1</a>", summary, re.S)


def test_department_sees_its_domains_places_and_workers_see_no_supervision(client, people, places, village_grids):
    grid = village_grids[0][0]
    make_place(grid, name="南溪家具加工作坊", kind="crowded_place", domain="fire", risk="red")
    rows = _table(_get(client, people["fire"], "/supervision/places/"), "sv-place-rows")
    # The county fire brigade's domains are 消防 and 出租房: not the LPG point (燃气) nor the KTV (文化娱乐).
    assert "南溪家具加工作坊" in rows and "南溪3号出租房" in rows
    assert "林记液化气供应点" not in rows and "南溪欢乐KTV" not in rows
    page = _text(_get(client, people["fire"], "/supervision/places/"))
    assert "巡查覆盖率" not in page.split("监管对象")[-1]  # no link to pages a department cannot open
    for url in ("/supervision/coverage/", "/supervision/publicity/", "/supervision/patrols/"):
        assert _get(client, people["fire"], url).status_code == 404, url
        assert _get(client, people["nanxi_worker"], url).status_code == 404, url


def test_place_history_and_404_outside(client, people, places):
    from gridsafe.places.services import place_update

    place = places["overdue"]
    place_update(
        actor=people["nanxi_worker"],
        place=place,
        request_id=uuid.uuid4(),
        base_version=1,
        changes={"address": "南溪村18号", "contact_phone": "13900001111"},
    )
    detail = _get(client, people["nanxi"], f"/supervision/places/{place.pk}/")
    assert detail.status_code == 200
    text = _text(detail)
    assert "南溪村18号" in text and "13900001111" not in text and "139****1111" in text
    assert "已逾期" in text
    for user in ("quanshan", "licheng_worker"):
        assert _get(client, people[user], f"/supervision/places/{place.pk}/").status_code == 404
    assert _get(client, people["county"], f"/supervision/places/{places['other'].pk}/").status_code == 200


# ---------------------------------------------------------------- publicity


def test_publicity_per_township_with_safety_week(client, people, village_grids, nanxi_village):
    (grid, wang), (grid2, other) = village_grids[0], village_grids[1]
    publicity(
        wang, grid, held_at=NOW - timedelta(days=3), kind="campaign_week", title="安全生产宣传周进村入户", people=120
    )
    publicity(other, grid2, held_at=NOW - timedelta(days=40), people=15, leaflets=30)
    publicity(people["licheng_worker"], people["licheng_worker"].grids.first(), held_at=NOW - timedelta(days=4))

    county = _table(_get(client, people["county"], "/supervision/publicity/"), "sv-publicity-summary")
    assert re.search(r"榜头镇 2 1 135 70 ", county), county
    township = _table(_get(client, people["bangtou"], "/supervision/publicity/"), "sv-publicity-rows")
    assert "安全生产宣传周进村入户" in township and "安全生产宣传周" in township and "王芳" in township
    assert "入户宣传燃气安全" in township and "鲤城" not in township
    week_only = _table(
        _get(client, people["bangtou"], "/supervision/publicity/", kind="campaign_week"), "sv-publicity-rows"
    )
    assert "安全生产宣传周进村入户" in week_only and "入户宣传燃气安全" not in week_only
    assert _get(client, people["quanshan"], "/supervision/publicity/", node=nanxi_village.code).status_code == 404


# ---------------------------------------------------------------- query counts


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx, clock.frozen(NOW):
        response = client.get(url, params)
    assert response.status_code == 200
    return len(counted_queries(ctx))


def test_query_counts_do_not_grow_with_the_page(client, people, village_grids):
    grid, wang = village_grids[0]
    client.force_login(people["nanxi"])
    for i in range(3):
        walk(wang, grid, start=NOW - timedelta(days=1 + i), points=3)
        make_place(grid, name=f"出租房{i}", kind="rental_housing", domain="rental")
        publicity(wang, grid, held_at=NOW - timedelta(days=1 + i))
    urls = ["/supervision/patrols/", "/supervision/places/", "/supervision/publicity/", "/supervision/coverage/"]
    few = {url: _queries(client, url) for url in urls}
    for i in range(3, 12):
        walk(wang, grid, start=NOW - timedelta(days=1 + i), points=3)
        make_place(grid, name=f"出租房{i}", kind="rental_housing", domain="rental")
        publicity(wang, grid, held_at=NOW - timedelta(days=1 + i))
    many = {url: _queries(client, url) for url in urls}
    assert many == few
    assert max(many.values()) <= 15, many  # session, user, unit and region, the page's own reads
