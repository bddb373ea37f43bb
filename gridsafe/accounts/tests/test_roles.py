"""三员分立: the system, security and audit administrators each do their own work and none of the others'."""

import pytest

from conftest import Api
from gridsafe.accounts.models import Role, User
from gridsafe.accounts.permissions import can_manage_security, can_manage_users, can_read_audit
from gridsafe.accounts.services import user_create, user_deactivate, user_role_change, user_unlock
from gridsafe.accounts.tests.helpers import make_user
from gridsafe.core.errors import NotPermitted
from gridsafe.core.models import AuditEvent


@pytest.fixture
def admins(db):
    return {
        "system": make_user("sysadmin", Role.SYSTEM_ADMIN),
        "security": make_user("secadmin", Role.SECURITY_ADMIN),
        "audit": make_user("auditadmin", Role.AUDIT_ADMIN),
    }


def test_each_check_names_exactly_one_administrator(admins, people):
    matrix = {
        name: (can_manage_users(u), can_manage_security(u), can_read_audit(u))
        for name, u in {**admins, "demo_admin": people["admin"], "leader": people["leader"]}.items()
    }
    assert matrix == {
        "system": (True, False, False),
        "security": (False, True, False),
        "audit": (False, False, True),
        "demo_admin": (True, False, False),  # Role.ADMIN counts as a 系统管理员
        "leader": (False, False, False),
    }


def test_the_system_admin_keeps_accounts_but_grants_nothing(admins, people):
    user = user_create(actor=admins["system"], username="newbie", display_name="新人", unit=None)
    assert user.role == Role.GRID_WORKER
    assert not User.objects.get(pk=user.pk).has_usable_password()  # nobody but its owner will know the password
    with pytest.raises(NotPermitted):
        user_role_change(actor=admins["system"], user=user, role=Role.CENTRE_LEAD)
    with pytest.raises(NotPermitted):
        user_unlock(actor=admins["system"], username="newbie")
    with pytest.raises(NotPermitted):
        user_deactivate(actor=admins["system"], user=admins["security"])  # admins are retired by security
    user_deactivate(actor=admins["system"], user=user)
    assert not User.objects.get(pk=user.pk).is_active


def test_the_security_admin_grants_but_keeps_no_accounts(admins, people):
    with pytest.raises(NotPermitted):
        user_create(actor=admins["security"], username="x1", display_name="x", unit=None)
    with pytest.raises(NotPermitted):
        user_deactivate(actor=admins["security"], user=people["nanxi"])
    changed = user_role_change(actor=admins["security"], user=people["nanxi"], role=Role.CENTRE_OPERATOR)
    assert changed.role == Role.CENTRE_OPERATOR
    with pytest.raises(NotPermitted):
        user_role_change(actor=admins["security"], user=admins["security"], role=Role.AUDIT_ADMIN)  # not oneself
    row = AuditEvent.objects.get(action="user.role_changed", target="nanxi")
    assert row.actor_id == admins["security"].pk
    assert row.payload == {"old": Role.STATION_OFFICER, "new": Role.CENTRE_OPERATOR}


def test_the_audit_admin_only_reads(admins, people):
    auditor = admins["audit"]
    for attempt in (
        lambda: user_create(actor=auditor, username="x2", display_name="x", unit=None),
        lambda: user_role_change(actor=auditor, user=people["nanxi"], role=Role.LEADER),
        lambda: user_unlock(actor=auditor, username="nanxi"),
        lambda: user_deactivate(actor=auditor, user=people["nanxi"]),
    ):
        with pytest.raises(NotPermitted):
            attempt()


def test_only_the_audit_admin_reads_the_log_through_the_api(client, admins, people):
    user_role_change(actor=admins["security"], user=people["nanxi"], role=Role.CENTRE_OPERATOR)
    response = Api(client, admins["audit"]).get("/api/v1/audit/events", action="user.role_changed")
    assert response.status_code == 200
    rows = response.json()
    assert rows[0]["target"] == "nanxi" and len(rows[0]["hash"]) == 64
    for who in (admins["system"], admins["security"], people["admin"], people["leader"]):
        assert Api(client, who).get("/api/v1/audit/events").status_code == 403, who.username


def test_role_changes_through_the_api_need_the_security_admin(client, admins, people):
    target = people["nanxi_worker"].pk
    path = f"/api/v1/users/{target}/role"
    missing = f"/api/v1/users/{User.objects.order_by('-pk').first().pk + 1000}/role"
    # Whoever may not grant roles learns nothing about which ids exist: 404 for an existing and a missing id.
    for who in (admins["system"], people["admin"], admins["audit"], people["nanxi"]):
        api = Api(client, who)
        for url in (path, missing):
            response = api.post(url, {"role": "leader"})
            assert response.status_code == 404 and response.json()["code"] == "not_found", (who.username, url)
    assert User.objects.get(pk=target).role == Role.GRID_WORKER
    assert Api(client, admins["security"]).post(missing, {"role": "leader"}).status_code == 404
    response = Api(client, admins["security"]).post(path, {"role": "station_officer"})
    assert response.status_code == 200 and response.json()["role"] == "station_officer"


def test_a_phone_reveal_tells_no_one_which_user_ids_exist(client, admins, people):
    worker = people["nanxi_worker"]
    worker.phone = "13812345678"
    worker.save()
    missing = User.objects.order_by("-pk").first().pk + 1000
    for who in (admins["security"], admins["audit"]):  # no reveal right: the same 404 for any id
        api = Api(client, who)
        for user_id in (worker.pk, missing):
            response = api.post(f"/api/v1/users/{user_id}/phone/reveal")
            assert response.status_code == 404, (who.username, user_id)
    response = Api(client, admins["system"]).post(f"/api/v1/users/{worker.pk}/phone/reveal")
    assert response.status_code == 200 and response.json()["phone"] == "13812345678"  # audited
    assert AuditEvent.objects.filter(action="personal_data.reveal", actor=admins["system"]).count() == 1


def test_the_audit_log_is_not_in_reach_of_the_demo_superuser_admin(client, admins, people):
    """The Django admin (is_superuser) shows audit rows only to the 审计管理员 (ops/admin.py)."""
    from django.contrib.admin.sites import site

    from gridsafe.core.models import AuditEvent as Model

    model_admin = site._registry[Model]
    request = type("R", (), {"user": people["admin"]})()
    assert not model_admin.has_view_permission(request)
    request.user = admins["audit"]
    admins["audit"].is_staff = True
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_change_permission(request) and not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)


def test_no_administrator_resets_another_administrators_second_factor(admins, people):
    """Else the 安全管理员 could reset the 审计管理员's device, set a password elsewhere and sign in as them."""
    from gridsafe.accounts.models import TotpDevice
    from gridsafe.accounts.otp import totp_reset
    from gridsafe.core import clock

    for user in (admins["audit"], admins["system"], people["admin"], people["county_lead"]):
        TotpDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed_at=clock.now())
        User.objects.filter(pk=user.pk).update(otp_enabled=True)
    for target in (admins["audit"], admins["system"], people["admin"]):
        with pytest.raises(NotPermitted):
            totp_reset(actor=admins["security"], user=target, ip=None)
        assert User.objects.get(pk=target.pk).otp_enabled and TotpDevice.objects.filter(user=target).exists()
        row = AuditEvent.objects.get(action="auth.2fa_reset", target=target.username)
        assert (row.outcome, row.actor_id) == ("refused", admins["security"].pk)
    totp_reset(actor=admins["security"], user=people["county_lead"], ip=None)  # an ordinary privileged user
    assert not User.objects.get(pk=people["county_lead"].pk).otp_enabled
