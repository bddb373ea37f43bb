"""`gridsafe demo` prints the demo logins for a person trying the system: roles by their Chinese names."""

from io import StringIO

from django.core.management import call_command

from gridsafe.demo.management.commands import demo


def test_the_login_table_names_roles_in_chinese_not_by_code(monkeypatch):
    # Only the printed table is under test: migrate, collectstatic and load_demo are skipped (no database needed).
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: None)
    out = StringIO()
    call_command("demo", no_serve=True, stdout=out)
    logins = out.getvalue().split("Logins (password", 1)[1]
    county = next(line for line in logins.splitlines() if line.split()[:1] == ["county"])
    assert county.split() == ["county", "郑华", "受理派遣员"]
    assert "网格员" in logins
    for code in ("grid_worker", "centre_operator", "centre_lead", "station_officer"):
        assert code not in logins
