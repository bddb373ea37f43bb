"""Accessibility (GB/T 37668-2019, WCAG 2.1 AA): axe-core from npm runs in real Chromium over every page the roles
of the demo world reach from their menus (dashboards/menu.py, walked as it is, so pages added later are checked too),
plus each role's case page, the field app and the big screen. A serious or critical violation fails the test; the
message lists each page, rule and the first offending elements.

Each page is checked once, by the first role in ROLES whose menu has it: a page's markup comes from its template, and
what differs between roles on a shared page is the menu and the action panel of the case page, so every role also
checks its own first page (its menu) and its case page. Walking every page of every role checked 169 pages, two
thirds of them repeats, for 145 s of a suite that must stay short (issue #17).

One browser per worker, one test and one context per role (the session is reused for all its pages): the roles
spread over the pytest-xdist workers. The rules are axe's WCAG 2.0/2.1 A and AA tags, the level GB/T 37668 asks of
government sites; best-practice rules are left out. axe is handed to the page through the DevTools protocol (an init
script of the context, page.evaluate as a fallback), which the page's CSP does not govern, so the pages are checked
with their real CSP in force."""

import json
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from gridsafe.web.tests.helpers import act, new_case

pytestmark = pytest.mark.browser

PASSWORD = "gridsafe-demo"
AXE = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
QUIET_S = 0.25  # no request in flight for this long: the page is in (see Requests.settle)

# One login per role of the demo world; the big screen and the field app are in these roles' menus. The order
# decides which role checks a page that several menus share (see the module's docstring): the county centre first.
ROLES = {
    "county": "县网格化中心",
    "bangtou": "乡镇网格化中心",
    "nanxi": "村网格站",
    "fire": "县直部门",
    "leader": "县领导",
    "nanxi_worker": "网格员（含网格员端）",
    "admin": "系统管理员",
}

# Stock Django admin markup the project does not render itself (Django 5.2): list_editable inputs have no label of
# their own (the column header names them) and the breadcrumb links are white on the admin's blue. Only these, only
# under /admin/; any other violation on an admin page still fails.
DJANGO_ADMIN_KNOWN = {
    ("label", "#id_form-"),
    ("select-name", "#id_form-"),
    ("link-in-text-block", ".breadcrumbs > a"),
}

RUN_AXE = """async (tags) => {
  const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: (n.failureSummary || "").slice(0, 200) })),
  }));
}"""


def sign_in(context, base: str, username: str):
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/login/" not in page.url, f"{username} could not sign in: {page.url}"
    return page


class Requests:
    """The page's requests in flight, counted from Playwright's events, and when the last one began or ended."""

    def __init__(self, page):
        self.page = page
        self.in_flight = 0
        self.last = time.monotonic()
        page.on("request", self._began)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _began(self, _request) -> None:
        self.in_flight += 1
        self.last = time.monotonic()

    def _ended(self, _request) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last = time.monotonic()

    def settle(self, quiet: float = QUIET_S, limit: float = 3.0) -> None:
        """The page and what it loads at once (htmx partials on load, map data, charts) are in: nothing in flight
        for `quiet` seconds. Playwright's "networkidle" asks the same of 500 ms on every page, half of this walk's
        time; the quiet here is longer than any timer that starts a request after a response (the map's 120 ms)."""
        self.page.wait_for_load_state("load")
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:  # a page that polls may never be quiet: what is there after 3 s is checked
            self.page.wait_for_timeout(40)  # Playwright delivers the request events while it waits
            if self.in_flight == 0 and time.monotonic() - self.last >= quiet:
                return


def axe_violations(page, axe_source: str) -> list[dict]:
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(axe_source)
    return page.evaluate(RUN_AXE, WCAG_AA)


def menu_pages(user) -> list[str]:
    from gridsafe.dashboards.menu import menu_for

    return [link["url"] for group in menu_for(user) for link in group["links"]]


def case_page(user, case_ids: list[int]) -> list[str]:
    """The case page, reached from the list: the desk's daily page (the first of the cases this user sees)."""
    from gridsafe.cases.permissions import cases_visible_to

    visible = cases_visible_to(user).filter(pk__in=case_ids).order_by("pk").values_list("pk", flat=True)
    return [f"/cases/{pk}/" for pk in visible[:1]]


def pages_of(people: dict, username: str, case_ids: list[int]) -> list[str]:
    """The pages this role checks: its first page (its menu, its 待办), the pages of its menu that no role before it
    in ROLES has, and its case page when its menu has the case list."""
    checked_before: set[str] = set()
    for role in ROLES:
        menu = menu_pages(people[role])
        if role == username:
            own = [menu[0]] + [url for url in menu[1:] if url not in checked_before]
            return own + (case_page(people[role], case_ids) if "/cases/" in menu else [])
        checked_before.update(menu)
    raise KeyError(username)


def check_role(context, base: str, people: dict, username: str, case_ids: list[int], axe_source: str) -> dict:
    page = sign_in(context, base, username)
    requests = Requests(page)
    found = {}
    for url in pages_of(people, username, case_ids):
        response = page.goto(f"{base}{url}")
        assert response is not None and response.status == 200, f"{username} {url}: {response and response.status}"
        if re.search(r"/m/$", url):
            page.wait_for_selector("#app main, main", timeout=20_000)
        requests.settle()
        found[url] = axe_violations(page, axe_source)
    page.close()
    return found


def known_admin(url: str, rule: str, target: str) -> bool:
    return url.startswith("/admin/") and any(rule == r and target.startswith(t) for r, t in DJANGO_ADMIN_KNOWN)


def blocking(found: dict[str, list[dict]]) -> list[str]:
    lines = []
    for url, violations in found.items():
        for v in violations:
            v["nodes"] = [n for n in v["nodes"] if not known_admin(url, v["id"], n["target"])]
            if v["impact"] in BLOCKING and v["nodes"]:
                targets = "; ".join(n["target"] for n in v["nodes"][:3])
                lines.append(f"{url} {v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']} — {targets}")
    return lines


def count_nodes(found: dict[str, list[dict]]) -> int:
    return sum(len(v["nodes"]) for violations in found.values() for v in violations if v["impact"] in BLOCKING)


@pytest.mark.parametrize("username", ROLES)
def test_every_menu_page_passes_axe(committed_world, serial_live_server, chromium_browser, username):
    people = committed_world
    # Something to show: two reports escalated to the county; the county dispatches one to the fire brigade, so the
    # lists, the case pages (with their action panels) and the department's inbox have rows.
    cases = []
    for description in ("安全出口被货物堵塞", "楼道内有电动车充电"):
        case = new_case(people["nanxi_worker"], category="fire-escape-blocked", description=description)
        case = act(case, people["nanxi"], "escalate", reason="需乡镇协调")
        cases.append(act(case, people["bangtou"], "escalate", reason="需县级部门处置"))
    act(cases[1], people["county"], "dispatch", comment="请消防大队处置")
    axe_source = AXE.read_text(encoding="utf-8")
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    # Handed over once for the context and run by Chromium in each new document, instead of 650 kB sent per page.
    context.add_init_script(script=axe_source)
    try:
        found = check_role(context, serial_live_server, people, username, [c.pk for c in cases], axe_source)
    finally:
        context.close()
    if os.environ.get("GRIDSAFE_A11Y_REPORT"):  # the counts for docs/accessibility.md, one key per role
        write_report(Path(os.environ["GRIDSAFE_A11Y_REPORT"]), username, found)
    report = [f"[{username}] {line}" for line in blocking(found)]
    assert not report, f"{count_nodes(found)} serious/critical accessibility violations:\n" + "\n".join(report)


def write_report(path: Path, username: str, found: dict[str, list[dict]]) -> None:
    """Each role's test adds its findings to the one file; under xdist two workers may write at once."""
    import fcntl

    with open(path.with_suffix(path.suffix + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        every = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
        every[username] = found
        path.write_text(json.dumps(every, ensure_ascii=False, indent=1))
