"""导入单位、人员、巡逻队: every check lands on its sheet, row and column in Chinese; a dry run and a file with any
problem write nothing; the same file twice changes nothing; a changed row updates; people missing from the file
are deactivated only when asked; the template comes back in as an import."""

import io

import pytest
from django.db import connection
from openpyxl import load_workbook

from gridsafe.accounts.importer import (
    MEMBERS,
    PEOPLE,
    TEAMS,
    UNITS,
    import_people,
    import_teams,
    import_units,
    template_people,
    template_teams,
    template_units,
)
from gridsafe.accounts.models import GridDuty, GridPost, Role, Unit, UnitKind, User
from gridsafe.core.importing import Sheet, marked_workbook
from gridsafe.core.models import AuditEvent
from gridsafe.regions.models import Region, RegionLevel


def xlsx(*sheets: tuple[Sheet, list[list]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for spec, rows in sheets:
        ws = wb.create_sheet(spec.name)
        ws.append([c.header for c in spec.columns])
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _nanxi() -> Region:
    return Region.objects.get(level=RegionLevel.VILLAGE, name="南溪村", code__startswith="350322101")


def _grids(village: Region) -> list[str]:
    return list(Region.objects.filter(parent=village).order_by("code").values_list("code", flat=True))


def _person(username="imp_a", name="陈新", phone="13912345678", role="网格员", unit=None, grids=None, post=""):
    village = _nanxi()
    unit = unit or f"station-{village.code}"
    grids = grids if grids is not None else _grids(village)[2]
    return [username, name, phone, role, unit, grids, post]


def _where(report) -> set[tuple]:
    return {(p.sheet, p.row, p.column) for p in report.problems}


@pytest.mark.django_db
def test_people_created_with_encrypted_phone_grid_and_post_and_audited():
    grid = _grids(_nanxi())[2]
    report = import_people(xlsx((PEOPLE, [_person(grids=grid)])), dry_run=False)
    assert report.ok, report.problems
    assert (report.created, report.updated) == (1, 0)
    user = User.objects.get(username="imp_a")
    assert (user.display_name, user.role, user.phone) == ("陈新", Role.GRID_WORKER, "13912345678")
    assert not user.has_usable_password()  # its owner sets the first one with a reset code
    assert list(user.grids.values_list("code", flat=True)) == [grid]
    assert GridDuty.objects.get(grid__code=grid, post=GridPost.MAIN).user == user
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE username = %s", ["imp_a"])
        assert "13912345678" not in cursor.fetchone()[0]  # sealed at rest
    event = AuditEvent.objects.filter(action="import.people").latest("seq")
    assert event.payload["created"] == 1 and event.payload["rows"][0][:2] == ["created", "imp_a"]
    assert "13912345678" not in str(event.payload)


@pytest.mark.django_db
def test_every_people_check_names_sheet_row_and_column():
    village = _nanxi()
    grids = _grids(village)
    other_village_grid = Region.objects.filter(level=RegionLevel.GRID).exclude(path__startswith=village.path).first()
    rows = [
        _person("bad name!", grids=grids[2]),  # 2
        _person("dup", phone="13900000001", grids=grids[3]),  # 3
        _person("DUP", phone="13900000002", grids=grids[3]),  # 4 duplicate account
        _person("p5", phone="12345", grids=grids[3]),  # 5 phone
        _person("p6", phone="13900000001", grids=grids[4] if len(grids) > 4 else grids[2]),  # 6 same phone as 3
        _person("p7", phone="", role="总指挥"),  # 7 role
        _person("p8", phone="", unit="station-nowhere"),  # 8 unit
        _person("p9", phone="", grids="350322999999999"),  # 9 grid
        _person("p10", phone="", grids=other_village_grid.code),  # 10 outside the station's village
        _person("p11", phone="", grids=""),  # 11 grid worker without a grid
        _person("p12", phone="", role="受理员", grids=grids[2]),  # 12 grids for a non-worker
        _person("p13", phone="", grids=grids[3]),  # 13 second main worker of grids[3] (row 3)
        _person("admin", phone=""),  # 14 an administrator's account
        ["p15", "", "", "网格员", f"station-{village.code}", grids[2], ""],  # 15 empty name
    ]
    before = User.objects.count()
    audits = AuditEvent.objects.count()
    report = import_people(xlsx((PEOPLE, rows)), dry_run=False)
    where = _where(report)
    for expected in [
        ("人员", 2, "账号"),
        ("人员", 4, "账号"),
        ("人员", 5, "手机号"),
        ("人员", 6, "手机号"),
        ("人员", 7, "角色"),
        ("人员", 8, "所属单位编码"),
        ("人员", 9, "网格编码"),
        ("人员", 10, "网格编码"),
        ("人员", 11, "网格编码"),
        ("人员", 12, "网格编码"),
        ("人员", 13, "网格职务"),
        ("人员", 14, "账号"),
        ("人员", 15, "姓名"),
    ]:
        assert expected in where, (expected, [str(p) for p in report.problems])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in report.problems)  # Chinese
    # All or nothing: the good rows were not written either.
    assert User.objects.count() == before
    assert not User.objects.filter(username="dup").exists()
    assert AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_missing_column_is_reported_on_the_header_row():
    wb = xlsx((Sheet("人员", [c for c in PEOPLE.columns if c.key != "role"]), [["x", "y", "", "unit", "", ""]]))
    report = import_people(wb, dry_run=True)
    assert ("人员", 1, "角色") in _where(report)
    report = import_people(xlsx((UNITS, [])), dry_run=True)
    assert [(p.sheet, p.message) for p in report.problems] == [("人员", "缺少工作表「人员」")]


@pytest.mark.django_db
def test_dry_run_reports_changes_and_writes_nothing():
    before = User.objects.count()
    audits = AuditEvent.objects.count()
    report = import_people(xlsx((PEOPLE, [_person()])), dry_run=True)
    assert report.ok and report.dry_run and report.created == 1
    assert report.changes[0][:2] == ("新增", "imp_a")
    assert User.objects.count() == before
    assert AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_same_file_twice_changes_nothing_and_a_changed_row_updates():
    file = xlsx((PEOPLE, [_person(), _person("imp_b", "林新", "13912345679", grids=_grids(_nanxi())[3])]))
    assert import_people(file, dry_run=False).created == 2
    again = import_people(file, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = xlsx(
        (
            PEOPLE,
            [
                _person(name="陈新华", phone="13800001111"),
                _person("imp_b", "林新", "13912345679", grids=_grids(_nanxi())[3]),
            ],
        )
    )
    report = import_people(changed, dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.changes[0][2] == "姓名、手机号"
    user = User.objects.get(username="imp_a")
    assert (user.display_name, user.phone) == ("陈新华", "13800001111")


@pytest.mark.django_db
def test_people_missing_from_the_file_are_deactivated_only_when_asked():
    import_people(
        xlsx((PEOPLE, [_person(), _person("imp_b", "林新", "13912345679", grids=_grids(_nanxi())[3])])), dry_run=False
    )
    only_a = xlsx((PEOPLE, [_person()]))
    report = import_people(only_a, dry_run=False)
    assert report.deactivated == 0 and User.objects.get(username="imp_b").is_active
    report = import_people(only_a, dry_run=False, deactivate_missing=True)
    assert not User.objects.get(username="imp_b").is_active
    assert User.objects.get(username="admin").is_active  # administrators are never touched by an import
    assert not User.objects.get(username="nanxi_worker").is_active  # the file is the whole list
    assert (
        report.deactivated
        == User.objects.filter(
            is_active=False, role__in=[r for r in Role if r not in ("admin", "patrol_member")]
        ).count()
    )


@pytest.mark.django_db
def test_a_grid_has_a_main_and_a_deputy_and_a_worker_several_grids():
    g = _grids(_nanxi())
    rows = [
        _person("imp_a", grids=f"{g[2]}、{g[3]}", post="主网格员"),
        _person("imp_b", "林新", "13912345679", grids=g[2], post="副网格员"),
    ]
    assert import_people(xlsx((PEOPLE, rows)), dry_run=False).ok
    assert {(d.grid.code, d.post, d.user.username) for d in GridDuty.objects.filter(grid__code__in=g[2:4])} == {
        (g[2], "main", "imp_a"),
        (g[3], "main", "imp_a"),
        (g[2], "deputy", "imp_b"),
    }


@pytest.mark.django_db
def test_units_checks_and_update():
    nanxi = _nanxi()
    rows = [
        ["station-imp", "新站", "村网格站", nanxi.code, "", "在用"],  # 2 ok
        ["station imp", "新站", "村网格站", nanxi.code, "", ""],  # 3 code
        ["x-1", "新站", "村网格站", "350322101", "", ""],  # 4 station at a township
        ["x-2", "新站", "巡逻大队", nanxi.code, "", ""],  # 5 kind
        ["x-3", "新站", "网格化中心", "350322999", "", ""],  # 6 region
        ["x-4", "某局", "职能部门", "350322", "火灾", ""],  # 7 domain
        ["x-5", "某中心", "网格化中心", "350322", "fire", ""],  # 8 domains on a centre
        ["station-imp", "重复", "村网格站", nanxi.code, "", ""],  # 9 duplicate
    ]
    report = import_units(xlsx((UNITS, rows)), dry_run=True)
    assert {
        ("单位", 3, "单位编码"),
        ("单位", 4, "区划编码"),
        ("单位", 5, "类型"),
        ("单位", 6, "区划编码"),
        ("单位", 7, "负责领域"),
        ("单位", 8, "负责领域"),
        ("单位", 9, "单位编码"),
    } <= _where(report)
    good = xlsx((UNITS, [rows[0], ["dept-x", "县某局", "职能部门", "350322", "fire、lpg", ""]]))
    assert import_units(good, dry_run=False).created == 2
    assert set(Unit.objects.get(code="dept-x").domains.values_list("code", flat=True)) == {"fire", "lpg"}
    assert import_units(good, dry_run=False).unchanged == 2
    renamed = xlsx((UNITS, [["station-imp", "南溪新站", "村网格站", nanxi.code, "", "停用"]]))
    report = import_units(renamed, dry_run=False)
    unit = Unit.objects.get(code="station-imp")
    assert report.updated == 1 and unit.name == "南溪新站" and not unit.is_active
    assert report.changes == [("修改", "station-imp", "单位名称、状态")]


@pytest.mark.django_db
def test_teams_cover_grids_and_their_members_patrol_them():
    rows = [["team-imp", "榜头镇第二巡逻队", "350322101", _nanxi().code]]
    members = [["imp_p1", "黄勇", "13700000001", "team-imp"], ["imp_p2", "蔡强", "", "team-imp"]]
    report = import_teams(xlsx((TEAMS, rows), (MEMBERS, members)), dry_run=False)
    assert report.ok, report.problems
    team = Unit.objects.get(code="team-imp")
    assert team.kind == UnitKind.TEAM
    grids = set(_grids(_nanxi()))
    assert set(team.coverage.values_list("code", flat=True)) == grids
    member = User.objects.get(username="imp_p1")
    assert member.role == Role.PATROL_MEMBER and member.unit == team
    assert set(member.grids.values_list("code", flat=True)) == grids
    again = import_teams(xlsx((TEAMS, rows), (MEMBERS, members)), dry_run=False)
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.django_db
def test_teams_checks():
    rows = [
        ["team-a", "甲队", "350322101", "350322001"],  # 2 coverage outside the township
        ["team-b", "乙队", "350322888", "350322101"],  # 3 township
        ["county-centre", "丙队", "350322101", "350322101"],  # 4 code taken by a unit
    ]
    members = [["nanxi_worker", "王芳", "", "team-a"], ["imp_q", "某", "", "team-z"]]
    report = import_teams(xlsx((TEAMS, rows), (MEMBERS, members)), dry_run=True)
    assert {
        ("巡逻队", 2, "巡逻范围"),
        ("巡逻队", 3, "所属乡镇编码"),
        ("巡逻队", 4, "队编码"),
        ("队员", 2, "账号"),
        ("队员", 3, "所属队编码"),
    } <= _where(report)


@pytest.mark.django_db
@pytest.mark.parametrize("template", [template_units, template_people, template_teams])
def test_template_round_trip(template):
    """The template as downloaded imports cleanly (its example row is skipped), with its headers and drop-downs."""
    data = template()
    wb = load_workbook(io.BytesIO(data))
    first = wb[wb.sheetnames[0]]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(c.value)) for c in first[1])
    assert str(first["A2"].value).startswith("示例")
    run = {template_units: import_units, template_people: import_people, template_teams: import_teams}[template]
    report = run(data, dry_run=True)
    assert report.ok and report.created == 0, report.problems
    if template is template_people:
        assert first.data_validations.dataValidation  # the role's drop-down list


@pytest.mark.django_db
def test_marked_workbook_puts_each_problem_on_its_cell():
    report = import_people(xlsx((PEOPLE, [_person(phone="123")])), dry_run=True)
    marked = load_workbook(io.BytesIO(marked_workbook(xlsx((PEOPLE, [_person(phone="123")])), report)))
    assert marked.sheetnames[0] == "导入问题"
    assert marked["导入问题"]["B2"].value == 2 and marked["导入问题"]["C2"].value == "手机号"
    cell = marked["人员"]["C2"]
    assert "手机号" in cell.comment.text and cell.fill.fgColor.rgb.endswith("FFC7CE")


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_progress_moves_while_checking_and_reaches_the_end_without_running_back(dry_run):
    """The admin's check is a dry run: its bar fills as the rows are checked; a real run checks (first half of the
    bar) then writes (second half), never falling back."""
    rows = [_person(f"imp_{i:03}", "陈新", f"139{i:08}", role="受理员", grids="") for i in range(120)]
    seen: list[tuple[int, int]] = []
    report = import_people(
        xlsx((PEOPLE, rows)), dry_run=dry_run, progress=lambda done, total: seen.append((done, total))
    )
    assert report.ok and report.created == 120, report.problems
    shares = [done / total for done, total in seen]
    assert shares == sorted(shares) and shares[-1] == 1, seen
    assert any(0 < s < 1 for s in shares), seen  # it moved in between, not 0 and then done
