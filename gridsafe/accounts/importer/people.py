"""导入人员与巡逻队 — people (`import_people`) and patrol teams (`import_teams`). One module: a team's members
are people, checked and written by the same `_People` steps as the people import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from gridsafe.accounts.identities import identities_changed
from gridsafe.accounts.importer.sheets import (
    GRID_ROLES,
    IMPORT_ROLES,
    MEMBERS,
    PEOPLE,
    PHONE,
    POST_NAMES,
    POSTS,
    TEAMS,
    UNIT_CODE,
    checking,
    regions_by_code,
    tick,
    writing,
)
from gridsafe.accounts.models import GridDuty, GridPost, Role, Unit, UnitKind, User
from gridsafe.accounts.permissions import ADMIN_ROLES
from gridsafe.accounts.routing import unit_routing
from gridsafe.accounts.services import tokens_revoke, unit_save, user_save
from gridsafe.core.importing import (
    ImportReport,
    Progress,
    Row,
    audit_import,
    open_workbook,
    read_rows,
    split_list,
)
from gridsafe.regions.models import Region, RegionLevel

# ---------------------------------------------------------------- people


def _check_username(report: ImportReport, sheet: str, row: Row, seen: dict[str, int]) -> bool:
    username = row["username"]
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        report.problem(sheet, row.number, "账号", f"账号「{username}」只能包含字母、数字和 @.+-_")
        return False
    if len(username) > 150:
        report.problem(sheet, row.number, "账号", "账号不能超过 150 个字符")
        return False
    key = username.lower()
    if key in seen:
        report.problem(sheet, row.number, "账号", f"账号「{username}」与第 {seen[key]} 行重复")
        return False
    seen[key] = row.number
    return True


def _check_phone(report: ImportReport, sheet: str, row: Row, phones: dict[str, int]) -> None:
    phone = row["phone"].replace(" ", "")
    if not phone:
        return
    if not PHONE.match(phone):
        report.problem(sheet, row.number, "手机号", f"「{phone}」不是有效的手机号（11 位）或固定电话（区号-号码）")
    elif phone in phones:
        report.problem(sheet, row.number, "手机号", f"手机号与第 {phones[phone]} 行相同")
    else:
        phones[phone] = row.number


class _People:
    """One people (or team members) import: the rows checked into a plan, then written in one transaction."""

    def __init__(self, report: ImportReport, users: dict[str, User]):
        self.report = report
        self.users = users  # by lower-case username, every existing account
        self.plan: list[tuple[str, dict[str, Any], list[Region], str | None]] = []

    def add(self, username: str, values: dict[str, Any], grids: list[Region], post: str | None) -> None:
        self.plan.append((username, values, grids, post))

    def diff(self, user: User | None, values: dict[str, Any], grids: list[Region], post: str | None) -> list[str]:
        if user is None:
            return sorted(values)
        changed = [k for k, v in values.items() if getattr(user, k) != v]
        if values["role"] in GRID_ROLES or user.grids_ids:  # type: ignore[attr-defined]
            if set(user.grids_ids) != {g.pk for g in grids}:  # type: ignore[attr-defined]
                changed.append("grids")
        if post is not None and user.duty_ids != {(g.pk, post) for g in grids}:  # type: ignore[attr-defined]
            changed.append("post")
        if not user.is_active:
            changed.append("is_active")
        return changed

    def preview(self) -> None:
        for username, values, grids, post in self.plan:
            user = self.users.get(username.lower())
            changed = self.diff(user, values, grids, post)
            if user is None:
                self.report.change("created", username, values["display_name"])
            elif changed:
                self.report.change("updated", username, "、".join(_FIELD_NAMES.get(c, c) for c in changed))
            else:
                self.report.change("unchanged", username)

    def write(self, progress: Progress | None, missing: list[User], audit_rows: list) -> None:
        """New accounts in bulk (a county's first import is a thousand of them; user_save's per-row cache
        invalidation would be most of the time), then changed ones one by one through user_save; the identity
        cache is invalidated once at the end either way."""
        total = len(self.plan) + len(missing)
        duties: list[GridDuty] = []
        posted_users: set[int] = set()
        new: list[tuple[User, list[Region]]] = []
        saved: list[tuple[User, list[Region], str | None]] = []
        for done, (username, values, grids, post) in enumerate(self.plan, start=1):
            user = self.users.get(username.lower())
            changed = self.diff(user, values, grids, post)
            if user is None:
                user = User(username=username, **values)
                user.set_unusable_password()  # its owner sets the first password with a reset code (accounts.resets)
                new.append((user, grids))
                self.report.change("created", username, values["display_name"])
                audit_rows.append(["created", username, changed])
            elif changed:
                role_changed = user.role != values["role"]
                for key, value in values.items():
                    setattr(user, key, value)
                user.is_active = True
                user_save(user, grids=grids if "grids" in changed else None)
                if role_changed:
                    tokens_revoke(user)
                self.report.change("updated", username, "、".join(_FIELD_NAMES.get(c, c) for c in changed))
                audit_rows.append(["updated", username, changed])
            else:
                self.report.change("unchanged", username)
            saved.append((user, grids, post))
            tick(progress, done, total)
        # bulk_create runs each field's pre_save: the phone is sealed and its blind index filled.
        User.objects.bulk_create([u for u, _g in new], batch_size=500)
        _grid_links([(u.pk, g.pk) for u, grids in new for g in grids])
        identities_changed()
        touched_grids: set[int] = set()
        for user, grids, post in saved:
            if post is not None:
                posted_users.add(user.pk)
                for grid in grids:
                    touched_grids.add(grid.pk)
                    duties.append(GridDuty(grid_id=grid.pk, post=post, user_id=user.pk))
        if posted_users:
            wanted = {(d.grid_id, d.post, d.user_id) for d in duties}
            taken = {(d.grid_id, d.post) for d in duties}
            stale = [
                pk
                for pk, grid_id, post, user_id in GridDuty.objects.values_list("pk", "grid_id", "post", "user_id")
                if (user_id in posted_users or (grid_id, post) in taken) and (grid_id, post, user_id) not in wanted
            ]
            kept = set(GridDuty.objects.values_list("grid_id", "post", "user_id"))
            for i in range(0, len(stale), 900):
                GridDuty.objects.filter(pk__in=stale[i : i + 900]).delete()
            GridDuty.objects.bulk_create(
                [d for d in duties if (d.grid_id, d.post, d.user_id) not in kept], batch_size=500
            )
        for done, user in enumerate(missing, start=len(self.plan) + 1):
            User.objects.filter(pk=user.pk).update(is_active=False)
            tokens_revoke(user)
            GridDuty.objects.filter(user_id=user.pk).delete()
            self.report.change("deactivated", user.username, user.display_name)
            audit_rows.append(["deactivated", user.username, ["is_active"]])
            tick(progress, done, total)
        if missing:
            identities_changed()


def _grid_links(pairs: list[tuple[int, int]]) -> None:
    """New accounts' grids, (user id, grid id): one executemany, not a model instance per row — a county's patrol
    members hold every grid their team covers (18 teams × 25 members × ~40 grids ≈ 18 000 rows), and building
    that many through-model instances was most of a first teams import."""
    if not pairs:
        return
    table = User.grids.through._meta.db_table
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {qn(table)} ({qn('user_id')}, {qn('region_id')}) VALUES (%s, %s)", pairs)


_FIELD_NAMES = {
    "display_name": "姓名",
    "phone": "手机号",
    "role": "角色",
    "unit_id": "单位",
    "grids": "网格",
    "post": "网格职务",
    "is_active": "启用",
}


def _existing_users() -> dict[str, User]:
    users = {u.username.lower(): u for u in User.objects.all()}
    grids: dict[int, list[int]] = {}
    for user_id, region_id in User.grids.through.objects.values_list("user_id", "region_id"):
        grids.setdefault(user_id, []).append(region_id)
    duties: dict[int, set] = {}
    for user_id, grid_id, post in GridDuty.objects.values_list("user_id", "grid_id", "post"):
        duties.setdefault(user_id, set()).add((grid_id, post))
    for user in users.values():
        user.grids_ids = grids.get(user.pk, [])  # type: ignore[attr-defined]
        user.duty_ids = duties.get(user.pk, set())  # type: ignore[attr-defined]
    return users


def import_people(
    source: Path | bytes,
    *,
    dry_run: bool,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    ip: str | None = None,
) -> ImportReport:
    """人员: account, name, phone (encrypted), role, unit, grids and the post held in them (主/副网格员).
    A grid has at most one main and one deputy worker; a worker may hold several grids."""
    report = ImportReport(kind="people", dry_run=dry_run)
    wb = open_workbook(source)
    rows = list(read_rows(wb, PEOPLE, report))
    check = checking(progress, dry_run)
    if check:
        check(0, len(rows))
    units = {u.code: u for u in Unit.objects.select_related("region")}
    users = _existing_users()
    grid_codes = {code for row in rows for code in split_list(row["grids"])}
    regions = regions_by_code(grid_codes)
    people = _People(report, users)
    seen: dict[str, int] = {}
    phones: dict[str, int] = {}
    posts: dict[tuple[int, str], int] = {}
    sheet = PEOPLE.name
    for done, row in enumerate(rows, start=1):
        tick(check, done, len(rows))
        if not _check_username(report, sheet, row, seen):
            continue
        _check_phone(report, sheet, row, phones)
        if len(row["name"]) > 40:
            report.problem(sheet, row.number, "姓名", "姓名不能超过 40 个字")
        role = IMPORT_ROLES.get(row["role"])
        current = users.get(row["username"].lower())
        if current is not None and (current.role in ADMIN_ROLES or current.role == Role.ADMIN):
            report.problem(sheet, row.number, "账号", f"「{row['username']}」是管理员账号，不能通过导入修改")
            continue
        unit = units.get(row["unit"])
        if row["unit"] and unit is None:
            report.problem(sheet, row.number, "所属单位编码", f"单位「{row['unit']}」不存在，请先导入单位")
        elif unit is not None and not unit.is_active:
            report.problem(sheet, row.number, "所属单位编码", f"单位「{unit.name}」已停用")
        grids: list[Region] = []
        for code in split_list(row["grids"]):
            grid = regions.get(code)
            if grid is None or grid.level != RegionLevel.GRID:
                report.problem(sheet, row.number, "网格编码", f"网格「{code}」不存在")
            elif unit is not None and not grid.is_within(unit.region.path):
                report.problem(sheet, row.number, "网格编码", f"网格「{code}」不在「{unit.name}」的辖区内")
            else:
                grids.append(grid)
        if role is not None and role not in GRID_ROLES and row["grids"]:
            report.problem(sheet, row.number, "网格编码", f"只有网格员可以绑定网格（此人角色为{row['role']}）")
            grids = []
        if role == Role.GRID_WORKER and not row["grids"]:
            report.problem(sheet, row.number, "网格编码", "网格员至少要绑定一个网格")
        post = POSTS.get(row["post"], GridPost.MAIN) if role == Role.GRID_WORKER else None
        if row["post"] and role != Role.GRID_WORKER:
            report.problem(sheet, row.number, "网格职务", "只有网格员有网格职务")
        for grid in grids if post else ():
            other = posts.get((grid.pk, post))
            if other is not None:
                report.problem(
                    sheet, row.number, "网格职务", f"网格「{grid.code}」的{POST_NAMES[post]}已由第 {other} 行担任"
                )
            else:
                posts[(grid.pk, post)] = row.number
        if role is None or unit is None:
            continue
        values = {
            "display_name": row["name"],
            "phone": row["phone"].replace(" ", ""),
            "role": role,
            "unit_id": unit.pk,
        }
        people.add(row["username"], values, grids, post)
    missing = _missing(users, seen, lambda u: u.role != Role.PATROL_MEMBER) if deactivate_missing else []
    if not report.ok or dry_run:
        people.preview()
        for user in missing:
            report.change("deactivated", user.username, user.display_name)
        return report
    audit_rows: list = []
    with transaction.atomic():
        people.write(writing(progress), missing, audit_rows)
        audit_import("people", source, report, audit_rows, actor=actor, ip=ip)
    return report


def _missing(users: dict[str, User], seen: dict[str, int], which: Callable[[User], bool]) -> list[User]:
    """Active, importable accounts the file does not name: deactivated with deactivate_missing."""
    return [
        u
        for key, u in users.items()
        if key not in seen and u.is_active and u.role not in ADMIN_ROLES and u.role != Role.ADMIN and which(u)
    ]


# ---------------------------------------------------------------- patrol teams


def _grids_under(regions: list[Region]) -> list[Region]:
    from django.db.models import Q

    query = Q(pk__in=[])
    for region in regions:
        query |= Q(path=region.path) | Q(path__startswith=region.path + ".")
    return list(Region.objects.filter(query, level=RegionLevel.GRID, is_active=True).only("id", "code", "path"))


def import_teams(
    source: Path | bytes,
    *,
    dry_run: bool,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    ip: str | None = None,
) -> ImportReport:
    """巡逻队: the township patrol teams (units of kind TEAM) with the grids they cover (sheet 巡逻队), and their
    members (sheet 队员), who are accounts with the role 巡逻队员 bound to their team's grids."""
    report = ImportReport(kind="teams", dry_run=dry_run)
    wb = open_workbook(source)
    team_rows = list(read_rows(wb, TEAMS, report))
    member_rows = list(read_rows(wb, MEMBERS, report))
    codes = {r["region"] for r in team_rows} | {c for r in team_rows for c in split_list(r["coverage"])}
    regions = regions_by_code(codes)
    units = {u.code: u for u in Unit.objects.prefetch_related("coverage")}
    teams: dict[str, tuple[Unit | None, dict[str, Any], list[Region]]] = {}
    seen_teams: dict[str, int] = {}
    sheet = TEAMS.name
    for row in team_rows:
        code = row["code"]
        if not UNIT_CODE.match(code):
            report.problem(sheet, row.number, "队编码", f"「{code}」不是有效的编码：只能用字母、数字、短横线")
            continue
        if code in seen_teams:
            report.problem(sheet, row.number, "队编码", f"队编码「{code}」与第 {seen_teams[code]} 行重复")
            continue
        seen_teams[code] = row.number
        unit = units.get(code)
        if unit is not None and unit.kind != UnitKind.TEAM:
            report.problem(sheet, row.number, "队编码", f"编码「{code}」已被单位「{unit.name}」使用")
            continue
        region = regions.get(row["region"])
        if region is None or region.level not in (RegionLevel.TOWNSHIP, RegionLevel.COUNTY):
            report.problem(sheet, row.number, "所属乡镇编码", f"乡镇「{row['region']}」不存在")
            continue
        covered = []
        for token in split_list(row["coverage"]):
            place = regions.get(token)
            if place is None:
                report.problem(sheet, row.number, "巡逻范围", f"区划「{token}」不存在")
            elif not place.is_within(region.path):
                report.problem(sheet, row.number, "巡逻范围", f"「{place.name}」不在{region.name}内")
            else:
                covered.append(place)
        grids = _grids_under(covered) if covered else []
        if covered and not grids:
            report.problem(sheet, row.number, "巡逻范围", "巡逻范围内没有网格")
        values = {"name": row["name"], "kind": UnitKind.TEAM, "region_id": region.pk, "is_active": True}
        teams[code] = (unit, values, grids)
    users = _existing_users()
    people = _People(report, users)
    seen: dict[str, int] = {}
    phones: dict[str, int] = {}
    msheet = MEMBERS.name
    check = checking(progress, dry_run)
    for done, row in enumerate(member_rows, start=1):
        tick(check, done, len(member_rows))
        if not _check_username(report, msheet, row, seen):
            continue
        _check_phone(report, msheet, row, phones)
        current = users.get(row["username"].lower())
        if current is not None and current.role != Role.PATROL_MEMBER:
            report.problem(
                msheet, row.number, "账号", f"账号「{row['username']}」已是{current.get_role_display()}，不能作为队员"
            )
            continue
        team = teams.get(row["team"])
        if team is None:
            if row["team"] not in seen_teams:
                report.problem(msheet, row.number, "所属队编码", f"巡逻队「{row['team']}」不在「巡逻队」表中")
            continue
        values = {"display_name": row["name"], "phone": row["phone"].replace(" ", ""), "role": Role.PATROL_MEMBER}
        people.add(row["username"], {**values, "unit_id": row["team"]}, team[2], None)
    missing_teams = (
        [u for c, u in units.items() if u.kind == UnitKind.TEAM and u.is_active and c not in seen_teams]
        if deactivate_missing
        else []
    )
    missing_members = _missing(users, seen, lambda u: u.role == Role.PATROL_MEMBER) if deactivate_missing else []
    if not report.ok or dry_run:
        for code, (unit, values, grids) in teams.items():
            if unit is None:
                report.change("created", code, values["name"])
            elif _team_changed(unit, values, grids):
                report.change("updated", code, values["name"])
            else:
                report.change("unchanged", code)
        # Member rows name their team by code; before it exists the comparison uses the team's current pk.
        _resolve_team_ids(people, {c: t[0] for c, t in teams.items()})
        people.preview()
        for obj in missing_teams:
            report.change("deactivated", obj.code, obj.name)
        for user in missing_members:
            report.change("deactivated", user.username, user.display_name)
        return report
    audit_rows: list = []
    with transaction.atomic():
        saved: dict[str, Unit] = {}
        for code, (unit, values, grids) in teams.items():
            if unit is None:
                unit = Unit(code=code, **values)
                unit_save(unit)
                unit.coverage.set(grids)
                report.change("created", code, values["name"])
                audit_rows.append(["created", code, ["name", "region", "coverage"]])
            elif _team_changed(unit, values, grids):
                for key, value in values.items():
                    setattr(unit, key, value)
                unit_save(unit)
                unit.coverage.set(grids)
                report.change("updated", code, values["name"])
                audit_rows.append(["updated", code, ["name", "region", "coverage"]])
            else:
                report.change("unchanged", code)
            saved[code] = unit
        _resolve_team_ids(people, saved)
        for unit in missing_teams:
            unit.is_active = False
            unit_save(unit)
            report.change("deactivated", unit.code, unit.name)
            audit_rows.append(["deactivated", unit.code, ["is_active"]])
        people.write(writing(progress), missing_members, audit_rows)
        unit_routing.invalidate()
        audit_import("teams", source, report, audit_rows, actor=actor, ip=ip)
    return report


def _team_changed(unit: Unit, values: dict[str, Any], grids: list[Region]) -> bool:
    if any(getattr(unit, k) != v for k, v in values.items()):
        return True
    return {g.pk for g in unit.coverage.all()} != {g.pk for g in grids}


def _resolve_team_ids(people: _People, teams: dict[str, Unit | None]) -> None:
    for _username, values, _grids, _post in people.plan:
        code = values["unit_id"]
        if isinstance(code, str):
            team = teams.get(code)
            values["unit_id"] = team.pk if team is not None else -1
