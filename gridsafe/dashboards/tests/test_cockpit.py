"""驾驶舱: what a leader sees on landing — key figures, the red list (red cards, overdue), 督办, where the overdue
cases are, the rankings in brief, links to the big screen and the bulletins — from the same rollups as the
statistics pages, with a query count that does not grow with the cases."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridsafe.cases.sweep import sweep_due_cases
from gridsafe.core import clock


def _section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</section>', html, re.S)
    assert match, element_id
    return match.group(0)


def test_a_leader_lands_on_the_cockpit_with_the_red_list_and_supervision(client, people, flow):
    red = flow.dispatched(description="仓库内违规存放液化气钢瓶")
    flow.act(red, "supervise", "leader", level="red", instruction="三日内整改到位")
    late = flow.report(description="楼道堆放杂物堵塞通道")
    with clock.frozen(clock.now() + timedelta(days=20)):
        sweep_due_cases()  # the deadlines pass: both open cases go red (and the sweep may raise 督办 on its own)
        yellow = flow.dispatched(description="电动车楼道内充电")  # a fresh case under a yellow card
        flow.act(yellow, "supervise", "leader", level="yellow", instruction="一周内整改")
        client.force_login(people["leader"])
        landing = client.get("/", follow=True)
        assert landing.redirect_chain[-1][0] == "/dashboards/cockpit/"
        html = landing.content.decode()

    assert "仙游县 · 驾驶舱" in html
    red_cards = _section(html, "cockpit-red-cards")
    assert f"#{red.pk}" in red_cards and "红牌" in red_cards
    red_list = _section(html, "cockpit-red-list")
    assert f"#{late.pk}" in red_list
    supervised = _section(html, "cockpit-supervised")
    assert f"#{yellow.pk}" in supervised and f"#{yellow.pk}" not in red_cards
    assert f"#{red.pk}" not in supervised  # a red card is listed once, in its own list
    overdue_where = _section(html, "cockpit-overdue-where")
    assert "榜头镇" in overdue_where  # 南溪村's case, counted at its township
    overdue_figure = re.search(r'id="cockpit-overdue">.*?<a href="([^"]+)">(\d+)</a>', html, re.S)
    assert int(overdue_figure.group(2)) >= 2 and "now%3Aoverdue" in overdue_figure.group(1)
    assert 'href="/screen/"' in html and 'href="/bulletins/"' in html
    assert "排名（综合得分）" in html and "职能部门排名" in html


def test_the_cockpit_is_the_leaders_own_jurisdiction_and_its_queries_do_not_grow(client, people, flow):
    client.force_login(people["bangtou_lead"])
    township = client.get("/dashboards/cockpit/")
    assert township.status_code == 200 and "榜头镇 · 驾驶舱" in township.content.decode()
    assert client.get("/dashboards/cockpit/?node=350322001").status_code == 404  # 鲤城街道: not theirs

    client.force_login(people["leader"])
    client.get("/dashboards/cockpit/")  # warm the per-process caches (catalogue, weights)
    with CaptureQueriesContext(connection) as before:
        assert client.get("/dashboards/cockpit/").status_code == 200
    for _ in range(3):
        flow.act(flow.dispatched(), "supervise", "leader", level="yellow", instruction="加快处置")
    client.get("/dashboards/cockpit/")  # per-process caches the new rows may have refreshed, warm again
    with CaptureQueriesContext(connection) as after:
        assert client.get("/dashboards/cockpit/").status_code == 200
    assert len(after) == len(before), [q["sql"][:120] for q in after.captured_queries]
    assert len(after) <= 30
