"""The menu (dashboards/menu.py) as each demo login sees it: every link opens (200) for that login, no page it
cannot open is in its menu, the dashboards' tabs follow the same rule (fire_lead's tabs led to 404s), a leader
lands on the cockpit and is sent there from the field app."""

import re

import pytest

from gridsafe.dashboards.menu import MENU, menu_for

NAV_LINK = re.compile(r'<a class="nav(?:-menu)?-link[^"]*" id="nav-[^"]+" href="([^"]+)"')
TAB = re.compile(r'<a class="dash-subnav-link[^"]*" href="([^"]+)"')


def _opens(client, url: str) -> int:
    """The status of a page after its own redirects (统计看板 opens the user's own node or department)."""
    return client.get(url, follow=True).status_code


def _menu_links(client) -> list[str]:
    html = client.get("/notifications/").content.decode()  # a page every login opens, with the top bar
    return NAV_LINK.findall(html)


def test_every_logins_menu_opens_and_hides_what_it_cannot_open(client, people):
    seen = {}
    for username, user in sorted(people.items()):
        client.force_login(user)
        links = _menu_links(client)
        assert links, username
        assert links == [link["url"] for group in menu_for(user) for link in group["links"]], username
        for url in links:
            assert _opens(client, url) == 200, (username, url)
        shown = set(links)
        for entry in MENU:
            url = entry.url()
            if url is None or url in shown:
                continue
            # Not shown: either the login does not use it, or it cannot open it; never a page it needs and opens
            # by role. What it cannot open must not be shown (checked above: every shown link is 200).
            if entry.roles is not None and user.role in entry.roles and entry.when is None:
                pytest.fail(f"{username}: {entry.label} is for its role but not shown")
        seen[username] = shown
    # Each role's menu reaches what it uses beyond 首页/待办, 隐患列表, 地图 and 消息.
    assert {"/m/", "/my-reports/"} <= seen["nanxi_worker"] and "/dashboards/" not in seen["nanxi_worker"]
    assert {"/dashboards/", "/screen/", "/bulletins/", "/inspections/", "/reports/", "/dashboards/archives/"} <= seen[
        "county"
    ]
    assert {"/dashboards/cockpit/", "/screen/", "/bulletins/"} <= seen["leader"] and "/" not in seen["leader"]
    assert {"/dashboards/", "/bulletins/", "/reports/"} <= seen["fire_lead"]
    assert "/admin/" in seen["admin"] and "/admin/" not in seen["county"]
    assert "/cases/new/" in seen["nanxi"] and "/cases/new/" in seen["county"]  # 案件登记 at the desks
    assert "/cases/new/" not in seen["nanxi_worker"] and "/cases/new/" not in seen["fire"]
    assert {"/oversight/visits/", "/oversight/appraisal/"} <= seen["county"]
    assert "/admin/field/patrolrule/" in seen["admin"]  # the county's patrol rule (巡查有效规则)


def test_fire_leads_dashboard_tabs_all_open(client, people):
    """A department officer has no region: the big screen and the leaders' inspections are not their tabs."""
    client.force_login(people["fire_lead"])
    page = client.get("/dashboards/", follow=True)
    assert page.status_code == 200
    tabs = TAB.findall(page.content.decode())
    assert "/screen/" not in tabs and "/inspections/" not in tabs
    assert "/bulletins/" in tabs
    for url in tabs:
        assert _opens(client, url) == 200, url
    assert client.get("/screen/").status_code == 404  # what the tab used to lead to


def test_the_current_page_is_marked(client, people):
    client.force_login(people["county"])
    html = client.get("/bulletins/").content.decode()
    assert re.search(r'class="nav-menu-link is-active" id="nav-bulletins" href="/bulletins/" aria-current="page"', html)
    assert '<details class="nav-group is-active" data-menu="oversight">' in html


def test_a_leader_lands_on_the_cockpit_and_the_field_app_sends_them_there(client, people):
    client.force_login(people["leader"])
    assert client.get("/")["Location"] == "/dashboards/cockpit/"
    assert client.get("/m/", follow=True).redirect_chain[-1][0] == "/dashboards/cockpit/"
    client.force_login(people["fire"])
    assert client.get("/m/")["Location"] == "/"  # a department officer: to 首页/待办
    client.force_login(people["nanxi_worker"])
    assert client.get("/m/").status_code == 200
