"""The desk without a mouse (WCAG 2.1.1, 2.4.7), in real Chromium: 县网格化中心 signs in, opens its 待办 queue, the
case, and dispatches it to 县消防救援大队 with 县燃气 as co-handler, with Tab, Enter, Space, arrow keys and typing
only. Every element the Tab key lands on on the way shows a visible focus ring."""

import re

import pytest

from gridsafe.web.tests.helpers import act, new_case

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40),
    href: el.getAttribute("href") || "", name: el.getAttribute("name") || "", type: el.getAttribute("type") || "",
    value: el.value || "", label: el.labels && el.labels[0] ? el.labels[0].innerText.trim() : "",
    ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 && style.outlineColor !== "rgb(207, 224, 247)",
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
  };
}"""


def tab_to(page, wanted, *, limit=120, unfocused=None):
    """Press Tab until `wanted(focused)` holds; every stop must show its focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if not focused["ring"] and unfocused is not None:
            unfocused.append(f"{page.url} {focused['tag']} {focused['text'] or focused['name']} ({focused['outline']})")
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element at {page.url}")


def test_a_dispatch_by_keyboard_only(committed_world, serial_live_server, browser_page):
    from gridsafe.accounts.models import Unit
    from gridsafe.cases.models import Case

    people, page, base = committed_world, browser_page, serial_live_server
    case = new_case(people["nanxi_worker"], category="fire-escape-blocked", description="安全出口被货物堵塞")
    case = act(case, people["nanxi"], "escalate", reason="需乡镇协调")
    case = act(case, people["bangtou"], "escalate", reason="需县级部门处置")
    fire, gas = Unit.objects.get(code="dept-fire"), Unit.objects.get(code="dept-gas")
    no_ring: list[str] = []

    # Sign in: the name field has focus on arrival (autofocus lands when the page is first rendered, which in the
    # headless shell can come just after the load event: wait for it rather than type into nothing).
    page.goto(f"{base}/login/")
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type("county")
    page.keyboard.press("Tab")
    page.keyboard.type("gridsafe-demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.rstrip("/") == base

    # 待办: the first card of 最紧迫 is the case; Enter opens it.
    tab_to(page, lambda f: f["href"] == f"/cases/{case.pk}/", unfocused=no_ring)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/cases/{case.pk}/")

    # 派遣: open the action with Enter on its summary, then fill the form from the keyboard.
    tab_to(page, lambda f: f["tag"] == "summary" and f["text"] == "派遣", unfocused=no_ring)
    page.keyboard.press("Enter")
    assert page.locator("details[data-action=dispatch]").get_attribute("open") is not None
    tab_to(page, lambda f: f["name"] == "department_id", limit=10, unfocused=no_ring)
    for _ in range(40):  # arrow keys move a closed <select>'s choice in Chromium
        if page.evaluate(FOCUSED)["value"] == str(fire.pk):
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED)["value"] == str(fire.pk)
    tab_to(page, lambda f: f["type"] == "checkbox" and f["value"] == str(gas.pk), limit=30, unfocused=no_ring)
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["name"] == "comment", limit=10, unfocused=no_ring)
    page.keyboard.type("请消防大队主办，燃气协办")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "确认派遣", limit=10, unfocused=no_ring)
    with page.expect_response(lambda r: "/actions/dispatch/" in r.url) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    page.wait_for_selector("#case-body > .msg-success")
    assert re.search("已派遣|待签收", page.locator("#case-state").inner_text())

    case = Case.objects.get(pk=case.pk)
    assert case.department_id == fire.pk
    assert list(case.parts.values_list("department_id", flat=True)) == [gas.pk]
    assert case.events.filter(kind="case.dispatched", comment="请消防大队主办，燃气协办").exists()
    assert not no_ring, "focus not visible on: " + "; ".join(no_ring)
