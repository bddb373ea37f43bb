"""The major-hazard steps in headless Chromium: from the case page to 挂牌督办 and the 治理方案 through the forms, a
Chinese error on a missing field with nothing typed lost, and the 挂牌督办通知书 downloaded as a real DOCX."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from gridsafe.cases.tests.helpers import Flow
from gridsafe.core import clock
from gridsafe.dashboards.tests.conftest import session_cookie
from gridsafe.hazards.models import MajorHazard
from gridsafe.hazards.tests.test_major_hazard import BASIS, PLAN

pytestmark = pytest.mark.browser


def test_major_hazard_steps_in_the_browser(committed_world, serial_live_server, browser_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    flow = Flow(committed_world)
    case = flow.act(flow.handling_dept(), "regrade", "fire", grade="major", basis=BASIS)
    hazard = MajorHazard.objects.get(case=case)
    page = browser_page
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.context.add_cookies([session_cookie(committed_world["fire"], serial_live_server)])

    page.goto(f"{serial_live_server}/cases/{case.pk}/")
    page.click("#major-hazard-link a")
    page.wait_for_selector("#form-listing")
    deadline = (timezone.localdate(clock.now()) + timedelta(days=30)).isoformat()
    page.fill("#form-listing input[name=public_title]", "楼道电动车集中充电")
    page.fill("#form-listing input[name=rectify_by]", deadline)
    page.fill("#form-listing input[name=supervising_body]", " ")
    page.click("#form-listing button[type=submit]")
    page.wait_for_selector("#major-error")
    assert "督办单位" in page.text_content("#major-error")
    assert page.input_value("#form-listing input[name=public_title]") == "楼道电动车集中充电"  # nothing typed is lost

    page.fill("#form-listing input[name=supervising_body]", "仙游县安全生产委员会办公室")
    page.click("#form-listing button[type=submit]")
    page.wait_for_selector("#notice-no")
    hazard.refresh_from_db()
    assert page.text_content("#notice-no") == hazard.notice_no and "挂牌督办" in page.text_content("#major-state")

    for key, text in PLAN.items():
        page.fill(f"#form-plan textarea[name=plan_{key}]", text)
    page.fill("#form-plan input[name=funds_wan]", "12")
    page.click("#form-plan button[type=submit]")
    page.wait_for_function("document.querySelector('#major-state').textContent.includes('治理中')")
    assert PLAN["emergency"] in page.text_content("main")

    with page.expect_download() as info:
        page.click("#major-documents a[href$='notice.docx']")
    from docx import Document

    body = open(info.value.path(), "rb").read()
    text = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    assert "挂牌督办通知书" in text and hazard.notice_no in text
    # the one failed response is the refused step (422, shown on the page); nothing else failed, no script error
    assert [(status, url.split("/hazards/")[-1]) for status, url in failed] == [(422, f"{hazard.pk}/steps/listing/")]
    assert [e for e in page.console_errors if "status of 422" not in e] == [], page.console_errors
