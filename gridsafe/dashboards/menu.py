"""The menu: the one list of pages each role reaches from the top bar, in groups.

One line per page: group, label, URL name, who uses it. `roles` names the roles that use the page (None: every
signed-in role); `when` narrows it by what the user holds when the role alone does not decide (a department officer
has no region, so no region pages) — the same check the page itself makes. A page whose URL name is not registered
is left out, so an entry may be added before its page lands. The dashboards' tabs (dashboards/_subnav.html) are the
`oversight` group of this list, so a tab never leads to a 404 either.

It lives in dashboards, the top layer with pages, so an entry can use any page's own rule; web/base.html renders it
with `{% main_menu %}` (templatetags/menu_tags.py). `web/tests/test_menu.py` walks every demo login's menu: each
link answers 200 for that login, and no page a login cannot open is in its menu."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from gridsafe.accounts.models import Role, UnitKind, User
from gridsafe.accounts.permissions import PRIVILEGED_ROLES, can_manage_users
from gridsafe.cases.permissions import jurisdiction_of

GROUPS = {
    "work": "日常工作",
    "field": "巡查与对象",
    "oversight": "监督考核",
    "system": "系统管理",
}

WORKER = frozenset({Role.GRID_WORKER})
STATION = frozenset({Role.STATION_OFFICER})
CENTRE = frozenset({Role.CENTRE_OPERATOR, Role.CENTRE_LEAD})
DEPARTMENT = frozenset({Role.DEPT_HANDLER, Role.DEPT_LEAD})
LEADER = frozenset({Role.LEADER})
ADMIN = frozenset({Role.ADMIN})
ENTERPRISE = frozenset({Role.ENTERPRISE})  # an enterprise's safety officer: its own pages only (hazards app)
CASE_ROLES = WORKER | STATION | CENTRE | DEPARTMENT | LEADER | ADMIN  # 三员分立's administrators see no cases
SUPERVISORS = STATION | CENTRE | LEADER | ADMIN  # a region node of their own to oversee


def has_region(user: User) -> bool:
    """The user's 辖区 holds a region node (a department officer's does not)."""
    return bool(jurisdiction_of(user).paths)


def screen_level(user: User) -> bool:
    """The big screen is the county's and the townships' wall: centres, leaders, the all-round administrator."""
    return user.role in LEADER | ADMIN or (user.unit_id is not None and user.unit.kind == UnitKind.CENTRE)


def is_staff(user: User) -> bool:
    return user.is_staff


def system_admin(user: User) -> bool:
    """The 系统管理员's admin pages (reference data, imports, the county's settings): SystemAdminOnly's rule."""
    return user.is_active and user.is_staff and can_manage_users(user)


def rule(module: str, name: str) -> Callable[[User], bool]:
    """A page's own access rule, looked up when first asked: pages that land later need no edit here."""

    def check(user: User) -> bool:
        # Several entries share a rule (巡查记录 and 在巡人员): asked once per user object, i.e. once a request.
        known = user.__dict__.setdefault("_gridsafe_menu_rules", {})
        if (module, name) not in known:
            try:
                known[module, name] = bool(getattr(import_module(module), name)(user))
            except (ImportError, AttributeError):
                known[module, name] = False
        return known[module, name]

    check.__name__ = name
    return check


@dataclass(frozen=True)
class Entry:
    group: str
    label: str
    url_name: str
    roles: frozenset[str] | None = None
    when: Callable[[User], bool] | None = None
    nav: str = ""  # the `nav` the page's view sets, when its URL does not start with the entry's
    badge: bool = False  # the unread-messages badge (消息)

    def shown_to(self, user: User) -> bool:
        if self.roles is not None and user.role not in self.roles and not user.is_superuser:
            return False
        return self.when is None or self.when(user)

    def url(self) -> str | None:
        return _reversed(self.url_name, get_urlconf(), get_script_prefix())

    @property
    def key(self) -> str:
        """The link's id in the page (nav-<key>), for tests and the help text."""
        return self.nav or self.url_name.replace(":", "-").replace("_", "-")


@functools.lru_cache(maxsize=512)
def _reversed(url_name: str, urlconf, prefix: str) -> str | None:
    """An entry's URL, worked out once per URL conf and script prefix (code, not data: nothing to invalidate). The
    menu is on every page, and reversing its ~45 names each time was a millisecond of every page's CPU."""
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None  # the page is not (yet) in the URL conf: no entry


SV = "gridsafe.dashboards.supervision"
MENU: tuple[Entry, ...] = (
    Entry("work", "驾驶舱", "dashboards:cockpit", LEADER | ADMIN, nav="cockpit"),
    Entry("work", "首页/待办", "web:home", CASE_ROLES - LEADER, nav="home"),
    Entry("work", "案件登记", "web:case_register", STATION | CENTRE | ADMIN, nav="register"),
    Entry("work", "群众上报审核", "channels:review", CENTRE | ADMIN, nav="citizen_review"),
    Entry("work", "隐患列表", "web:case_list", CASE_ROLES, nav="cases"),
    Entry("work", "我的上报", "web:my_reports", WORKER, lambda user: user.role == Role.GRID_WORKER, nav="my_reports"),
    Entry("work", "地图", "map:index", CASE_ROLES, nav="map"),
    Entry("work", "视频告警研判", "video:review_queue", CENTRE | ADMIN, rule("gridsafe.video.services", "may_review"), nav="video_review"),
    Entry("work", "消息", "web:notifications", nav="notifications", badge=True),
    # Every role that can export (the case list, the dashboards' pages), the auditor who sees all downloads, and
    # the 系统管理员 who checks the rollups from there.
    Entry("work", "我的下载", "web:downloads", CASE_ROLES | {Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN}, nav="downloads"),
    Entry("work", "网格员端", "field:shell", WORKER | STATION),
    Entry("field", "巡查覆盖率", "dashboards:sv_coverage", SUPERVISORS, rule(SV, "may_see_coverage")),
    Entry("field", "巡查记录", "dashboards:sv_patrols", SUPERVISORS, rule(SV, "may_supervise_patrols")),
    Entry("field", "在巡人员", "dashboards:sv_now", SUPERVISORS, rule(SV, "may_supervise_patrols")),
    Entry("field", "监管对象", "dashboards:sv_places", SUPERVISORS | DEPARTMENT),
    Entry("field", "对象台账", "places:registers", SUPERVISORS | DEPARTMENT, nav="registers"),
    Entry("field", "宣传活动", "dashboards:sv_publicity", SUPERVISORS, rule(SV, "may_see_coverage")),
    Entry("field", "巡逻队", "dashboards:sv_teams", SUPERVISORS, rule(SV, "may_see_coverage")),
    Entry("oversight", "统计看板", "dashboards:home", SUPERVISORS | DEPARTMENT, nav="dashboards"),
    Entry("oversight", "指挥大屏", "dashboards:screen", SUPERVISORS, screen_level),
    Entry("oversight", "通报与督导", "dashboards:bulletins", SUPERVISORS | DEPARTMENT, nav="bulletins"),
    Entry("oversight", "领导带队检查", "dashboards:inspections", SUPERVISORS, has_region, nav="inspections"),
    Entry("oversight", "信息材料", "dashboards:reports", CENTRE | DEPARTMENT | LEADER | ADMIN, nav="reports"),
    Entry("oversight", "工作档案", "dashboards:archives", SUPERVISORS | DEPARTMENT, nav="archives"),
    Entry("oversight", "季度督导", "dashboards:visits", SUPERVISORS | DEPARTMENT, nav="visits"),
    Entry("oversight", "重大隐患督办", "hazards:list", CENTRE | DEPARTMENT | LEADER | ADMIN, nav="major_hazards"),
    Entry("oversight", "隐患统计分析表", "hazards:statistics", CENTRE | DEPARTMENT | LEADER | ADMIN, nav="hazard_stats"),
    Entry("oversight", "存量/新增", "hazards:stock", CENTRE | DEPARTMENT | LEADER | ADMIN, nav="hazard_stock"),
    Entry("work", "企业自查", "hazards:enterprise", ENTERPRISE, rule("gridsafe.hazards.permissions", "is_enterprise"), nav="enterprise"),
    Entry("field", "企业自报隐患", "hazards:findings", STATION | CENTRE, rule("gridsafe.hazards.permissions", "can_see_findings"), nav="enterprise_findings"),
    Entry("oversight", "责任制考评", "dashboards:appraisal", CENTRE | DEPARTMENT | LEADER | ADMIN, nav="appraisal"),
    Entry("system", "检查表配置", "checklists:list", None, rule("gridsafe.field.checklists.permissions",
                                                                 "can_configure_checklists"), nav="checklists"),
    Entry("system", "数据导入", "admin:ops_importrun_changelist", None, system_admin),
    Entry("system", "巡查有效规则", "admin:field_patrolrule_changelist", None, system_admin),
    # The county's settings (issue 13): audited admin pages of the 系统管理员.
    Entry("system", "考核权重", "admin:dashboards_kpiweight_changelist", None, rule("gridsafe.accounts.permissions", "can_manage_users")),
    Entry("system", "检查例会频次", "admin:dashboards_cadencerule_changelist", None, rule("gridsafe.accounts.permissions", "can_manage_users")),
    Entry("system", "信息报送要求", "admin:dashboards_reportquota_changelist", None, rule("gridsafe.accounts.permissions", "can_manage_users")),
    Entry("system", "办理时限", "admin:catalog_timelimit_changelist", None, rule("gridsafe.accounts.permissions", "can_manage_users")),
    Entry("system", "工作日历", "admin:catalog_calendaryear_changelist", None, rule("gridsafe.accounts.permissions", "can_manage_users")),
    Entry("system", "派遣路由", "admin:catalog_departmentrouting_changelist", None, rule("gridsafe.accounts.permissions", "can_manage_users")),
    Entry("system", "消息推送规则", "admin:messaging_channelrule_changelist", None, system_admin),
    Entry("system", "后台管理", "admin:index", None, is_staff),
    Entry("system", "修改密码", "accounts:password_change"),
    Entry("system", "消息推送设置", "messaging:preferences", nav="message_prefs"),
    Entry("system", "绑定动态口令", "accounts:otp_setup", PRIVILEGED_ROLES, lambda user: not user.otp_enabled),
)  # fmt: skip


def menu_for(user: User, *, path: str = "", nav: str = "") -> list[dict]:
    """The user's menu as groups of links in MENU order: [{"key", "label", "active", "links": [...]}]. The current
    page is the entry whose URL is the longest start of `path` (else the one whose `nav` the view set). No query
    beyond the user's unit (loaded with the session's user) and 辖区 (cached on the user)."""
    shown = [(entry, url) for entry in MENU if entry.shown_to(user) and (url := entry.url()) is not None]
    prefixes = [(len(url), entry) for entry, url in shown if path == url or (url != "/" and path.startswith(url))]
    current = max(prefixes, key=lambda pair: pair[0])[1] if prefixes else None
    if current is None and nav:
        current = next((entry for entry, _url in shown if entry.nav == nav), None)
    groups: dict[str, dict] = {}
    for entry, url in shown:
        group = groups.setdefault(
            entry.group, {"key": entry.group, "label": GROUPS[entry.group], "active": False, "links": []}
        )
        active = entry is current
        group["active"] = group["active"] or active
        group["links"].append(
            {"label": entry.label, "url": url, "active": active, "badge": entry.badge, "key": entry.key}
        )
    return list(groups.values())
