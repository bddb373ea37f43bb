"""The pages through Django's test client: what each person sees, what they may do, and what they may not see."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridsafe.cases.events import EventKind
from gridsafe.cases.models import Case, CaseEvent
from gridsafe.core.models import AuditEvent
from gridsafe.notifications.models import Notification
from gridsafe.web.selectors import queue_count_parts, queues_for
from gridsafe.web.tests.helpers import act, jpeg, new_case
from gridsafe.web.views import STALE_MESSAGE


def _login(client, user):
    client.force_login(user)
    return client


def _post_action(client, case, action, *, htmx=True, version=None, request_id=None, **fields):
    data = {"version": version or case.version, "request_id": str(request_id or uuid.uuid4()), **fields}
    headers = {"HX-Request": "true"} if htmx else {}
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/cases/{case.pk}/actions/{action}/", data, headers=headers)


# The names of states, actions and closures: test_vocabulary.py.


# ---------------------------------------------------------------- login and logout


def test_anonymous_is_sent_to_login(client, db):
    for url in ("/", "/cases/", "/cases/1/", "/notifications/", "/cases/export.csv"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_htmx_request_without_session_gets_hx_redirect(client, db):
    response = client.get("/cases/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/login/")


def test_login_page_is_chinese_and_logs_in_with_an_audit_row(client, people):
    page = client.get("/login/")
    assert page.status_code == 200
    assert "用户名" in page.content.decode() and "登录" in page.content.decode()
    bad = client.post("/login/", {"username": "nanxi", "password": "wrong"})
    assert bad.status_code == 200 and "用户名或密码不正确" in bad.content.decode()
    good = client.post("/login/", {"username": "nanxi", "password": "gridsafe-demo"})
    assert good.status_code == 302 and good["Location"] == "/"
    assert AuditEvent.objects.filter(
        action="auth.login", actor=people["nanxi"], outcome="success", payload__via="page"
    ).exists()
    assert AuditEvent.objects.filter(action="auth.login", target="nanxi", outcome="failure").exists()
    home = client.get("/")
    assert "王建平" in home.content.decode()
    assert client.get("/logout/").status_code == 405  # logout is a POST (CSRF-protected form in the nav)
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


# ---------------------------------------------------------------- home (待办)


def test_home_queues_for_station_centre_and_department(client, people):
    case = new_case(people["nanxi_worker"])
    page = _login(client, people["nanxi"]).get("/")
    assert page.status_code == 200
    queues = {q["queue"].key: q["count"] for q in page.context["queues"]}
    assert queues["review"] == 1 and queues["open"] == 1
    assert "dispatch" not in queues  # a village station does not dispatch
    html = page.content.decode()
    assert "待研判" in html and f"#{case.pk}" in html
    assert 'href="/cases/?queue=review"' in html

    case = act(case, people["nanxi"], "escalate", reason="本级力量不能消除")
    centre = _login(client, people["bangtou"]).get("/")
    queues = {q["queue"].key: q["count"] for q in centre.context["queues"]}
    assert queues["review"] == 1 and queues["dispatch"] == 1

    case = act(case, people["bangtou"], "escalate", reason="需县级执法")
    case = act(case, people["county"], "dispatch", department_id=people["fire"].unit_id)
    fire = _login(client, people["fire"]).get("/")
    queues = {q["queue"].key: q["count"] for q in fire.context["queues"]}
    assert queues["sign"] == 1 and queues["handling"] == 0


def test_returned_and_verify_queues(client, people):
    case = new_case(people["nanxi_worker"])
    case = act(case, people["nanxi"], "escalate", reason="本级力量不能消除")
    case = act(case, people["bangtou"], "return", reason_code="incomplete", reason="请补充照片")
    queues = {q["queue"].key: q["count"] for q in _login(client, people["nanxi"]).get("/").context["queues"]}
    assert queues["returned"] == 1
    listed = client.get("/cases/?queue=returned")
    assert [r["case"].pk for r in listed.context["rows"]] == [case.pk]

    case = act(case, people["nanxi"], "assign")
    assert {q["queue"].key: q["count"] for q in client.get("/").context["queues"]}["returned"] == 0
    from gridsafe.cases.services import attachment_add

    att, _ = attachment_add(case=case, actor=people["nanxi"], client_id=uuid.uuid4(), upload=jpeg(), role="after")
    case = act(case, people["nanxi"], "submit", method="rectified", measures="已整改", attachment_ids=[att.pk])
    # The handler never sees their own work in 待核查; the grid worker of that grid does.
    assert {q["queue"].key: q["count"] for q in client.get("/").context["queues"]}["verify"] == 0
    worker = _login(client, people["nanxi_worker"]).get("/")
    assert {q["queue"].key: q["count"] for q in worker.context["queues"]}["verify"] == 1


def test_due_soon_queue_is_the_yellow_window_with_its_edges(people):
    """临期 = yellow_at <= now <= due_at (on PostgreSQL through the window's GiST index, cases.selectors): both edges
    count, a moment outside does not, and a row whose yellow time lies after its deadline is never 临期 (and can
    be stored: the index's range is built so that it never refuses a row)."""
    from datetime import timedelta

    from gridsafe.web.selectors import home_queues

    case = new_case(people["nanxi_worker"])
    case.refresh_from_db()
    assert case.yellow_at and case.due_at and case.yellow_at < case.due_at

    def due_soon(now) -> int:
        return {q["queue"].key: q["count"] for q in home_queues(people["nanxi"], now)}["due_soon"]

    second = timedelta(seconds=1)
    assert [due_soon(t) for t in (case.yellow_at - second, case.yellow_at, case.due_at, case.due_at + second)] == [
        0,
        1,
        1,
        0,
    ]
    Case.objects.filter(pk=case.pk).update(yellow_at=case.due_at + second)
    assert due_soon(case.due_at) == 0


def test_queue_counts_agree_with_the_queue_lists(people):
    """A card's count (counted in parts where that is cheaper: `queue_count_parts`) is the number of cases its
    list shows, for every post: here with a county 待核查 of both kinds (held by the department it dispatched to,
    and a station's own) beside other states."""
    from gridsafe.cases.permissions import cases_visible_to
    from gridsafe.cases.tests.helpers import Flow
    from gridsafe.web.selectors import home_queues, queue_q

    flow = Flow(people)
    flow.pending_verification()
    flow.pending_verification()
    flow.submit(flow.handling_l1(), by="nanxi")
    flow.dispatched()
    flow.pending_review_l2()
    now = timezone.now()
    seen = {}
    for user in people.values():
        counts = {q["queue"].key: q["count"] for q in home_queues(user, now)}
        visible = cases_visible_to(user).exclude(state="closed")
        for key, count in counts.items():
            assert count == visible.filter(queue_q(key, user, now)).count(), (user.username, key)
        seen[user.username] = counts.get("verify")
    assert seen["county"] == 2, seen  # the department's two, dispatched by the county centre


def _sql(captured) -> list[str]:
    """The statements of a request, without savepoints and without the session/user look-ups every page pays."""
    skip = ("SAVEPOINT", "RELEASE SAVEPOINT", 'UPDATE "django_session"')
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(skip)]


def test_home_counts_cost_one_capped_count_per_queue_whatever_the_rows(client, people):
    _login(client, people["bangtou"])
    new_case(people["nanxi_worker"])
    client.get("/")  # the first request of a process reads the grid index into its cache (max age 300 s)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for _ in range(6):
        new_case(people["nanxi_worker"], urgent=True)
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(one)
    case_queries = [sql for sql in _sql(many) if '"cases_case"' in sql]
    now = timezone.now()
    queues = sum(len(queue_count_parts(key, people["bangtou"], now)) for key in queues_for(people["bangtou"]))
    # One COUNT per queue, each over at most QUEUE_COUNT_CAP + 1 rows (web.paging), and the urgent list.
    assert len(case_queries) == queues + 1, case_queries
    assert sum("COUNT(" in sql and "LIMIT" in sql for sql in case_queries) == queues
    # + session, user, unit, unit region (+ SET LOCAL plan_cache_mode on PostgreSQL: web.selectors._custom_plans)
    assert len(_sql(many)) <= queues + 6, _sql(many)


# ---------------------------------------------------------------- the list


def test_list_filters_and_jurisdiction(client, people):
    fire_case = new_case(people["nanxi_worker"])
    gas_case = new_case(people["nanxi_worker"], category="lpg-no-inspection", description="餐馆液化气钢瓶超期未检验")
    page = _login(client, people["nanxi"]).get("/cases/")
    assert page.status_code == 200
    ids = [r["case"].pk for r in page.context["rows"]]
    assert set(ids) == {fire_case.pk, gas_case.pk}
    html = page.content.decode()
    assert "隐患列表" in html and "导出 Excel" in html and "待研判" in html

    by_text = client.get("/cases/", {"q": "液化气"})
    assert [r["case"].pk for r in by_text.context["rows"]] == [gas_case.pk]
    by_domain = client.get("/cases/", {"domain": fire_case.domain.code})
    assert [r["case"].pk for r in by_domain.context["rows"]] == [fire_case.pk]
    by_region = client.get("/cases/", {"region": fire_case.region.code, "order": "oldest"})
    assert [r["case"].pk for r in by_region.context["rows"]][0] == fire_case.pk
    assert client.get("/cases/", {"state": "closed"}).context["rows"] == []
    assert client.get("/cases/", {"light": "green", "grade": "general"}).context["page"].paginator.count == 2

    # htmx asks for the table only
    partial = client.get("/cases/", {"q": "液化气"}, headers={"HX-Request": "true", "HX-Target": "case-results"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode() and 'id="case-results"' in partial.content.decode()

    # 泉山村 is a sibling village: none of it shows.
    other = _login(client, people["quanshan"]).get("/cases/")
    assert other.context["rows"] == []
    assert f"#{fire_case.pk}" not in other.content.decode()
    assert client.get("/cases/", {"q": str(fire_case.pk)}).context["rows"] == []


def test_list_queries_do_not_grow_with_rows(client, people, django_assert_max_num_queries):
    _login(client, people["bangtou"])
    new_case(people["nanxi_worker"])
    client.get("/cases/")  # the first request of a process reads the grid index into its cache (max age 300 s)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/cases/").status_code == 200
    for _ in range(8):
        new_case(people["nanxi_worker"])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/cases/")
    assert len(response.context["rows"]) == 9
    assert len(many) == len(one), [q["sql"][:120] for q in many.captured_queries]
    # session, user, unit, unit region, domains, categories, COUNT, the page (+ session save and savepoints)
    with django_assert_max_num_queries(12):
        client.get("/cases/", {"q": "电动车", "order": "due"})


# ---------------------------------------------------------------- the case page


def test_case_page_shows_the_case_and_only_my_actions(client, people):
    case = new_case(people["nanxi_worker"], address="南溪村3号楼")
    page = _login(client, people["nanxi"]).get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "楼道内有电动车充电" in html and "南溪村3号楼" in html
    assert "剩余" in html and "工作时" in html or "分钟" in html
    assert 'data-action="escalate"' in html and 'data-action="assign"' in html
    assert 'data-action="dispatch"' not in html  # a station does not dispatch
    assert 'name="request_id"' in html and 'name="csrfmiddlewaretoken"' in html
    assert "<script>" not in html and " onclick=" not in html and "hx-on" not in html
    assert f'id="case-grid-{case.pk}" type="application/json"' in html

    worker_page = _login(client, people["nanxi_worker"]).get(f"/cases/{case.pk}/")
    worker_html = worker_page.content.decode()
    assert 'data-action="escalate"' not in worker_html and 'data-action="comment"' in worker_html


def test_case_page_is_404_out_of_jurisdiction(client, people):
    case = new_case(people["nanxi_worker"])
    _login(client, people["quanshan"])
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 404
    assert "未找到" in response.content.decode()
    assert "楼道内有电动车充电" not in response.content.decode()
    assert client.get("/cases/999999/").status_code == 404
    action = _post_action(client, case, "escalate", reason="越权")
    assert action.status_code == 404
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_nearby_same_category_cases_are_listed(client, people):
    first = new_case(people["nanxi_worker"])
    second = new_case(people["nanxi_worker"], description="同一楼道又有电动车充电")
    page = _login(client, people["nanxi"]).get(f"/cases/{second.pk}/")
    assert [n["case"].pk for n in page.context["nearby"]] == [first.pk]
    assert page.context["nearby"][0]["distance"] == 0


def test_detail_queries_do_not_grow_with_events_and_photos(client, people, django_assert_max_num_queries):
    from gridsafe.cases.services import attachment_add

    case = new_case(people["nanxi_worker"])
    _login(client, people["nanxi"])
    with CaptureQueriesContext(connection) as few:
        client.get(f"/cases/{case.pk}/")
    for n in range(4):
        attachment_add(
            case=case, actor=people["nanxi_worker"], client_id=uuid.uuid4(), upload=jpeg(colour=(n * 40, 9, 9))
        )
        case = act(case, people["nanxi"], "comment", comment=f"第{n}次备注")
        new_case(people["nanxi_worker"])  # nearby candidates too
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/cases/{case.pk}/")
    assert len(response.context["timeline"]) == 5 and len(response.context["before"]) == 4
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    # session, user, unit, region, case, attachments, events, people, 督办, nearby, assignees, the major hazard and
    # the enterprise's records (hazards) (+ session save …)
    with django_assert_max_num_queries(18):
        client.get(f"/cases/{case.pk}/")


# ---------------------------------------------------------------- actions


def test_escalate_from_the_page_calls_the_service(client, people):
    case = new_case(people["nanxi_worker"])
    _login(client, people["nanxi"])
    response = _post_action(client, case, "escalate", reason="本级力量不能消除")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="case-body"' in html and "已上报上级" in html
    case.refresh_from_db()
    assert (case.state, case.level) == ("pending_review", 2)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CASE_ESCALATED).count() == 1
    # After escalation the station has no more actions but comment/urge-like ones; escalate is gone.
    assert 'data-action="escalate"' not in html


def test_the_township_confirms_a_major_proposal_from_the_page(client, people):
    case = act(new_case(people["nanxi_worker"]), people["nanxi"], "escalate", reason="疑似重大隐患")
    _login(client, people["bangtou"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-action="regrade"' in page and "判定依据" in page

    response = _post_action(client, case, "regrade", grade="major", basis="GB 35181-2025 第5.1条")

    assert response.status_code == 200
    assert "重大隐患" in response.content.decode()
    case.refresh_from_db()
    assert case.grade == "major"
    assert CaseEvent.objects.get(case=case, kind=EventKind.CASE_REGRADED).comment == "GB 35181-2025 第5.1条"


def test_double_submit_is_a_repeat_not_a_second_action(client, people):
    case = new_case(people["nanxi_worker"])
    _login(client, people["nanxi"])
    request_id = uuid.uuid4()
    first = _post_action(client, case, "escalate", request_id=request_id, reason="本级力量不能消除")
    again = _post_action(client, case, "escalate", request_id=request_id, reason="本级力量不能消除")
    assert first.status_code == again.status_code == 200
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CASE_ESCALATED).count() == 1
    assert Case.objects.get(pk=case.pk).level == 2


def test_stale_version_is_a_message_never_an_overwrite(client, people):
    case = new_case(people["nanxi_worker"])
    seen = case.version
    act(case, people["nanxi"], "comment", comment="另一位同事先备注")
    _login(client, people["nanxi"])
    response = _post_action(client, case, "escalate", version=seen, reason="本级力量不能消除")
    assert response.status_code == 409
    assert STALE_MESSAGE in response.content.decode()
    assert response["HX-Retarget"] == "#msg-escalate"
    assert Case.objects.get(pk=case.pk).level == 1

    plain = _post_action(client, case, "escalate", htmx=False, version=seen, reason="本级力量不能消除")
    assert plain.status_code == 409 and STALE_MESSAGE in plain.content.decode() and "<html" in plain.content.decode()


def test_validation_and_permission_errors_are_messages(client, people):
    case = new_case(people["nanxi_worker"])
    _login(client, people["nanxi"])
    missing = _post_action(client, case, "escalate", reason="")
    assert missing.status_code == 422 and "上报理由" in missing.content.decode()
    not_mine = _post_action(client, case, "dispatch")
    assert not_mine.status_code == 403 and "无权" in not_mine.content.decode()
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_submit_stores_the_after_photo_and_verify_closes_resolved(client, people):
    case = new_case(people["nanxi_worker"])
    case = act(case, people["nanxi"], "assign")
    _login(client, people["nanxi"])
    no_photo = _post_action(client, case, "submit", method="rectified", measures="已整改")
    assert no_photo.status_code == 422 and "整改后照片" in no_photo.content.decode()
    case.refresh_from_db()
    response = _post_action(client, case, "submit", method="rectified", measures="已清理", photos=jpeg())
    assert response.status_code == 200, response.content.decode()[:500]
    case.refresh_from_db()
    assert case.state == "pending_verification"
    submitted = CaseEvent.objects.get(case=case, kind=EventKind.CASE_SUBMITTED)
    assert case.attachments.get(role="after").event_id == submitted.pk

    _login(client, people["nanxi_worker"])
    response = _post_action(client, case, "verify_pass", comment="现场核查已整改")
    assert response.status_code == 200
    assert "已结案·已整改销号" in response.content.decode()
    case.refresh_from_db()
    assert (case.state, case.closure) == ("closed", "resolved")


def test_plain_form_post_redirects_back_to_the_case(client, people):
    case = new_case(people["nanxi_worker"])
    _login(client, people["nanxi"])
    response = _post_action(client, case, "escalate", htmx=False, reason="本级力量不能消除")
    assert response.status_code == 303 and response["Location"].startswith(f"/cases/{case.pk}/")


# ---------------------------------------------------------------- notifications


def test_inbox_badge_toast_and_mark_read(client, people):
    case = new_case(people["nanxi_worker"])  # lands on the 南溪村 station desk
    assert not Notification.objects.filter(user=people["nanxi"], case=case).exists()  # written when nanxi looks
    _login(client, people["nanxi"])
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200 and f"#{case.pk}" in inbox.content.decode()
    assert Notification.objects.filter(user=people["nanxi"], case=case).exists()

    first_poll = client.get("/notifications/poll/")
    assert 'class="badge"' in first_poll.content.decode() and "toast" not in first_poll.content.decode()
    grew = client.get("/notifications/poll/", {"seen": "0"})
    assert "新消息" in grew.content.decode() and grew["HX-Trigger"] == "gridsafe:notified"

    note = Notification.objects.get(user=people["nanxi"], case=case)
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'class="badge"' not in client.get("/notifications/poll/").content.decode()

    act(case, people["nanxi"], "comment", comment="x")  # nothing new for nanxi (own action)
    new_case(people["nanxi_worker"])
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=people["nanxi"], read_at__isnull=True).exists()


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(client, people):
    case = new_case(people["nanxi_worker"])
    _login(client, people["nanxi"])
    assert f"#{case.pk}" in client.get("/notifications/").content.decode()
    note = Notification.objects.get(user=people["nanxi"], case=case)
    response = client.get(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    # someone else's notification is not found
    _login(client, people["quanshan"])
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 404


def test_a_message_about_a_case_that_left_the_desk_says_so_instead_of_a_404(client, people):
    """县消防 hears of a dispatch, returns the case (非本单位职责) and no longer sees it: its message opens the inbox
    with a word on why, not a dead link (found on the demo: fire_lead's old 派遣 messages led to 404s)."""
    from gridsafe.cases.tests.helpers import Flow

    flow = Flow(people)
    case = flow.dispatched()
    _login(client, people["fire"])
    assert f"#{case.pk}" in client.get("/notifications/").content.decode()
    note = Notification.objects.get(user=people["fire"], case=case)
    assert client.get(f"/notifications/{note.pk}/open/")["Location"] == f"/cases/{case.pk}/"
    flow.act(case, "return", "fire", reason_code="not_our_duty", reason="燃气为主")
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    opened = client.get(f"/notifications/{note.pk}/open/", follow=True)
    assert opened.status_code == 200
    assert f"隐患 #{case.pk} 已退回、转出或改派" in opened.content.decode()


def test_poll_is_the_desk_catch_up_and_one_count(client, people):
    _login(client, people["nanxi"])
    client.get("/notifications/poll/")  # the first look starts the desk's cursor
    new_case(people["nanxi_worker"])
    new_case(people["nanxi_worker"])
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/notifications/poll/")
    assert 'aria-label="2 条未读"' in response.content.decode()
    own = [q["sql"].strip() for q in captured.captured_queries if "notification" in q["sql"]]
    # the desk's cursor, its new events in one INSERT … SELECT however many there are, the badge's COUNT
    assert [sql.split()[0] for sql in own] == ["SELECT", "INSERT", "SELECT"], own
    assert "deskcursor" in own[0] and own[2].startswith("SELECT COUNT(*)")
    # beyond them only the session (read; a poll never saves it) and the user
    assert len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]) <= 6


@pytest.mark.parametrize("url", ["/", "/cases/", "/notifications/"])
def test_pages_carry_no_inline_script(client, people, url):
    html = _login(client, people["county"]).get(url).content.decode()
    assert "<script>" not in html and '<script type="text/javascript">' not in html
    assert " onclick=" not in html and " onchange=" not in html and " onload=" not in html
