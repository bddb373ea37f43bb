from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridsafe.core.fields import BlindIndexedModel, EncryptedCharField


class UnitKind(models.TextChoices):
    STATION = "station", _("Village grid station (村网格站)")
    CENTRE = "centre", _("Grid centre (网格化中心)")
    DEPARTMENT = "department", _("Department (职能部门)")
    COMMAND = "command", _("Special rectification command (专项整治指挥部)")
    TEAM = "team", _("Patrol team (巡逻队)")
    LEADERSHIP = "leadership", _("Leading group (领导小组)")


class Unit(models.Model):
    """An organisation that holds cases: a station or centre per region node, or a department that owns domains."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="units", verbose_name=_("region")
    )
    domains = models.ManyToManyField("catalog.Domain", blank=True, related_name="units", verbose_name=_("domains"))
    is_active = models.BooleanField(_("in use"), default=True)
    # A patrol team's (kind TEAM) coverage: the grids it patrols; its members are bound to them (accounts.importer).
    coverage = models.ManyToManyField(
        "regions.Region", blank=True, related_name="covering_units", verbose_name=_("grids covered")
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["region__path", "kind", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_department(self) -> bool:
        return self.kind == UnitKind.DEPARTMENT


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker (网格员)")
    STATION_OFFICER = "station_officer", _("Station officer (村网格站)")
    CENTRE_OPERATOR = "centre_operator", _("Centre operator (受理/派遣)")
    CENTRE_LEAD = "centre_lead", _("Centre lead (值班长)")
    DEPT_HANDLER = "dept_handler", _("Department handler (部门办理人)")
    DEPT_LEAD = "dept_lead", _("Department lead (部门负责人)")
    LEADER = "leader", _("Leader (领导)")
    ADMIN = "admin", _("Administrator (管理员)")
    # 三员分立 (等保 level 3): three administrators, none able to do the others' work (accounts/permissions.py).
    SYSTEM_ADMIN = "system_admin", _("System administrator (系统管理员)")
    SECURITY_ADMIN = "security_admin", _("Security administrator (安全管理员)")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator (审计管理员)")
    # A member of a township's 网格巡逻队 (Unit kind TEAM): patrols the grids the team covers (Unit.coverage).
    PATROL_MEMBER = "patrol_member", _("Patrol team member (巡逻队员)")
    # An enterprise's safety officer (双重预防): sees only its own enterprise's places and their cases (User.enterprise).
    ENTERPRISE = "enterprise", _("Enterprise safety officer (企业安全员)")


ROLE_POSTS = {
    Role.GRID_WORKER: "网格员",
    Role.STATION_OFFICER: "站长",
    Role.CENTRE_OPERATOR: "受理员",
    Role.CENTRE_LEAD: "值班长",
    Role.DEPT_HANDLER: "办理人",
    Role.DEPT_LEAD: "负责人",
    Role.LEADER: "领导",
    Role.ADMIN: "管理员",
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDIT_ADMIN: "审计管理员",
    Role.PATROL_MEMBER: "巡逻队员",
    Role.ENTERPRISE: "企业安全员",
}


class User(BlindIndexedModel, AbstractUser):
    """A person. Jurisdiction comes from `unit.region` (its subtree) and, for departments, what is routed to them."""

    display_name = models.CharField(_("display name"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.GRID_WORKER)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit")
    )
    # Personal data: encrypted at rest, masked on display (core.masking), revealed only through an audited service.
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True, lookup_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Set by PasswordHistoryValidator.password_changed, Django's hook after a new password is saved (not after
    # a mere hash upgrade at login); the 90-day periodic change counts from here.
    password_changed_at = models.DateTimeField(_("password changed at"), default=timezone.now)
    # Mirrors "has a confirmed TotpDevice", so the per-request second-factor check costs no query.
    otp_enabled = models.BooleanField(_("two-factor enabled"), default=False, editable=False)
    grids = models.ManyToManyField(
        "regions.Region", blank=True, related_name="grid_workers", verbose_name=_("grids (grid workers)")
    )
    # An enterprise account's enterprise (role ENTERPRISE): its 辖区 is that enterprise's places and their cases.
    enterprise = models.ForeignKey(
        "places.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("enterprise (enterprise accounts)"),
    )

    # Token auth reads them once with its lookup and keeps them (accounts.services.user_for_token); else grid_paths().
    preloaded_grid_paths: tuple[str, ...] | None = None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.label

    def grid_paths(self) -> tuple[str, ...]:
        """The paths of the grids this (grid worker) account is bound to, sorted; read once per instance."""
        if self.preloaded_grid_paths is None:
            self.preloaded_grid_paths = tuple(self.grids.order_by("path").values_list("path", flat=True))
        return self.preloaded_grid_paths

    @property
    def label(self) -> str:
        """Name and post at the time, kept on events so the timeline survives a deactivated account."""
        post = ROLE_POSTS.get(self.role, "")
        where = self.unit.name if self.unit_id else ""
        return f"{self.display_name or self.username} · {where}{post}"


class GridPost(models.TextChoices):
    MAIN = "main", _("Main grid worker (主网格员)")
    DEPUTY = "deputy", _("Deputy grid worker (副网格员)")


class GridDuty(models.Model):
    """Who answers for a grid: at most one main (主网格员) and one deputy (副网格员). A worker may hold several
    grids (User.grids, which their jurisdiction follows); this says in which post. Written by accounts.importer."""

    grid = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="duties", verbose_name=_("grid"))
    post = models.CharField(_("post"), max_length=8, choices=GridPost.choices)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grid_duties", verbose_name=_("user"))

    class Meta:
        verbose_name = _("grid post")
        verbose_name_plural = _("grid posts")
        constraints = [models.UniqueConstraint(fields=["grid", "post"], name="gridduty_one_per_post")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.post}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored, so a database leak does not leak sessions.

    It ends at `expires_at` (GRIDSAFE_API_TOKEN_HOURS after issue) or after SESSION_COOKIE_AGE without use, the
    same idle limit as a session (accounts.services.user_for_token); `last_used_at` moves at most once a minute.
    Deleted (revoked) at logout, and when its user's password, role or second factor changes or the account is
    deactivated."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class PasswordHistory(models.Model):
    """Hashes of a user's recent passwords, so a change cannot go back to one of the last few (等保: periodic
    change must mean a new password). Written by PasswordHistoryValidator.password_changed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class TotpDevice(models.Model):
    """双因素 — an RFC 6238 authenticator app bound to a user. Unconfirmed until the first code is entered;
    `last_step` refuses a replay of a code already used."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret = EncryptedCharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")


class ResetDelivery(models.TextChoices):
    HANDOVER = "handover", _("Handed over in person (当面交付)")
    PHONE = "phone", _("Sent to the user's phone (发送到本人手机)")


class PasswordResetCode(models.Model):
    """一次性重置码 — lets its user (and only them) set a new password once (accounts.resets). No administrator
    ever holds a usable credential of someone else: the code only sets a password, which its user chooses.

    Only an HMAC of the code is stored. A code is live until `expires_at`, its first use (`used_at`), MAX_ATTEMPTS
    wrong tries, or a newer code for the same user (`voided_at`)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_codes")
    code_hash = models.CharField(max_length=64)
    delivery = models.CharField(max_length=10, choices=ResetDelivery.choices)
    issued_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("password reset code")
        verbose_name_plural = _("password reset codes")
        indexes = [models.Index(fields=["user", "expires_at"], name="resetcode_user_live")]
