"""The desk's pages (issue 14): 隐患登记 at the station, township and county desks; the case page's joint-handling,
back-to-the-worker and correction forms; the stage whose clock runs, in the header."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.cases.tests.helpers import grid_point, village_grid_point
from gridsafe.core.fields import PREFIX
from gridsafe.web.tests.helpers import act, jpeg, new_case


def _register(client, user, **fields):
    client.force_login(user)
    lon, lat = village_grid_point("南溪村")
    data = {
        "client_id": str(uuid.uuid4()),
        "source": "hotline",
        "caller_name": "陈晓红",
        "caller_phone": "13812345678",
        "category": "fire-escape-blocked",
        "description": "市民来电：商场安全出口被货物堵塞",
        "lon": lon,
        "lat": lat,
        "start_level": 1,
        **fields,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/cases/new/", data), data


def test_the_desk_registers_a_hotline_case_with_a_sealed_masked_caller_and_a_photo(client, people):
    client.force_login(people["nanxi"])
    page = client.get("/cases/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "隐患登记" in html and "12345 热线" in html and "起始层级" in html
    assert "县网格化中心" not in html.split('name="start_level"')[1].split("</select>")[0]  # a station: village only

    response, data = _register(client, people["nanxi"], photos=jpeg("scene.jpg"))

    assert response.status_code == 303, response.content.decode()[:2000]
    case = Case.objects.get(client_id=data["client_id"])
    assert response["Location"] == f"/cases/{case.pk}/?done=register"
    assert (case.source, case.level, case.reporter_id) == ("hotline", 1, people["nanxi"].pk)
    assert case.attachments.filter(role="report").count() == 1
    # Sealed at rest: the column holds ciphertext, never the phone number.
    with connection.cursor() as cursor:
        cursor.execute("SELECT caller_phone, caller_name FROM cases_case WHERE id = %s", [case.pk])
        phone, name = cursor.fetchone()
    assert phone.startswith(PREFIX) and "13812345678" not in phone and name.startswith(PREFIX)
    # Masked on display.
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert "138****5678" in detail and "陈*" in detail and "13812345678" not in detail
    assert "12345" in detail  # the source is named


def test_a_resubmit_of_the_same_form_lands_once(client, people):
    first, data = _register(client, people["bangtou"], start_level=2, source="video", caller_name="", caller_phone="")
    assert first.status_code == 303
    again, _ = _register(client, people["bangtou"], **{**data, "start_level": 2})
    assert again.status_code == 303 and again["Location"] == first["Location"]
    assert Case.objects.filter(client_id=data["client_id"]).count() == 1
    case = Case.objects.get(client_id=data["client_id"])
    assert (case.source, case.level, case.holder_unit_id) == ("video", 2, people["bangtou"].unit_id)


def test_the_county_may_start_at_the_county_and_a_station_may_not(client, people):
    county, _ = _register(client, people["county"], start_level=3, source="leader")
    assert county.status_code == 303
    case = Case.objects.get(pk=int(county["Location"].split("/")[2]))
    assert (case.level, case.source) == (3, "leader")
    refused, _ = _register(client, people["nanxi"], start_level=3)
    assert refused.status_code == 422


def test_registration_outside_the_desks_area_is_refused_and_the_page_is_not_there_for_workers(client, people):
    far = grid_point(people["licheng_worker"])
    outside, _ = _register(client, people["nanxi"], lon=far[0], lat=far[1])
    assert outside.status_code == 422
    assert "不在您的辖区" in outside.content.decode()
    client.force_login(people["nanxi_worker"])
    assert client.get("/cases/new/").status_code == 404
    client.force_login(people["fire"])
    assert client.get("/cases/new/").status_code == 404
    assert client.get("/cases/new/search/?q=南溪").status_code == 404


def test_missing_location_is_a_clear_error(client, people):
    response, _ = _register(client, people["nanxi"], lon="", lat="")
    assert response.status_code == 422
    assert "请在地图上点选位置或搜索地点" in response.content.decode()


def test_nearby_duplicates_and_search_keep_to_the_desk(client, people):
    existing = new_case(people["nanxi_worker"], category="fire-escape-blocked")
    client.force_login(people["nanxi"])
    nearby = client.get(
        "/cases/new/nearby/", {"category": "fire-escape-blocked", "lon": existing.lon, "lat": existing.lat}
    )
    assert f"#{existing.pk}" in nearby.content.decode() and "附近已有" in nearby.content.decode()
    client.force_login(people["quanshan"])  # the next village's desk does not see it
    hidden = client.get(
        "/cases/new/nearby/", {"category": "fire-escape-blocked", "lon": existing.lon, "lat": existing.lat}
    )
    assert f"#{existing.pk}" not in hidden.content.decode()
    client.force_login(people["nanxi"])
    found = client.get("/cases/new/search/", {"q": "南溪"}).content.decode()
    assert "南溪" in found and "data-lon" in found
    assert "泉山" not in client.get("/cases/new/search/", {"q": "泉山"}).content.decode().split("没有找到")[0]


def test_a_callers_whole_address_finds_the_village_it_names(client, people):
    """The desk types the address as the caller says it: no name holds the whole text, the names inside it are
    offered, the village before its township; still only within the desk's 辖区."""
    address = "榜头镇南溪村后山路口液化气店门口"
    client.force_login(people["county"])
    hits = client.get("/cases/new/search/", {"q": address}).content.decode()
    assert 'data-name="南溪村"' in hits and 'data-name="榜头镇"' in hits
    assert hits.index('data-name="南溪村"') < hits.index('data-name="榜头镇"')
    client.force_login(people["quanshan"])  # the next village's desk: 南溪村 is not its own
    assert 'data-name="南溪村"' not in client.get("/cases/new/search/", {"q": address}).content.decode()


def test_registered_sources_count_on_the_dashboards(client, people):
    """Hotline and walk-in cases registered here are counted by source (they were always 0 before)."""
    from gridsafe.dashboards.models import StatCell

    before = sum(StatCell.objects.filter(scope="r", grain="d").values_list("src_hotline", flat=True))
    response, _ = _register(client, people["nanxi"])
    assert response.status_code == 303
    after = sum(StatCell.objects.filter(scope="r", grain="d").values_list("src_hotline", flat=True))
    assert after > before
    walk_in, _ = _register(client, people["nanxi"], source="walk_in", caller_name="林阿婆")
    assert walk_in.status_code == 303
    assert sum(StatCell.objects.filter(scope="r", grain="d").values_list("src_walk_in", flat=True)) >= 1
    assert "群众来访" in client.get(walk_in["Location"]).content.decode()


# ---------------------------------------------------------------- the case page


def _post(client, case, action, **fields):
    data = {"version": case.version, "request_id": str(uuid.uuid4()), **fields}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/cases/{case.pk}/actions/{action}/", data, headers={"HX-Request": "true"})


def test_the_header_names_the_stage_whose_clock_runs_and_shows_the_pause(client, people):
    case = new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-clock-step"' in page
    asked = _post(client, case, "request_info", reason="请补拍现场照片")
    assert asked.status_code == 200, asked.content.decode()[:1000]
    body = asked.content.decode()
    assert "计时暂停" in body and "等待 王芳 补充" in body
    queues = {q["queue"].key: q["count"] for q in client.get("/").context["queues"]}
    assert queues["with_worker"] == 1  # the desk sees what it is waiting for
    client.force_login(people["nanxi_worker"])
    case = Case.objects.get(pk=case.pk)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "核实补充" in page
    answered = _post(client, case, "supply_info", answer="已补拍")
    assert answered.status_code == 200
    assert Case.objects.get(pk=case.pk).with_worker_id is None


def test_dispatch_with_co_handlers_and_a_deadline_from_the_page(client, people):
    case = new_case(people["nanxi_worker"])
    case = act(case, people["nanxi"], "escalate", reason="本级力量不能消除")
    case = act(case, people["bangtou"], "escalate", reason="需县级部门")
    client.force_login(people["county"])
    form = client.get(f"/cases/{case.pk}/").content.decode()
    assert "协办部门" in form and "处置期限" in form
    gas, fire = people["gas"].unit_id, people["fire"].unit_id
    due = timezone.localtime(timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT17:00")
    done = _post(client, case, "dispatch", department_id=fire, co_department_ids=[gas], due_at=due, comment="")
    assert done.status_code == 200, done.content.decode()[:1000]
    case = Case.objects.get(pk=case.pk)
    assert case.parts.get().department_id == gas
    client.force_login(people["gas"])
    queues = {q["queue"].key: q["count"] for q in client.get("/").context["queues"]}
    assert queues["assist"] == 1  # the co-handler's 待办: 协办
    assert [r["case"].pk for r in client.get("/cases/?queue=assist").context["rows"]] == [case.pk]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "协办签收" in page and "协办反馈" in page and "协办部门" in page
    event = CaseEvent.objects.filter(case=case, kind="case.dispatched").get()
    assert event.payload["co_departments"]


@pytest.mark.parametrize("who", ["quanshan", "gas", "licheng_worker"])
def test_the_new_actions_are_404_out_of_jurisdiction(client, people, who):
    case = new_case(people["nanxi_worker"])
    client.force_login(people[who])
    for action, fields in (
        ("request_info", {"reason": "x"}),
        ("correct", {"reason": "x", "category": "fire-escape-blocked"}),
        ("assist_start", {}),
        ("supply_info", {"answer": "x"}),
    ):
        assert _post(client, case, action, **fields).status_code == 404, action
