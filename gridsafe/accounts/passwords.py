"""Password rules (等保: complexity, no reuse). Configured in AUTH_PASSWORD_VALIDATORS, so every path that sets a
password through Django's validation (the change page, the admin, `changepassword`) applies the same rules."""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gridsafe.accounts.identities import tokens_revoke
from gridsafe.accounts.models import PasswordHistory, User
from gridsafe.core import clock

_CLASSES = (str.islower, str.isupper, str.isdigit)


def _classes(password: str) -> int:
    found = {i for ch in password for i, test in enumerate(_CLASSES) if test(ch)}
    if any(not ch.isalnum() for ch in password):
        found.add(3)  # symbols (anything not a letter or digit)
    return len(found)


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if _classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes}


class NotUsernameValidator:
    """The password may not be or contain the username (in either direction, ignoring case)."""

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").lower()
        if username and (username in password.lower() or password.lower() in username):
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self):
        return _("密码不能包含用户名。")


class PasswordHistoryValidator:
    """Not one of the last `keep` passwords. `password_changed` (called by Django after a new password is saved)
    records the new hash, drops older ones, restarts the expiry clock (User.password_changed_at) and revokes the
    user's bearer tokens (whoever held the old password holds no token either). Each check costs one hash per
    remembered password."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        recent = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.keep]
        if any(check_password(password, old) for old in recent):
            raise ValidationError(
                _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": self.keep}, code="password_reused"
            )

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        now = clock.now()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now
        tokens_revoke(user.pk)
        PasswordHistory.objects.create(user=user, password=user.password)
        keep_ids = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[: self.keep]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep_ids)).delete()

    def get_help_text(self):
        return _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": self.keep}
