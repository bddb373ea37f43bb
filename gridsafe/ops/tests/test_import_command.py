"""`gridsafe import`: the same imports as the admin, from the command line — a template on stdout, a dry run that
lists every problem and writes nothing, a real run that writes and says what it did, the marked-up report."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from gridsafe.accounts.importer import PEOPLE
from gridsafe.accounts.models import User
from gridsafe.accounts.tests.test_importer import _person, xlsx


def test_template_goes_to_stdout_as_xlsx(capsysbinary):
    call_command("import", "template", "people")
    data = capsysbinary.readouterr().out
    assert load_workbook(io.BytesIO(data))["人员"]["A1"].value == "账号"


def test_unknown_kind_is_refused_in_chinese():
    with pytest.raises(CommandError, match="不认识的导入类型"):
        call_command("import", "staff", "x.xlsx")
    with pytest.raises(CommandError, match="没有「nothing」的模板"):
        call_command("import", "template", "nothing")


@pytest.mark.django_db
def test_dry_run_then_real_run(tmp_path):
    good = tmp_path / "people.xlsx"
    good.write_bytes(xlsx((PEOPLE, [_person()])))
    out = io.StringIO()
    call_command("import", "people", str(good), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "试运行" in out.getvalue() and "新增 1" in out.getvalue()
    assert not User.objects.filter(username="imp_a").exists()
    out = io.StringIO()
    call_command("import", "people", str(good), stdout=out, stderr=io.StringIO())
    assert "新增 1" in out.getvalue()
    assert User.objects.filter(username="imp_a").exists()


@pytest.mark.django_db
def test_problems_are_listed_and_marked_up_and_nothing_is_written(tmp_path):
    bad = tmp_path / "people.xlsx"
    bad.write_bytes(xlsx((PEOPLE, [_person(phone="12")])))
    marked = tmp_path / "report.xlsx"
    out = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import", "people", str(bad), "--report", str(marked), stdout=out, stderr=io.StringIO())
    assert "「人员」第 2 行「手机号」列" in out.getvalue()
    assert load_workbook(marked)["导入问题"]["C2"].value == "手机号"
    assert not User.objects.filter(username="imp_a").exists()


@pytest.mark.django_db
def test_regions_kind_runs_the_region_import(tmp_path):
    from gridsafe.demo.world import REGIONS_FILE

    out = io.StringIO()
    call_command("import", "regions", str(REGIONS_FILE), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "区划" in out.getvalue() and "新增 0，修改 0" in out.getvalue()
    with pytest.raises(CommandError, match="不支持 --deactivate-missing"):
        call_command("import", "regions", str(REGIONS_FILE), "--deactivate-missing", stdout=io.StringIO())
