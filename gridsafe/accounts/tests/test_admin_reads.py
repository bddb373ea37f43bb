"""三员分立 in the admin: the 系统管理员 (and the 安全管理员) read no business data — cases, their events,
attachments with their capture location, supervisions, places; the 审计管理员 reads them read-only, personal data
masked, and every admin read of personal data (a list page, a record page) is an audit row."""

import uuid

import pytest
from django.urls import reverse

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Attachment, Case, CaseEvent, Supervision
from gridsafe.core import clock
from gridsafe.core.models import AuditEvent
from gridsafe.field.tests.conftest import make_place
from gridsafe.places.models import Place
from gridsafe.web.tests.test_map import _grid, make_case

BUSINESS_DATA = (Case, CaseEvent, Attachment, Supervision, Place)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _staff(username: str, role: str) -> User:
    user = User(username=username, display_name=username, role=role, is_staff=True)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def rows(db):
    grid = _grid("泉山村")
    case = make_case(grid, "red")
    event = CaseEvent.objects.create(
        case=case,
        request_id=uuid.uuid4(),
        kind="case.commented",
        actor_label="测试",
        created_at=case.created_at,
        ip="10.1.2.3",
        payload={"lon": 118.987654, "lat": 25.123456, "attachment_ids": []},
    )
    attachment = Attachment.objects.create(
        client_id=uuid.uuid4(),
        case=case,
        file="cases/2026/12/x.jpg",
        original_name="现场.jpg",
        content_type="image/jpeg",
        size=10,
        sha256="0" * 64,
        capture_lon=118.123456,
        capture_lat=25.654321,
        created_at=clock.now(),
    )
    supervision = Supervision.objects.create(
        case=case, level="county", target_unit=case.holder_unit, issued_at=clock.now(), reply_due=clock.now()
    )
    place = make_place(grid)
    return {Case: case, CaseEvent: event, Attachment: attachment, Supervision: supervision, Place: place}


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.ADMIN, Role.SECURITY_ADMIN])
def test_account_and_security_administrators_open_no_business_data(client, rows, role):
    user = _staff(f"x-{role}", role)
    if role == Role.ADMIN:
        User.objects.filter(pk=user.pk).update(is_superuser=True)  # as the demo's all-round administrator
    client.force_login(user)
    for model, obj in rows.items():
        assert client.get(_url(model, "changelist")).status_code == 403, model
        assert client.get(_url(model, "change", obj.pk)).status_code == 403, model
    index = client.get("/admin/").content.decode()
    assert "/admin/cases/" not in index and "/admin/places/" not in index
    assert not AuditEvent.objects.filter(action="admin.view", actor=user).exists()


def test_the_auditor_reads_business_data_masked_and_every_read_is_audited(client, rows):
    auditor = _staff("auditor8", Role.AUDIT_ADMIN)
    client.force_login(auditor)
    for model, obj in rows.items():
        listing = client.get(_url(model, "changelist"), {"q": ""})
        assert listing.status_code == 200, model
        row = AuditEvent.objects.filter(action="admin.view", actor=auditor).order_by("-seq").first()
        assert row.target == f"{model._meta.label_lower}:list" and obj.pk in row.payload["ids"]
        assert row.payload["count"] >= 1 and row.ip == "127.0.0.1"
        page = client.get(_url(model, "change", obj.pk))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), model
        row = AuditEvent.objects.filter(action="admin.view", actor=auditor).order_by("-seq").first()
        assert row.target == f"{model._meta.label_lower}:{obj.pk}"
    # Masked where shown: the capture point to about a kilometre, the event's client address not at all, the
    # place's contact masked.
    attachment = client.get(_url(Attachment, "change", rows[Attachment].pk)).content.decode()
    assert "约 118.12, 25.65" in attachment and "118.123456" not in attachment and "25.654321" not in attachment
    event = client.get(_url(CaseEvent, "change", rows[CaseEvent].pk)).content.decode()
    assert "10.1.2.3" not in event and "118.987654" not in event and "25.123456" not in event
    assert "118.99" in event and "25.12" in event
    place = client.get(_url(Place, "change", rows[Place].pk)).content.decode()
    assert "138****5678" in place and "13812345678" not in place and "林建华" not in place
    response = client.get(_url(Case, "change", rows[Case].pk))
    case = response.content.decode()
    assert "raw_lon" not in case and "client_fingerprint" not in case
    inlines = {inline.formset.model: len(inline.formset.forms) for inline in response.context["inline_admin_formsets"]}
    assert inlines == {CaseEvent: 1, Attachment: 1}  # the timeline and the files, shown to the auditor


def test_reading_an_account_in_the_admin_is_audited(client, people):
    system = _staff("sysadmin8", Role.SYSTEM_ADMIN)
    client.force_login(system)
    worker = people["nanxi_worker"]
    assert client.get(_url(User, "change", worker.pk)).status_code == 200
    row = AuditEvent.objects.get(action="admin.view", actor=system, target=f"accounts.user:{worker.pk}")
    assert row.payload == {"model": "accounts.user"}
    assert client.get(_url(User, "changelist"), {"q": "nanxi"}).status_code == 200
    listing = AuditEvent.objects.get(action="admin.view", actor=system, target="accounts.user:list")
    assert worker.pk in listing.payload["ids"] and listing.payload["query"] == "q=nanxi"
