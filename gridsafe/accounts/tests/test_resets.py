"""三员分立 and passwords: no administrator sets another person's password or holds a usable credential of theirs.
A forgotten password is replaced with a one-time reset code (accounts.resets) that only its user can redeem, once,
within a day, and only to set a password; every issue and use is an audit row, wrong codes count toward lockout."""

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import Api
from gridsafe.accounts import resets
from gridsafe.accounts.models import ApiToken, PasswordResetCode, ResetDelivery, Role, User
from gridsafe.accounts.resets import MAX_ATTEMPTS, WRONG_CODE, reset_code_issue
from gridsafe.accounts.services import user_unlock
from gridsafe.accounts.tests.helpers import make_user, token
from gridsafe.core import clock
from gridsafe.core.errors import NotPermitted
from gridsafe.core.models import AuditEvent
from gridsafe.demo.world import DEMO_PASSWORD

NEW = "Own-Choice-2026z"
SMS = override_settings(GRIDSAFE_SMS_BACKEND="locmem")


@pytest.fixture
def staff(db):
    def make(username, role):
        user = make_user(username, role)
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.refresh_from_db()
        return user

    return {
        "system": make("sysadmin7", Role.SYSTEM_ADMIN),
        "security": make("secadmin7", Role.SECURITY_ADMIN),
        "audit": make("auditor7", Role.AUDIT_ADMIN),
    }


@pytest.fixture(autouse=True)
def _empty_outbox():
    resets.SMS_OUTBOX.clear()
    yield
    resets.SMS_OUTBOX.clear()


def _issue_page(user) -> str:
    return reverse("admin:accounts_user_reset_code", args=[user.pk])


def _redeem(username, code, password=NEW, *, ip="127.0.0.1", confirm=None):
    return Client(REMOTE_ADDR=ip).post(
        "/account/reset/",
        {"username": username, "code": code, "new_password1": password, "new_password2": confirm or password},
    )


def _code_from_sms() -> str:
    (_phone, text), *_ = resets.SMS_OUTBOX
    return re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", text).group(0)


# ---------------------------------------------------------------------------------------------- the system admin


def test_the_system_admin_cannot_set_another_users_password_anywhere_in_the_admin(client, staff, people):
    worker = people["nanxi_worker"]
    before = User.objects.get(pk=worker.pk).password
    client.force_login(staff["system"])
    url = f"/admin/accounts/user/{worker.pk}/password/"
    assert client.get(url).status_code == 403
    body = {"usable_password": "true", "password1": "Set-By-Admin-2026x", "password2": "Set-By-Admin-2026x"}
    assert client.post(url, body).status_code == 403
    assert client.post(url, {"usable_password": "false"}).status_code == 403  # nor switch it off
    refused = AuditEvent.objects.filter(action="admin.change", outcome="refused", actor=staff["system"])
    assert refused.count() == 3 and refused.first().payload["reason"] == "use_reset_code"
    # The change form has no password field, links to no password page, and a posted password is ignored.
    page = client.get(reverse("admin:accounts_user_change", args=[worker.pk]))
    assert page.status_code == 200
    assert "password" not in page.context["adminform"].form.fields
    assert "../password/" not in page.content.decode() and "签发一次性重置码" in page.content.decode()
    assert User.objects.get(pk=worker.pk).password == before
    assert token(Client(), worker.username, DEMO_PASSWORD).status_code == 200  # the owner's password still works


def test_a_new_account_has_no_password_anyone_but_its_owner_will_know(client, staff):
    client.force_login(staff["system"])
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer7",
            "display_name": "新人",
            "usable_password": "true",
            "password1": "Set-By-Admin-2026x",
            "password2": "Set-By-Admin-2026x",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newcomer7")
    assert not user.has_usable_password()
    assert token(Client(), "newcomer7", "Set-By-Admin-2026x").status_code == 401  # no one can sign in as them
    assert "请安全管理员签发一次性重置码" in client.get(response["Location"]).content.decode()
    # A second account of the same name is refused, not merged into the first.
    again = client.post(reverse("admin:accounts_user_add"), {"username": "NEWCOMER7", "display_name": "x"})
    assert again.status_code == 200 and "用户名已存在" in again.content.decode()


def test_the_system_admin_sends_a_code_only_to_the_users_own_phone_and_never_sees_it(client, staff, people):
    worker = people["nanxi_worker"]
    worker.phone = ""  # the imported demo roster gives everyone a phone; this one has none on file
    worker.save()
    client.force_login(staff["system"])
    # No phone on file: nothing to send to; handing over is not the 系统管理员's.
    page = client.get(_issue_page(worker)).content.decode()
    assert "该用户未登记手机号" in page and "系统管理员只能将重置码发送到用户本人手机" in page
    for delivery in ("handover", "phone"):
        assert client.post(_issue_page(worker), {"delivery": delivery}).status_code == 403
    assert not PasswordResetCode.objects.filter(user=worker).exists()
    refusals = AuditEvent.objects.filter(action=resets.ISSUED, target=worker.username, outcome="refused")
    assert sorted(r.payload["reason"] for r in refusals) == ["handover_by_security", "no_phone"]

    worker.phone = "13812345678"
    worker.save()
    assert client.post(_issue_page(worker), {"delivery": "phone"}).status_code == 403  # and no SMS channel
    with SMS:
        response = client.post(_issue_page(worker), {"delivery": "phone"})
    assert response.status_code == 200 and "已发送到本人手机 138****5678" in response.content.decode()
    code = _code_from_sms()
    assert resets.SMS_OUTBOX[0][0] == "13812345678"
    assert code not in response.content.decode()
    issued = AuditEvent.objects.get(action=resets.ISSUED, target=worker.username, outcome="success")
    assert issued.actor_id == staff["system"].pk and issued.payload["delivery"] == "phone"
    assert code.replace("-", "") not in str(issued.payload) and code not in str(issued.payload)
    assert _redeem(worker.username, code).status_code == 302
    assert User.objects.get(pk=worker.pk).check_password(NEW)


# ---------------------------------------------------------------------------------------------- the code


def test_a_handed_over_code_sets_the_password_once_and_ends_sessions_and_tokens(client, staff, people):
    worker = people["nanxi_worker"]
    phone = Api(Client(), worker)
    session = Client()
    session.force_login(worker)
    assert session.get("/").status_code == 200

    client.force_login(staff["security"])
    response = client.post(_issue_page(worker), {"delivery": "handover"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    code = response.context["code"]
    assert code in response.content.decode() and re.fullmatch(r"[2-9A-Z]{4}(-[2-9A-Z]{4}){2}", code)
    row = PasswordResetCode.objects.get(user=worker)
    assert code not in row.code_hash and row.expires_at - row.created_at == timedelta(hours=24)
    # Issuing revokes nothing: the old password, the session and the token keep working until the code is used.
    assert phone.get("/api/v1/me").status_code == 200 and session.get("/").status_code == 200
    assert token(Client(), worker.username, DEMO_PASSWORD).status_code == 200

    response = _redeem(worker.username, code.lower().replace("-", " "))  # as typed from a note
    assert response.status_code == 302 and response["Location"] == "/login/?reset=1"
    assert "新密码已设置" in Client().get(response["Location"]).content.decode()
    worker.refresh_from_db()
    assert worker.check_password(NEW)
    assert phone.get("/api/v1/me").status_code == 401 and not ApiToken.objects.filter(user=worker).exists()
    assert session.get("/").status_code == 302  # signed out: the session was bound to the old password
    used = AuditEvent.objects.get(action=resets.RESET, target=worker.username)
    assert used.payload["issued_by"] == staff["security"].pk and used.payload["delivery"] == "handover"

    # Once only.
    again = _redeem(worker.username, code, "Another-Choice-2026q")
    assert again.status_code == 401 and WRONG_CODE in again.content.decode()
    assert User.objects.get(pk=worker.pk).check_password(NEW)
    assert token(Client(), worker.username, NEW).status_code == 200


def test_the_login_page_leads_to_the_reset_page(client, db):
    assert reverse("accounts:password_reset") in client.get("/login/").content.decode()
    page = client.get("/account/reset/")
    assert page.status_code == 200 and "重置码" in page.content.decode() and "no-store" in page["Cache-Control"]


def test_a_code_expires_after_a_day(staff, people):
    worker = people["nanxi_worker"]
    code = reset_code_issue(actor=staff["security"], user=worker, delivery=ResetDelivery.HANDOVER)
    with clock.frozen(clock.now() + timedelta(hours=24, minutes=1)):
        response = _redeem(worker.username, code)
    assert response.status_code == 401 and WRONG_CODE in response.content.decode()
    assert User.objects.get(pk=worker.pk).check_password(DEMO_PASSWORD)


def test_a_code_is_for_its_own_user_only_and_a_newer_one_voids_it(staff, people):
    worker, other = people["nanxi_worker"], people["nanxi"]
    code = reset_code_issue(actor=staff["security"], user=worker, delivery=ResetDelivery.HANDOVER)
    reset_code_issue(actor=staff["security"], user=other, delivery=ResetDelivery.HANDOVER)
    # Another user's code, even their row's hash copied over, does not match (the HMAC is bound to the user).
    PasswordResetCode.objects.filter(user=other).update(code_hash=PasswordResetCode.objects.get(user=worker).code_hash)
    assert _redeem(other.username, code).status_code == 401
    assert User.objects.get(pk=other.pk).check_password(DEMO_PASSWORD)
    newer = reset_code_issue(actor=staff["security"], user=worker, delivery=ResetDelivery.HANDOVER)
    assert _redeem(worker.username, code).status_code == 401  # voided by the newer one
    assert _redeem(worker.username, newer).status_code == 302


def test_the_password_rules_apply_and_a_refused_password_does_not_spend_the_code(staff, people):
    worker = people["nanxi_worker"]
    code = reset_code_issue(actor=staff["security"], user=worker, delivery=ResetDelivery.HANDOVER)
    weak = _redeem(worker.username, code, "short")
    assert weak.status_code == 422 and "密码" in weak.content.decode()
    mismatch = _redeem(worker.username, code, NEW, confirm="Other-Choice-2026z")
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.content.decode()
    reused = _redeem(worker.username, code, DEMO_PASSWORD)  # what the demo password fails on, whichever rule
    assert reused.status_code == 422
    # A wrong code with a weak password says "wrong code": nothing about passwords without the code.
    assert WRONG_CODE in _redeem(worker.username, "AAAA-BBBB-CCCC", "short").content.decode()
    assert _redeem(worker.username, code).status_code == 302


def test_wrong_codes_count_toward_the_lockout_and_spend_the_code(staff, people):
    worker = people["nanxi_worker"]
    code = reset_code_issue(actor=staff["security"], user=worker, delivery=ResetDelivery.HANDOVER)
    for _ in range(MAX_ATTEMPTS):
        assert _redeem(worker.username, "AAAA-BBBB-CCCC").status_code == 401
    failures = AuditEvent.objects.filter(action="auth.login", target=worker.username, outcome="failure")
    assert failures.count() == MAX_ATTEMPTS and failures.first().payload["factor"] == "reset_code"
    # The account is locked like after wrong passwords: neither the code nor the password gets in.
    locked = _redeem(worker.username, code)
    assert locked.status_code == 403 and "账号已锁定" in locked.content.decode()
    assert token(Client(), worker.username, DEMO_PASSWORD).json()["code"] == "account_locked"
    user_unlock(actor=staff["security"], username=worker.username)
    # Unlocked, the code itself is spent after MAX_ATTEMPTS wrong tries.
    assert _redeem(worker.username, code).status_code == 401
    assert User.objects.get(pk=worker.pk).check_password(DEMO_PASSWORD)


@override_settings(GRIDSAFE_RESET_RATE="3/m")
def test_the_reset_page_is_rate_limited_per_address(db):
    for _ in range(3):
        assert _redeem("nobody-here", "AAAA-BBBB-CCCC", ip="10.9.8.7").status_code == 401
    assert _redeem("nobody-here", "AAAA-BBBB-CCCC", ip="10.9.8.7").status_code == 429
    assert _redeem("nobody-here", "AAAA-BBBB-CCCC", ip="10.9.8.6").status_code == 401


# ---------------------------------------------------------------------------------------------- who issues


def test_who_may_issue_a_code(client, staff, people):
    worker = people["nanxi_worker"]
    for actor, target in (
        (staff["security"], staff["audit"]),  # another administrator: recovered outside the application
        (staff["security"], people["admin"]),
        (staff["security"], staff["security"]),  # oneself: the password page, with the old password
        (staff["audit"], worker),
        (people["nanxi"], worker),
    ):
        with pytest.raises(NotPermitted):
            reset_code_issue(actor=actor, user=target, delivery=ResetDelivery.HANDOVER)
    assert not PasswordResetCode.objects.exists()
    assert AuditEvent.objects.filter(action=resets.ISSUED, outcome="refused").count() == 5
    client.force_login(staff["audit"])
    assert client.get(_issue_page(worker)).status_code == 404  # the auditor has no account pages
    client.force_login(staff["security"])
    assert client.post(_issue_page(staff["audit"]), {"delivery": "handover"}).status_code == 403
    assert "其他管理员的密码只能由本人修改" in client.get(_issue_page(staff["audit"])).content.decode()
