"""Counts that stop at a cap (web.paging): the case list and the 待办 cards say "N+" past it, and every page of the
list can still be reached. The caps are lowered here so a handful of cases is "many"."""

import pytest

from gridsafe.cases.models import Case
from gridsafe.web import paging
from gridsafe.web.tests.helpers import new_case


def _login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def five_cases(people):
    return [new_case(people["nanxi_worker"]) for _ in range(5)]


def test_list_total_is_exact_up_to_the_cap(client, people, five_cases, monkeypatch):
    monkeypatch.setattr(paging, "LIST_COUNT_CAP", 100)
    page = _login(client, people["nanxi"]).get("/cases/")
    html = page.content.decode()
    visible = page.context["page"].paginator.count
    assert visible >= 5
    assert f"共 <strong>{visible}</strong> 条" in html and "+" not in page.context["page"].paginator.count_text


def test_list_total_past_the_cap_says_plus_and_pages_go_on(client, people, five_cases, monkeypatch):
    monkeypatch.setattr(paging, "LIST_COUNT_CAP", 2)
    monkeypatch.setattr("gridsafe.web.views.PAGE_SIZE", 2)
    _login(client, people["nanxi"])
    first = client.get("/cases/")
    html = first.content.decode()
    assert "共 <strong>2+</strong> 条" in html
    assert "第 1 页" in html and "第 1 /" not in html  # no page total when the total is not known
    assert 'page=2"' in html  # 下一页
    seen = [row["case"].pk for row in first.context["rows"]]
    number = 1
    while first.context["page"].has_next():
        number += 1
        first = client.get("/cases/", {"page": number})
        assert first.status_code == 200
        seen += [row["case"].pk for row in first.context["rows"]]
    # Every visible case once, newest first, as with an exact count.
    from gridsafe.cases.permissions import cases_visible_to

    expected = list(cases_visible_to(people["nanxi"]).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == expected and len(seen) >= 5
    assert "下一页" not in first.content.decode()


def test_deep_pages_read_keys_first_and_show_the_same_rows(client, people, five_cases, monkeypatch):
    """Every page's keys are read first (core.paging.page_rows): the rows are the plain slice's, in the same order."""
    monkeypatch.setattr("gridsafe.web.views.PAGE_SIZE", 2)
    _login(client, people["nanxi"])
    from gridsafe.cases.permissions import cases_visible_to

    expected = list(cases_visible_to(people["nanxi"]).order_by("-created_at", "-id").values_list("pk", flat=True))
    for cap in (2, 100):  # past the cap and under it
        monkeypatch.setattr(paging, "LIST_COUNT_CAP", cap)
        page = client.get("/cases/", {"page": 2})
        assert [row["case"].pk for row in page.context["rows"]] == expected[2:4]


def test_queue_cards_past_the_cap_say_plus(client, people, five_cases, monkeypatch):
    monkeypatch.setattr(paging, "QUEUE_COUNT_CAP", 3)
    page = _login(client, people["nanxi"]).get("/")
    queues = {q["queue"].key: q for q in page.context["queues"]}
    assert queues["open"]["count_text"] == "3+" and queues["open"]["count"] == 4
    assert '<span class="queue-count">3+</span>' in page.content.decode()
    monkeypatch.setattr(paging, "QUEUE_COUNT_CAP", 999)
    queues = {q["queue"].key: q for q in client.get("/").context["queues"]}
    open_now = Case.objects.filter(region_path__startswith=people["nanxi"].unit.region.path).exclude(state="closed")
    assert queues["open"]["count"] == open_now.count() and queues["open"]["count_text"] == str(open_now.count())
