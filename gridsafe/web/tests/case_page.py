"""Driving the case page's action forms in a real browser: shared by the end-to-end tests."""


def confirm(page, action: str, expected_state: str) -> None:
    """Press the action's confirm button and wait for the htmx answer; the page body is swapped in place."""
    details = page.locator(f"details[data-action={action}]")
    # The last action's banner may name the same state (协办 feedback leaves the case 处置中): drop it, so that the
    # wait below is for this action's own answer and not an old one still on the page.
    page.evaluate("document.querySelectorAll('#case-body > .msg-success').forEach((banner) => banner.remove())")
    with page.expect_response(lambda r: f"/actions/{action}/" in r.url) as answer:
        details.locator("button[type=submit]").click()
    assert answer.value.status == 200, page.locator(f"#msg-{action}").inner_text()
    page.wait_for_selector(f"#case-body > .msg-success:has-text('{expected_state}')")
    assert page.locator("#case-state").inner_text() == expected_state
