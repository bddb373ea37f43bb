"""`gridsafe rollups_rebuild` shows the shared progress line (core/jobs.py TerminalProgress, as `gridsafe export` and
`gridsafe import` do) while it recounts, and a re-run is safe: the second finds no drift."""

import io

from django.core.management import call_command

from gridsafe.cases.models import Case, CaseEvent
from gridsafe.dashboards.models import StatCell
from gridsafe.dashboards.rollups import OPEN, rollups_diff


def test_the_rebuild_prints_its_progress_and_a_rerun_finds_no_drift(flow):
    flow.dispatched()
    flow.dispatched()
    StatCell.objects.all().delete()  # drift: the cells are gone
    rows = Case.objects.count() + Case.objects.filter(state__in=OPEN).count() + CaseEvent.objects.count()
    assert rows >= 2
    out, err = io.StringIO(), io.StringIO()
    call_command("rollups_rebuild", stdout=out, stderr=err)
    lines = err.getvalue().splitlines()  # not a terminal: one line at every 10 %
    assert lines[0].startswith("重建统计汇总：0% · 0/") and f"0/{rows} 行" in lines[0]
    assert lines[-1].startswith("重建统计汇总：100% · ") and f"{rows}/{rows} 行" in lines[-1]
    assert "'cells': 0" not in out.getvalue()  # the deleted cells were found and put back
    assert all(not found for found in rollups_diff().values())

    out, err = io.StringIO(), io.StringIO()
    call_command("rollups_rebuild", "--quiet-progress", stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert "{'cells': 0, 'gauges': 0, 'watched': 0}" in out.getvalue()
