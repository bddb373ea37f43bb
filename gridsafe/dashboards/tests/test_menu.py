"""The menu (dashboards/menu.py) as each demo login sees it: every link opens (200) for that login, no page it
cannot open is in its menu, the dashboards' tabs follow the same rule (fire_lead's tabs led to 404s), a leader
lands on the cockpit and is sent there from the field app."""

import re

import pytest

from gridsafe.dashboards.menu import MENU, menu_for
from gridsafe.demo.world import NAMED_USERS

NAV_LINK = re.compile(r'<a class="nav(?:-menu)?-link[^"]*" id="nav-[^"]+" href="([^"]+)"')
TAB = re.compile(r'<a class="dash-subnav-link[^"]*" href="([^"]+)"')


def _opens(client, url: str) -> int:
    """The status of a page after its own redirects (统计看板 opens the user's own node or department)."""
    return client.get(url, follow=True).status_code


MENU_PAGE = "/notifications/"  # a page every login opens, with the top bar

# Each role's menu reaches what it uses beyond 首页/待办, 隐患列表, 地图 and 消息, and not what it does not.
SHOWN = {
    "nanxi_worker": {"/m/", "/my-reports/"},
    "county": {
        "/dashboards/",
        "/screen/",
        "/bulletins/",
        "/inspections/",
        "/reports/",
        "/dashboards/archives/",
        "/cases/new/",  # 案件登记 at the desks
        "/oversight/visits/",
        "/oversight/appraisal/",
    },
    "leader": {"/dashboards/cockpit/", "/screen/", "/bulletins/"},
    "fire_lead": {"/dashboards/", "/bulletins/", "/reports/"},
    "admin": {"/admin/", "/admin/field/patrolrule/"},  # the county's patrol rule (巡查有效规则)
    "nanxi": {"/cases/new/"},
}
HIDDEN = {
    "nanxi_worker": {"/dashboards/", "/cases/new/"},
    "county": {"/admin/"},
    "leader": {"/"},
    "fire": {"/cases/new/"},
}
LOGINS = sorted(name for name, *_ in NAMED_USERS)


def test_the_expectations_name_demo_logins():
    assert set(SHOWN) | set(HIDDEN) <= set(LOGINS)


# One test per login, so pytest-xdist spreads the ~300 pages over its workers instead of one worker walking them all.
@pytest.mark.parametrize("username", LOGINS)
def test_every_logins_menu_opens_and_hides_what_it_cannot_open(client, people, username):
    user = people[username]
    client.force_login(user)
    page = client.get(MENU_PAGE)
    assert page.status_code == 200
    links = NAV_LINK.findall(page.content.decode())
    assert links
    assert links == [link["url"] for group in menu_for(user) for link in group["links"]]
    for url in links:
        # The menu page itself answered 200 above, without a redirect: not fetched again.
        assert url == MENU_PAGE or _opens(client, url) == 200, url
    shown = set(links)
    for entry in MENU:
        url = entry.url()
        if url is None or url in shown:
            continue
        # Not shown: either the login does not use it, or it cannot open it; never a page it needs and opens
        # by role. What it cannot open must not be shown (checked above: every shown link is 200).
        if entry.roles is not None and user.role in entry.roles and entry.when is None:
            pytest.fail(f"{username}: {entry.label} is for its role but not shown")
    assert SHOWN.get(username, set()) <= shown
    assert not HIDDEN.get(username, set()) & shown


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
