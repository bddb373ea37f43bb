"""The workbook format of the organisation imports: the sheets and their columns, the code tables they use,
the blank templates, and the helpers every import shares."""

from __future__ import annotations

import re

from gridsafe.accounts.models import ROLE_POSTS, GridPost, Role, UnitKind
from gridsafe.accounts.permissions import ADMIN_ROLES
from gridsafe.core.importing import (
    Column,
    Progress,
    Sheet,
    template_workbook,
)
from gridsafe.regions.models import Region, RegionLevel

UNIT_KINDS = {
    "村网格站": UnitKind.STATION,
    "网格化中心": UnitKind.CENTRE,
    "职能部门": UnitKind.DEPARTMENT,
    "专项整治指挥部": UnitKind.COMMAND,
    "巡逻队": UnitKind.TEAM,
    "领导小组": UnitKind.LEADERSHIP,
}
UNIT_KIND_NAMES = {v: k for k, v in UNIT_KINDS.items()}
STATUS = {"在用": True, "停用": False}
# The roles an import may give: every one but the administrators' (三员分立).
IMPORT_ROLES = {ROLE_POSTS[r]: r for r in Role if r not in ADMIN_ROLES and r != Role.ADMIN}
ROLE_NAMES = {v: k for k, v in IMPORT_ROLES.items()}
GRID_ROLES = frozenset({Role.GRID_WORKER, Role.PATROL_MEMBER})
POSTS = {"主网格员": GridPost.MAIN, "副网格员": GridPost.DEPUTY}
POST_NAMES = {v: k for k, v in POSTS.items()}
# Where each kind of unit sits in the region tree.
UNIT_LEVELS = {
    UnitKind.STATION: {RegionLevel.VILLAGE},
    # A city (市) above several counties has its own grid centre, departments and leading group.
    UnitKind.CENTRE: {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP},
    UnitKind.COMMAND: {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP},
    UnitKind.TEAM: {RegionLevel.COUNTY, RegionLevel.TOWNSHIP},
    UnitKind.DEPARTMENT: {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP},
    UnitKind.LEADERSHIP: {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP},
}
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
UNIT_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")

UNITS = Sheet(
    "单位",
    [
        Column("code", "单位编码", True, example="station-350322101201", note="字母、数字、短横线，唯一", width=24),
        Column("name", "单位名称", True, example="南溪村网格管理站", width=28),
        Column("kind", "类型", True, choices=list(UNIT_KINDS), example="村网格站"),
        Column("region", "区划编码", True, example="350322101201", note="县 6 位、乡镇 9 位、村居 12 位", width=16),
        Column("domains", "负责领域", example="", note="职能部门填写，领域编码或名称，多个用顿号分隔", width=24),
        Column("status", "状态", choices=list(STATUS), example="在用", note="空为在用"),
    ],
)
PEOPLE = Sheet(
    "人员",
    [
        Column("username", "账号", True, example="wangfang", note="登录名：字母、数字和 @.+-_，唯一", width=16),
        Column("name", "姓名", True, example="王芳"),
        Column("phone", "手机号", example="13800000000", note="11 位手机号或带区号的固定电话；加密保存"),
        Column("role", "角色", True, choices=list(IMPORT_ROLES), example="网格员"),
        Column("unit", "所属单位编码", True, example="station-350322101201", width=24),
        Column("grids", "网格编码", example="350322101201001", note="网格员填写，15 位，多个用顿号分隔", width=34),
        Column(
            "post", "网格职务", choices=list(POSTS), example="主网格员", note="网格员在所列网格中的职务，空为主网格员"
        ),
    ],
)
TEAMS = Sheet(
    "巡逻队",
    [
        Column("code", "队编码", True, example="team-350322101", width=20),
        Column("name", "队名称", True, example="榜头镇网格巡逻队", width=24),
        Column("region", "所属乡镇编码", True, example="350322101", width=16),
        Column(
            "coverage",
            "巡逻范围",
            True,
            example="350322101",
            note="区划编码（乡镇、村居或网格），多个用顿号分隔；含其下全部网格",
            width=30,
        ),
    ],
)
MEMBERS = Sheet(
    "队员",
    [
        Column("username", "账号", True, example="p350322101-01", width=16),
        Column("name", "姓名", True, example="陈国强"),
        Column("phone", "手机号", example="13900000000"),
        Column("team", "所属队编码", True, example="team-350322101", width=20),
    ],
)


def template_units() -> bytes:
    return template_workbook([UNITS])


def template_people() -> bytes:
    return template_workbook([PEOPLE])


def template_teams() -> bytes:
    return template_workbook([TEAMS, MEMBERS])


def regions_by_code(codes: set[str]) -> dict[str, Region]:
    found: dict[str, Region] = {}
    codes = {c for c in codes if c}
    chunk = list(codes)
    for i in range(0, len(chunk), 900):  # SQLite's parameter limit
        for region in Region.objects.filter(code__in=chunk[i : i + 900]).only(
            "id", "code", "name", "level", "path", "parent_id", "is_active"
        ):
            found[region.code] = region
    return found


def tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % 50 == 0 or done == total):
        progress(done, total)


def checking(progress: Progress | None, dry_run: bool) -> Progress | None:
    """The progress of checking the rows: the whole bar for a dry run (the admin's check), its first half for a
    real run, whose writing (`writing`) is the second half — so the bar never runs back from 100 % to 0."""
    if progress is None or dry_run:
        return progress
    return lambda done, total: progress(done, total * 2)


def writing(progress: Progress | None) -> Progress | None:
    if progress is None:
        return None
    return lambda done, total: progress(total + done, total * 2)
