import pyotp

from gridsafe.accounts.models import User
from gridsafe.core import clock

STRONG = "Grid-Safe-2026x"


def make_user(username: str, role: str, *, password: str = STRONG, unit=None) -> User:
    user = User(username=username, display_name=username, role=role, unit=unit)
    user.set_password(password)
    user.save()
    return user


def token(client, username: str, password: str, otp: str | None = None, ip: str = "127.0.0.1"):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=ip)


def code_for(user: User, offset_steps: int = 0) -> str:
    user.totp.refresh_from_db()
    return pyotp.TOTP(user.totp.secret).at(int(clock.now().timestamp()) + 30 * offset_steps)
