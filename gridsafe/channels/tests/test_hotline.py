"""12345 工单 against a local platform speaking the contract of docs/hotline-12345.md: a signed work order becomes a
case at the county desk (idempotent by 工单编号), is handled through the case services, and its 签收 and 办结回复
(result and photos) reach the platform; a 作废 goes back as 退单; an outage is retried with backoff from the outbox;
the platform's 回访 is recorded on the case and counted in 12345满意率."""

import base64
import hashlib
import json
import time
from datetime import timedelta

from django.db import connection

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.channels.models import CitizenRequest, HotlineOrder, HotlineOutbox, OrderState, PushState
from gridsafe.channels.services.hotline import hotline_outbox_flush
from gridsafe.channels.tests.conftest import SECRET
from gridsafe.core import clock
from gridsafe.core.signing import sign
from gridsafe.dashboards.kpis import kpi_values
from gridsafe.dashboards.models import Grain, Scope, StatCell

URL = "/api/v1/channels/hotline/orders"


def _post(client, path, doc, *, secret=SECRET, ts=None):
    body = json.dumps(doc, ensure_ascii=False).encode()
    ts = str(int(ts if ts is not None else time.time()))
    return client.post(
        path,
        body,
        content_type="application/json",
        headers={"X-GridSafe-Timestamp": ts, "X-GridSafe-Signature": sign(secret, ts, body)},
    )


ORDER = {
    "order_no": "FJ12345-20261206-0001",
    "content": "来电反映榜头镇南溪村一栋出租房楼道里每天晚上有电动车充电，担心起火。",
    "caller_name": "陈秀英",
    "caller_phone": "13905941234",
    "address": "仙游县榜头镇南溪村",
    "deadline": "2026-12-11T17:30:00+08:00",
}


def test_a_work_order_becomes_a_case_is_handled_and_its_reply_reaches_the_platform(
    client, flow, platform12345, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, URL, ORDER)
    assert first.status_code == 201, first.content
    case = Case.objects.get(pk=first.json()["case_id"])
    assert (case.source, case.level, case.state) == ("hotline", 3, "pending_review")
    assert case.category.code == "fire-ebike-indoor"  # from the 诉求's words (电动车, 楼道, 充电)
    assert case.region_path.startswith("350322.101.")  # 榜头镇: the text names 南溪村
    assert "南溪村" in case.region.parent.name
    assert case.caller_phone == "13905941234"  # sealed at rest, read back through the field
    with connection.cursor() as cursor:
        cursor.execute("SELECT caller_phone FROM cases_case WHERE id = %s", [case.pk])
        [stored] = cursor.fetchone()
    assert "13905941234" not in stored
    order = HotlineOrder.objects.get(order_no=ORDER["order_no"])
    assert (order.state, order.caller_name) == (OrderState.SIGNED, "陈秀英")
    assert order.due_at.isoformat() == "2026-12-11T09:30:00+00:00"
    assert "办理时限 2026-12-11 17:30" in case.description  # the platform's deadline, for the desk
    assert platform12345.kinds() == ["sign"]
    assert platform12345.received[0]["body"]["case_no"] == case.pk

    # The platform sends it again (it did not hear our answer): the same case, no second sign.
    with django_capture_on_commit_callbacks(execute=True):
        again = _post(client, URL, ORDER)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert Case.objects.filter(source="hotline", description__contains=ORDER["order_no"]).count() == 1
    assert platform12345.kinds() == ["sign"]

    # The county dispatches, 消防 signs, fixes and submits with a photo; the county lead verifies: 办结.
    with django_capture_on_commit_callbacks(execute=True):
        case = flow.act(case, "dispatch", "county")
        case = flow.act(case, "start", "fire")
        photo = flow.photo(case, "fire")
        case = flow.act(
            case, "submit", "fire", method="rectified", measures="已清理楼道，加装充电柜", attachment_ids=[photo]
        )
        case = flow.act(case, "verify_pass", "county_lead", comment="现场核查已整改")
    assert platform12345.kinds() == ["sign", "reply"]
    reply = platform12345.received[1]
    assert reply["path"] == f"/api/orders/{ORDER['order_no']}/reply"
    assert reply["body"]["result"] == "已清理楼道，加装充电柜"
    assert reply["body"]["order_no"] == ORDER["order_no"]
    [picture] = reply["body"]["photos"]
    assert hashlib.sha256(base64.b64decode(picture["data"])).hexdigest() == picture["sha256"]
    assert HotlineOrder.objects.get(pk=order.pk).state == OrderState.REPLIED
    assert set(HotlineOutbox.objects.filter(order=order).values_list("state", flat=True)) == {PushState.SENT}

    # 回访: satisfied. Recorded on the case's timeline and counted in 12345满意率 (the county's rollup).
    visit = _post(client, f"{URL}/{ORDER['order_no']}/visit", {"satisfaction": "satisfied", "comment": "处理很及时"})
    assert visit.status_code == 200, visit.content
    note = CaseEvent.objects.filter(case=case, kind="case.commented").last()
    assert note.comment == "12345回访：满意。处理很及时"
    counts = {
        "f_visits": 0,
        "f_satisfied": 0,
    }
    for cell in StatCell.objects.filter(scope=Scope.REGION, grain=Grain.MONTH, node=350322):
        counts["f_visits"] += cell.f_visits
        counts["f_satisfied"] += cell.f_satisfied
    assert counts == {"f_visits": 1, "f_satisfied": 1}
    assert kpi_values(counts)["hotline_satisfaction"]["value"] == 100.0
    # A second 回访 of the same order changes nothing.
    _post(client, f"{URL}/{ORDER['order_no']}/visit", {"satisfaction": "dissatisfied"})
    assert HotlineOrder.objects.get(pk=order.pk).satisfaction == "satisfied"


def test_forged_or_stale_orders_are_refused_and_bad_bodies_are_clear(db, client, platform12345):
    assert _post(client, URL, ORDER, secret="wrong").status_code == 401
    assert _post(client, URL, ORDER, ts=time.time() - 600).status_code == 401
    bad = _post(client, URL, {**ORDER, "content": ""})
    assert bad.status_code == 422
    assert "content" in bad.json()["detail"]
    assert not HotlineOrder.objects.exists()


def test_a_refused_order_goes_back_as_a_return_and_an_outage_is_retried_from_the_outbox(
    client, flow, platform12345, django_capture_on_commit_callbacks
):
    platform12345.fail_next = 1  # the platform is down for our 签收
    order = {**ORDER, "order_no": "FJ12345-20261206-0002", "category": "fire-escape-blocked", "address": "鲤城街道"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, URL, order)
    assert response.status_code == 201
    push = HotlineOutbox.objects.get(order__order_no=order["order_no"], kind="sign")
    assert (push.state, push.attempts) == (PushState.PENDING, 1)
    assert "503" in push.last_error
    assert platform12345.received == []
    assert hotline_outbox_flush() == 0  # not due yet: backoff
    with clock.frozen(clock.now() + timedelta(minutes=1)):
        assert hotline_outbox_flush() == 1
    assert platform12345.kinds() == ["sign"]
    assert platform12345.received[0]["body"]["push_id"] == push.pk  # the platform deduplicates by it

    case = Case.objects.get(pk=response.json()["case_id"])
    with django_capture_on_commit_callbacks(execute=True):
        flow.act(case, "void", "county_lead", reason_code="not_hazard", reason="现场为正常通道，无堵塞")
    assert platform12345.kinds() == ["sign", "return"]
    assert platform12345.received[1]["body"]["reason"].endswith("现场为正常通道，无堵塞")
    assert HotlineOrder.objects.get(order_no=order["order_no"]).state == OrderState.RETURNED


def test_an_extension_request_is_pushed(client, flow, platform12345, django_capture_on_commit_callbacks):
    order = {**ORDER, "order_no": "FJ12345-20261206-0003", "category": "fire-ebike-indoor"}
    with django_capture_on_commit_callbacks(execute=True):
        case = Case.objects.get(pk=_post(client, URL, order).json()["case_id"])
        case = flow.act(case, "dispatch", "county")
        case = flow.act(case, "start", "fire")
        due = (clock.now() + timedelta(days=20)).replace(microsecond=0)
        flow.act(case, "request_extension", "fire", requested_due=due, reason="需采购充电柜")
    assert platform12345.kinds() == ["sign", "extend"]
    body = platform12345.received[1]["body"]
    assert body["reason"] == "需采购充电柜"
    assert body["requested_due"].startswith(due.date().isoformat()[:7])


def test_the_demo_gives_the_channels_life(db, settings, django_capture_on_commit_callbacks):
    from gridsafe.channels.demo import seed_channels_demo

    settings.GRIDSAFE_HOTLINE_BASE_URL = ""  # the demo has no platform: its pushes are marked sent
    with django_capture_on_commit_callbacks(execute=True):
        summary = seed_channels_demo(orders=12, requests=8)
    assert "12345 工单 12 件" in summary
    assert HotlineOrder.objects.filter(state=OrderState.REPLIED, satisfaction__gt="").exists()
    assert not HotlineOutbox.objects.exclude(state=PushState.SENT).exists()
    assert CitizenRequest.objects.filter(state="pending").count() == 5  # waiting for the desk
    assert Case.objects.filter(source="citizen").exists()


def test_orders_pulled_from_a_platform_that_cannot_push(db, platform12345, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    platform12345.new_orders = [{**ORDER, "order_no": "FJ12345-PULL-1"}, {**ORDER, "order_no": "FJ12345-PULL-2"}]
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("hotline_pull", stdout=out)
        call_command("hotline_pull", stdout=out)  # pulled again: nothing new
    assert out.getvalue().splitlines() == ["拉取 2 件，新登记 2 件", "拉取 2 件，新登记 0 件"]
    assert Case.objects.filter(source="hotline").count() == 2
    assert platform12345.kinds() == ["sign", "sign"]


def test_without_a_platform_address_replies_wait_untried_and_go_once_it_is_set(
    db, client, settings, platform12345, django_capture_on_commit_callbacks
):
    url = settings.GRIDSAFE_HOTLINE_BASE_URL
    settings.GRIDSAFE_HOTLINE_BASE_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, URL, {**ORDER, "order_no": "FJ12345-WAIT-1"}).status_code == 201
    push = HotlineOutbox.objects.get(order__order_no="FJ12345-WAIT-1")
    assert (push.state, push.attempts, push.last_error) == (PushState.PENDING, 0, "")
    assert hotline_outbox_flush() == 0
    settings.GRIDSAFE_HOTLINE_BASE_URL = url
    assert hotline_outbox_flush() == 1
    assert platform12345.kinds() == ["sign"]
