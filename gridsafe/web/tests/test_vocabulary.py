"""One vocabulary: a state, an action or a closure has one name (the model choice's label in the zh-hans catalogue),
the same on the case page, the case list, the field app's bundle, the XLSX export, the admin and the dashboards.
A page that wants another wording names another concept (the 待签收 queue of a department), never relabels a state."""

import io
import re
import uuid

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from gridsafe.accounts.models import Role, User
from gridsafe.cases.transitions import Action, Closure, State, state_text
from gridsafe.web.forms import ACTION_FORMS
from gridsafe.web.tests.helpers import act, new_case
from gridsafe.web.views import EXPORT_COLUMNS


def _dispatched(people):
    case = new_case(people["nanxi_worker"])
    case = act(case, people["nanxi"], "escalate", reason="本级力量不能消除")
    case = act(case, people["bangtou"], "escalate", reason="需县级执法")
    return act(case, people["county"], "dispatch", department_id=people["fire"].unit_id)


def _state_spans(html: str) -> list[str]:
    return re.findall(r'<span class="state state-dispatched[^"]*"[^>]*>([^<]*)</span>', html)


def test_the_catalogue_names_every_state_action_and_closure():
    assert str(State.DISPATCHED.label) == "已派遣"  # the state; 待签收 is the department's queue (web/selectors.py)
    assert str(Action.ESCALATE.label) == "上报上级"  # not a bare 上报, which is how a hazard is reported
    assert state_text("closed", "resolved") == "已结案·已整改销号"
    assert state_text("closed", "invalid") == "已结案·已作废"
    assert set(ACTION_FORMS) == set(Action)
    for choices in (State, Action, Closure):
        for member in choices:
            assert re.search(r"[\u4e00-\u9fff]", str(member.label)), member
            assert "(" not in str(member.label), member  # the Chinese term alone, not the English msgid


def test_a_dispatched_case_is_named_alike_on_every_surface(client, people, api_as):
    case = _dispatched(people)
    name = str(State.DISPATCHED.label)

    # the case page
    client.force_login(people["county"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert re.search(rf'id="case-state">{name}</span>', page)

    # the case list
    listing = client.get("/cases/", {"state": "dispatched"}).content.decode()
    assert _state_spans(listing) == [name]

    # the XLSX export
    response = client.get("/cases/export.xlsx", {"state": "dispatched"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    row = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert row["状态"] == name

    # the admin (the audit administrator reads business data there)
    auditor = User(username="auditor-vocab", display_name="审计", role=Role.AUDIT_ADMIN, is_staff=True)
    auditor.set_unusable_password()
    auditor.save()
    client.force_login(auditor)
    admin_page = client.get(reverse("admin:cases_case_changelist"), {"state__exact": "dispatched"}).content.decode()
    assert f'<td class="field-state_label">{name}</td>' in admin_page
    events = client.get(reverse("admin:cases_caseevent_changelist"), {"q": case.pk, "kind": "case.dispatched"})
    assert f'<td class="field-to_state_label">{name}</td>' in events.content.decode()
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 200

    # the field app: the bundle carries the names, and the case brief uses them
    bundle = api_as("fire").get("/api/v1/field/sync").json()
    assert bundle["labels"]["states"] == {value: str(label) for value, label in State.choices}
    assert bundle["labels"]["states"]["dispatched"] == name
    worker = api_as("nanxi_worker").get("/api/v1/field/sync").json()
    briefs = [c for c in worker["open_cases"] if c["id"] == case.pk]
    assert [c["state_label"] for c in briefs] == [name]

    # 待签收 stays, as the name of the department's queue
    client.force_login(people["fire"])
    home = client.get("/").content.decode()
    assert "待签收" in home and name in home


def test_a_closed_case_names_its_closure_alike_on_the_page_and_in_the_export(client, people):
    case = new_case(people["nanxi_worker"], description="误报：不是隐患")
    case = act(case, people["nanxi"], "void", reason_code="not_hazard", reason="现场核实不是隐患")
    client.force_login(people["nanxi"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-state">已结案·已作废</span>' in page
    response = client.get("/cases/export.xlsx", {"state": "closed"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    row = {r[0]: dict(zip(EXPORT_COLUMNS, r, strict=True)) for r in rows[1:]}[case.pk]
    assert row["状态"] == "已结案·已作废" and row["结案方式"] == str(Closure.INVALID.label)


def test_action_buttons_and_the_success_message_use_the_action_name(client, people):
    case = new_case(people["nanxi_worker"])
    client.force_login(people["nanxi"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"确认{Action.ESCALATE.label}" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/cases/{case.pk}/actions/escalate/",
            {"version": case.version, "request_id": str(uuid.uuid4()), "reason": "本级力量不能消除"},
            headers={"HX-Request": "true"},
        )
    assert f"已{Action.ESCALATE.label}：#{case.pk} 现为“{State.PENDING_REVIEW.label}”" in response.content.decode()


@pytest.mark.parametrize("metric", ["now:open_dispatched"])
def test_dashboard_gauges_name_open_cases_by_their_state(metric):
    from gridsafe.dashboards.drill import metric_label
    from gridsafe.dashboards.selectors import GAUGE_LABELS

    assert {k: str(v) for k, v in GAUGE_LABELS.items() if k.startswith("open_")} == {
        f"open_{s.value}": str(s.label) for s in State if s != State.CLOSED
    }
    assert metric_label(metric) == f"当前{State.DISPATCHED.label}"
