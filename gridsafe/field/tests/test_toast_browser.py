"""A message (the toast above the tab bar: "已保存，待上传" and the like) must not take the taps meant for the button
under it: on a phone it sits over the last button of a screen (保存, 结束巡查) for its 3.5 seconds."""

import pytest

from gridsafe.field.tests.test_browser import login

pytestmark = pytest.mark.browser

TAP_THROUGH = """() => {
  const toast = document.getElementById("toast");
  toast.textContent = "已保存，待网络恢复后上传";
  toast.hidden = false;  // as screens.js toast() shows it
  const box = toast.getBoundingClientRect();
  const under = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {shown: box.height > 0, tapped: under === toast || toast.contains(under) ? "toast" : under.tagName};
}"""


def test_a_message_does_not_take_the_tap_meant_for_the_button_under_it(committed_world, pwa_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, pwa_server, "nanxi_worker")
    page.wait_for_selector("#app[data-ready='1']")
    result = page.evaluate(TAP_THROUGH)
    assert result["shown"], "the message is on the screen"
    assert result["tapped"] != "toast", "a tap where the message shows reaches the page under it"
