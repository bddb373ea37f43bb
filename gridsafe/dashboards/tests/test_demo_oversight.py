"""The demo's oversight calendar is not empty: a year of inspections and meetings at their cadences with some
missed, 信息材料 with some units short, 督导 visits with follow-up cases, and past bulletins as the worker would
have made them. Idempotent."""

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards import demo
from gridsafe.dashboards.inspections import compliance
from gridsafe.dashboards.models import Bulletin, InfoReport, LeaderActivity, OversightVisit, ScheduleRun
from gridsafe.dashboards.schedule import oversight_tick
from gridsafe.regions.models import Region


def test_the_demo_fills_the_oversight_pages_once(monkeypatch, flow, people):
    with clock.frozen(at("2026-03-02 09:00")):
        flow.report()  # a case for the visits to follow up
    made = []

    def fake(*, kind, period, region, actor=None):  # the real one renders charts: test_bulletins covers it
        made.append((kind, period.key))
        return Bulletin.objects.create(
            kind=kind,
            region=region,
            period_start=period.start,
            period_end=period.end,
            title=period.label,
            generated_at=at("2026-12-01 08:00"),
        )

    monkeypatch.setattr(demo, "bulletin_generate", fake)
    now = at("2026-12-06 10:00")
    counts = demo.seed_oversight_demo(now=now, progress=lambda line: None)
    assert counts["activities"] > 30_000 and counts["reports"] > 500 and counts["visits"] > 40
    assert counts["bulletins"] == 12 + 4  # Dec 2025 … Nov 2026, and 2025-Q4 … 2026-Q3
    assert ("monthly", "2026-11") in made and ("quarterly", "2026-Q3") in made
    assert LeaderActivity.objects.filter(held_at__gt=now).count() == 0
    county = Region.objects.get(code="350322")
    report = compliance(county, at("2026-09-01 00:00").date(), at("2026-11-30 00:00").date())
    assert report["missed_total"] > 0  # some missed…
    assert all(row["missed"] < row["due"] * 0.3 for row in report["summary"])  # …most held
    assert {row["level"] for row in report["summary"] if row["missed"]} >= {2, 3}
    assert OversightVisit.objects.filter(cases__isnull=False).exists()
    assert InfoReport.objects.values("unit").distinct().count() == 30  # 24 township-level centres, 6 departments
    # The worker finds them made: nothing to generate on its first tick.
    assert not [r for r in oversight_tick(at("2026-12-06 10:01")) if r.job.startswith("bulletin.")]
    assert ScheduleRun.objects.filter(job="bulletin.monthly").count() == 12
    again = demo.seed_oversight_demo(now=now, progress=lambda line: None)
    assert again == {"activities": 0, "reports": 0, "visits": 0, "bulletins": 0}
