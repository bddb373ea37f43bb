"""Issue #12, sign-in: the lock is per account *and* address (a stranger cannot lock the county leader out), repeated
failures bring a CAPTCHA instead of a lock, the second-factor step is counted, locked and rate-limited, a password
alone reaches only that step, and enrolling a second factor ends what was signed in without it."""

import re
from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from gridsafe.accounts.models import User
from gridsafe.accounts.otp import totp_enrol_begin, totp_enrol_confirm, totp_reset
from gridsafe.accounts.tests.helpers import code_for, make_user, token
from gridsafe.core import clock
from gridsafe.core.models import AuditEvent
from gridsafe.demo.world import DEMO_PASSWORD

LEADER_HOME = "198.51.100.10"  # the county leader's office
ATTACKER = ("203.0.113.1", "203.0.113.2")
NAT = "192.0.2.50"  # one township office: everyone behind one address


def _captcha_key(html: str) -> str | None:
    found = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html)
    return found.group(1) if found else None


def page_login(client, username, password, *, ip, captcha: str | None = "solve"):
    """Post the login page as a person would, and when it answers that a CAPTCHA is needed (nothing was checked),
    post again with an answer: "solve" the right one, any other string that answer, None none (left out)."""
    data = {"username": username, "password": password}
    response = client.post("/login/", data, REMOTE_ADDR=ip)
    html = response.content.decode()
    if response.status_code == 200 and "请输入验证码" in html and captcha is not None:
        key = _captcha_key(html)
        answer = CaptchaStore.objects.get(hashkey=key).response if captcha == "solve" else captcha
        response = client.post("/login/", {**data, "captcha_0": key, "captcha_1": answer}, REMOTE_ADDR=ip)
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def login_rows(username, **filters):
    return AuditEvent.objects.filter(action="auth.login", target=username, **filters)


# ---------------------------------------------------------------- lock by account and address


def test_an_attacker_elsewhere_cannot_lock_the_leader_out(people):
    attacker = Client()
    for ip in ATTACKER:  # ten wrong passwords, five from each of two addresses, CAPTCHAs solved
        for _ in range(5):
            response = page_login(attacker, "leader", "guess-guess-1", ip=ip)
            assert response.status_code == 200 and not signed_in(attacker)
    assert login_rows("leader", outcome="failure").count() == 10
    # The attacker's addresses are locked for this account, even with the right password …
    response = page_login(attacker, "leader", DEMO_PASSWORD, ip=ATTACKER[0])
    assert "账号已锁定" in response.content.decode() and not signed_in(attacker)
    # … the leader, at their own desk, is asked for a CAPTCHA and then signs in.
    leader = Client()
    first = leader.post("/login/", {"username": "leader", "password": DEMO_PASSWORD}, REMOTE_ADDR=LEADER_HOME)
    assert first.status_code == 200 and "验证码" in first.content.decode() and not signed_in(leader)
    response = page_login(leader, "leader", DEMO_PASSWORD, ip=LEADER_HOME)
    assert response.status_code == 302 and signed_in(leader)
    # The API shows no CAPTCHA: it says so, and after the page sign-in reset the count it issues tokens again.
    assert token(Client(), "leader", DEMO_PASSWORD, ip=LEADER_HOME).status_code == 200


def test_strangers_do_not_slow_the_owner_at_a_known_address(people):
    """The leader signed in from the office last week: failures elsewhere bring no CAPTCHA there, and their API
    client keeps getting tokens; a new address gets the CAPTCHA."""
    with clock.frozen(clock.now() - timedelta(days=7)):
        assert token(Client(), "leader", DEMO_PASSWORD, ip=LEADER_HOME).status_code == 200
    for _ in range(3):
        assert token(Client(), "leader", "guess-guess-1", ip=ATTACKER[0]).status_code == 401
    assert token(Client(), "leader", DEMO_PASSWORD, ip=LEADER_HOME).status_code == 200
    for _ in range(3):  # (that success started the count again)
        assert token(Client(), "leader", "guess-guess-2", ip=ATTACKER[1]).status_code == 401
    response = token(Client(), "leader", DEMO_PASSWORD, ip="198.51.100.99")  # never used by the leader
    assert response.status_code == 403 and response.json()["code"] == "captcha_required"
    leader = Client()
    response = leader.post("/login/", {"username": "leader", "password": DEMO_PASSWORD}, REMOTE_ADDR=LEADER_HOME)
    assert response.status_code == 302 and signed_in(leader)  # no CAPTCHA at the known address
    with clock.frozen(clock.now() + timedelta(days=31)):  # a success long ago makes no address known
        for _ in range(3):
            token(Client(), "leader", "guess-guess-3", ip=ATTACKER[0])
        assert token(Client(), "leader", DEMO_PASSWORD, ip=LEADER_HOME).json()["code"] == "captcha_required"


def test_the_same_account_and_address_is_locked_for_15_minutes(people):
    client = Client()
    for _ in range(5):
        page_login(client, "county", "wrong-wrong-1", ip=ATTACKER[0])
        assert not signed_in(client)
    response = page_login(client, "county", DEMO_PASSWORD, ip=ATTACKER[0])
    assert "账号已锁定，请 15 分钟后再试" in response.content.decode() and not signed_in(client)
    # The API from that address is refused as well; the refusals do not extend the lock.
    response = token(Client(), "county", DEMO_PASSWORD, ip=ATTACKER[0])
    assert response.status_code == 403 and response.json()["code"] == "account_locked"
    with clock.frozen(clock.now() + timedelta(minutes=16)):
        assert token(Client(), "county", DEMO_PASSWORD, ip=ATTACKER[0]).status_code == 200


# ---------------------------------------------------------------- CAPTCHA


def test_the_captcha_appears_after_three_failures_of_the_account(people):
    client = Client()
    assert "captcha_1" not in client.get("/login/", REMOTE_ADDR=NAT).content.decode()
    for attempt in range(3):
        response = client.post("/login/", {"username": "bangtou", "password": "nope-nope-1"}, REMOTE_ADDR=NAT)
        assert "用户名或密码不正确" in response.content.decode()
        assert ("captcha_1" in response.content.decode()) == (attempt == 2), attempt  # shown after the third
    page = response.content.decode()
    assert "验证码" in page and 'src="/captcha/image/' in page
    image = client.get(re.search(r'src="(/captcha/image/[0-9a-f]+/)"', page).group(1))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_a_wrong_captcha_is_refused_without_checking_the_password(people):
    client = Client()
    for _ in range(3):
        client.post("/login/", {"username": "bangtou", "password": "nope-nope-1"}, REMOTE_ADDR=NAT)
    checked = login_rows("bangtou").exclude(outcome="locked").count()
    page = client.get("/login/", REMOTE_ADDR=NAT)  # the address alone does not need one yet: the account does
    response = page_login(client, "bangtou", DEMO_PASSWORD, ip=NAT, captcha="999")
    assert "验证码错误" in response.content.decode() and not signed_in(client)
    response = page_login(client, "bangtou", DEMO_PASSWORD, ip=NAT, captcha=None)  # left out
    assert "验证码" in response.content.decode() and not signed_in(client)
    # Neither attempt reached the password: no success, no failure was recorded.
    assert login_rows("bangtou").exclude(outcome="locked").count() == checked
    assert page.status_code == 200
    # A right answer and the right password sign in.
    assert page_login(client, "bangtou", DEMO_PASSWORD, ip=NAT).status_code == 302 and signed_in(client)


def test_a_captcha_answer_counts_once(people):
    client = Client()
    for _ in range(3):
        client.post("/login/", {"username": "bangtou", "password": "nope-nope-1"}, REMOTE_ADDR=NAT)
    response = client.post("/login/", {"username": "bangtou", "password": "nope-nope-2"}, REMOTE_ADDR=NAT)
    key = _captcha_key(response.content.decode())
    answer = CaptchaStore.objects.get(hashkey=key).response
    data = {"username": "bangtou", "captcha_0": key, "captcha_1": answer}
    client.post("/login/", {**data, "password": "nope-nope-3"}, REMOTE_ADDR=NAT)
    response = client.post("/login/", {**data, "password": DEMO_PASSWORD}, REMOTE_ADDR=NAT)  # same answer again
    assert "验证码错误" in response.content.decode() and not signed_in(client)


def test_the_api_answers_captcha_required_without_checking(people):
    for _ in range(3):
        assert token(Client(), "bangtou", "nope-nope-1", ip=ATTACKER[0]).status_code == 401
    response = token(Client(), "bangtou", DEMO_PASSWORD, ip=LEADER_HOME)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "captcha_required" and "网页登录页" in response.json()["detail"]
    assert login_rows("bangtou", outcome="locked", payload__reason="captcha").count() == 1


def test_the_admin_login_form_sends_to_the_page_with_the_captcha(people):
    """The admin's own login form cannot show the CAPTCHA: while one is due it says where to sign in instead, and
    checks nothing."""
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": "admin", "password": "nope-nope-1"}, REMOTE_ADDR=NAT)
    response = client.post("/admin/login/", {"username": "admin", "password": DEMO_PASSWORD}, REMOTE_ADDR=NAT)
    assert "请在登录页输入验证码" in response.content.decode() and not signed_in(client)
    assert login_rows("admin", outcome="success").count() == 0
    assert page_login(client, "admin", DEMO_PASSWORD, ip=NAT).status_code == 302 and signed_in(client)


@override_settings(GRIDSAFE_LOGIN_IP_MAX_FAILURES=6)
def test_many_failures_behind_one_address_bring_a_captcha_not_a_block(people):
    for name in ("zhang", "wang", "li", "zhao", "chen", "liu"):
        token(Client(), name, "x-wrong-x", ip=NAT)
    client = Client()
    assert "captcha_1" in client.get("/login/", REMOTE_ADDR=NAT).content.decode()  # before any username is typed
    response = token(Client(), "nanxi", DEMO_PASSWORD, ip=NAT)
    assert response.status_code == 403 and response.json()["code"] == "captcha_required"
    assert page_login(client, "nanxi", DEMO_PASSWORD, ip=NAT).status_code == 302 and signed_in(client)
    # Other addresses are not concerned.
    assert token(Client(), "nanxi", DEMO_PASSWORD, ip=LEADER_HOME).status_code == 200


# ---------------------------------------------------------------- second factor


def _enrol(user):
    totp_enrol_begin(user=user)
    assert totp_enrol_confirm(user=user, code=code_for(user), ip=None)
    user.refresh_from_db()
    return user


def _password_step(client, user, ip=LEADER_HOME):
    response = client.post("/login/", {"username": user.username, "password": DEMO_PASSWORD}, REMOTE_ADDR=ip)
    assert response.status_code == 302 and signed_in(client)


def _code_step(client, code, ip=LEADER_HOME):
    return client.post("/account/2fa/", {"code": code, "next": "/"}, REMOTE_ADDR=ip)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_second_factor_guessing_is_stopped(people):
    lead = _enrol(people["county_lead"])
    client = Client()
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        _password_step(client, lead)
        right = code_for(lead)
        answers = [_code_step(client, _wrong(right)) for _ in range(20)]
        assert [a.status_code for a in answers[:5]] == [200] * 5
        assert all(a.status_code == 403 and "账号已锁定" in a.content.decode() for a in answers[5:])
        assert login_rows("county_lead", outcome="failure", payload__factor="otp").count() == 5  # 15 never checked
        # A right code on the locked account is refused too.
        response = _code_step(client, right)
        assert response.status_code == 403 and "账号已锁定" in response.content.decode()
    assert client.get("/api/v1/me").json()["code"] == "otp_required"


@override_settings(GRIDSAFE_OTP_RATE="2/m")  # below the 3 failures that bring the CAPTCHA, to see the limit alone
def test_second_factor_codes_are_rate_limited(people):
    lead = _enrol(people["county_lead"])
    client = Client()
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        _password_step(client, lead)
        for _ in range(2):
            assert _code_step(client, "000000").status_code == 200
        response = _code_step(client, code_for(lead))
        assert response.status_code == 429 and "过于频繁" in response.content.decode()
        # The count is the user's: the token endpoint's `otp` shares it.
        response = token(Client(), "county_lead", DEMO_PASSWORD, otp=code_for(lead), ip=LEADER_HOME)
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"


@override_settings(GRIDSAFE_OTP_RATE="100/m")  # the rate limit counts real minutes, not the frozen clock
def test_wrong_codes_from_many_addresses_lock_the_second_factor(people):
    """Someone who knows the password cannot spread code guesses over addresses: five wrong codes from anywhere
    lock the second-factor step, and the owner's right code is refused until the lock ends."""
    lead = _enrol(people["county_lead"])
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        for i in range(5):
            client = Client()
            ip = f"203.0.113.{20 + i}"
            response = page_login(client, "county_lead", DEMO_PASSWORD, ip=ip)
            assert response.status_code == 302, i
            assert _code_step(client, "000000", ip=ip).status_code == 200
        owner = Client()
        page_login(owner, "county_lead", DEMO_PASSWORD, ip=LEADER_HOME)
        response = _code_step(owner, code_for(lead))
        assert response.status_code == 403 and "账号已锁定" in response.content.decode()
        response = token(Client(), "county_lead", DEMO_PASSWORD, otp=code_for(lead), ip=LEADER_HOME)
        assert response.status_code == 403
    with clock.frozen(clock.now() + timedelta(minutes=16)):
        response = _code_step(owner, code_for(lead))
        assert response.status_code == 302


@override_settings(GRIDSAFE_LOGIN_CAPTCHA_AFTER=1000)  # else from the 4th try the API wants a CAPTCHA first
def test_the_token_endpoint_refuses_a_right_code_on_a_locked_account(people):
    lead = _enrol(people["county_lead"])
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        for _ in range(5):
            response = token(Client(), "county_lead", DEMO_PASSWORD, otp="000000", ip=ATTACKER[0])
            assert response.status_code in (401, 403)
        response = token(Client(), "county_lead", DEMO_PASSWORD, otp=code_for(lead), ip=ATTACKER[0])
    assert response.status_code == 403 and response.json()["code"] == "account_locked"


# ---------------------------------------------------------------- a password alone reaches only the code step


@pytest.mark.parametrize("path", ["/account/password/", "/account/password/done/", "/account/2fa/setup/", "/"])
def test_the_password_step_alone_reaches_only_the_code_page(people, path):
    lead = _enrol(people["county_lead"])
    client = Client()
    _password_step(client, lead)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/?next=")
    assert client.get("/account/2fa/").status_code == 200


def test_the_password_cannot_be_changed_after_the_password_step_only(people):
    lead = _enrol(people["county_lead"])
    client = Client()
    _password_step(client, lead)
    new = "Taken-Over-2026x"
    response = client.post(
        "/account/password/", {"old_password": DEMO_PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/")
    lead.refresh_from_db()
    assert lead.check_password(DEMO_PASSWORD) and not lead.check_password(new)
    # Signing out still works.
    client.post("/logout/")
    assert not signed_in(client)


def test_after_the_code_the_password_page_opens(people):
    lead = _enrol(people["county_lead"])
    client = Client()
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        _password_step(client, lead)
        assert _code_step(client, code_for(lead)).status_code == 302
    assert client.get("/account/password/").status_code == 200


@override_settings(GRIDSAFE_2FA_REQUIRED=True)
def test_a_user_who_must_enrol_reaches_only_the_enrolment_page(people):
    client = Client()
    client.force_login(people["county_lead"])
    for path in ("/account/password/", "/account/2fa/", "/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/2fa/setup/", path
    assert client.get("/account/2fa/setup/").status_code == 200


# ---------------------------------------------------------------- enrolment ends what came before it


def test_a_token_from_before_enrolment_stops_working(people):
    lead = people["bangtou_lead"]
    before = token(Client(), "bangtou_lead", DEMO_PASSWORD).json()["token"]
    headers = {"Authorization": f"Bearer {before}"}
    assert Client().get("/api/v1/me", headers=headers).status_code == 200
    other = Client()
    other.force_login(lead)  # another browser, signed in with the password alone
    assert other.get("/api/v1/me").status_code == 200

    enrolling = Client()
    enrolling.force_login(lead)
    enrolling.get("/account/2fa/setup/")
    response = enrolling.post("/account/2fa/setup/", {"code": code_for(lead)})
    assert response.status_code == 302

    assert Client().get("/api/v1/me", headers=headers).status_code == 401
    assert other.get("/api/v1/me").status_code == 401  # that session ended
    assert enrolling.get("/api/v1/me").status_code == 200  # the one that enrolled goes on


def test_a_second_factor_reset_ends_the_users_sessions(people):
    lead = _enrol(people["county_lead"])
    client = Client()
    client.force_login(lead)
    security = make_user("sec-reset", "security_admin")
    totp_reset(actor=security, user=lead, ip=None)
    assert not Session.objects.filter(session_key=client.session.session_key).exists()
    assert client.get("/api/v1/me").status_code == 401
    assert User.objects.get(pk=lead.pk).otp_enabled is False


# ---------------------------------------------------------------- the CAPTCHA image


def _ink_span(png: bytes) -> float:
    """How much of the image's width the characters cover (their colour is darker than any noise)."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("L")
    box = image.point(lambda value: 255 if value < 100 else 0).getbbox()
    return (box[2] - box[0]) / image.width if box else 0.0


def test_the_captcha_is_a_sum_drawn_readably(db, settings):
    from pathlib import Path

    from gridsafe.accounts.challenge import _font, arithmetic_challenge, captcha_png

    for _ in range(50):
        text, answer = arithmetic_challenge()
        a, sign, b = re.fullmatch(r"([1-9])([+-])([1-9])=", text).groups()  # digits and a sign, no letters
        assert int(answer) == (int(a) + int(b) if sign == "+" else int(a) - int(b)) >= 0
    if Path(settings.CAPTCHA_FONT_PATH).is_file():  # .ci/run installs fonts-noto-cjk
        assert "CJK" in " ".join(_font(30).getname())
    drawn = captcha_png("7+5=", seed="k")
    # Four whole characters across the picture (the package's own drawing clips Noto CJK's to a 38-pixel sliver).
    assert drawn.startswith(b"\x89PNG") and _ink_span(drawn) > 0.6
    settings.CAPTCHA_FONT_PATH = "/nonexistent/font.ttc"  # a demo machine without the CJK font
    assert _ink_span(captcha_png("7+5=", seed="k")) > 0.6


def test_an_answered_captcha_image_is_gone(db):
    client = Client()
    key = CaptchaStore.generate_key()
    assert client.get(f"/captcha/image/{key}/").status_code == 200
    CaptchaStore.objects.filter(hashkey=key).delete()
    assert client.get(f"/captcha/image/{key}/").status_code == 410
    # The package's refresh view (a new challenge row per anonymous GET) is not served.
    rows = CaptchaStore.objects.count()
    assert client.get("/captcha/refresh/").status_code == 404 and CaptchaStore.objects.count() == rows
