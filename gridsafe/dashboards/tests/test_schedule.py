"""The oversight calendar runs by itself: the worker's tick generates the monthly bulletin on the first working day
(holidays moved by the working calendar), the quarterly 督导 report at the start of a quarter, reminders N days
before they are due; a second tick or a second worker generates nothing; a worker that was down catches up."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from gridsafe.cases.tests.helpers import at
from gridsafe.core import clock
from gridsafe.dashboards import schedule
from gridsafe.dashboards.models import Bulletin, LeaderActivity, RunStatus, ScheduleRun
from gridsafe.notifications.models import Notification
from gridsafe.ops.management.commands import worker
from gridsafe.regions.models import Region


@pytest.fixture
def generated(monkeypatch, db):
    """bulletin_generate stubbed to a row (the real one renders charts; test_bulletins covers it): the calendar is
    under test here. Returns the (kind, period key) generated, in order."""
    made = []

    def fake(*, kind, period, region, actor=None):
        made.append((kind, period.key))
        return Bulletin.objects.create(
            kind=kind, region=region, period_start=period.start, period_end=period.end, title=period.label,
            generated_at=clock.now(),
        )  # fmt: skip

    monkeypatch.setattr(schedule, "bulletin_generate", fake)
    monkeypatch.setattr(schedule, "CATCH_UP_MONTHS", 1)  # only last month: each test names what it expects
    return made


def bulletin_jobs(runs):
    return [(r.job, r.period) for r in runs if r.job.startswith("bulletin.")]


def test_the_bulletin_waits_for_the_first_working_day_after_the_national_day_holiday(generated):
    # 2026-10-01 … 10-07 are the 国庆 holiday (10-08 is the first working day by the State Council's schedule).
    for day in ("2026-10-01 09:00", "2026-10-05 09:00", "2026-10-08 07:59"):
        assert bulletin_jobs(schedule.oversight_tick(at(day))) == [], day
    runs = schedule.oversight_tick(at("2026-10-08 08:00"))
    assert bulletin_jobs(runs) == [("bulletin.monthly", "2026-09"), ("bulletin.quarterly", "2026-Q3")]
    assert all(r.status == RunStatus.DONE for r in runs)
    assert generated == [("monthly", "2026-09"), ("quarterly", "2026-Q3")]


def test_an_ordinary_month_on_its_first_day_and_no_quarter_report(generated):
    assert bulletin_jobs(schedule.oversight_tick(at("2026-12-01 08:30"))) == [("bulletin.monthly", "2026-11")]


def test_a_second_tick_and_a_second_worker_generate_nothing(generated):
    first = schedule.oversight_tick(at("2026-04-01 09:00"))
    assert bulletin_jobs(first) == [("bulletin.monthly", "2026-03"), ("bulletin.quarterly", "2026-Q1")]
    assert bulletin_jobs(schedule.oversight_tick(at("2026-04-01 09:00:30"))) == []
    assert bulletin_jobs(schedule.oversight_tick(at("2026-04-20 09:00"))) == []
    assert Bulletin.objects.count() == 2 and len(generated) == 2


def test_a_run_another_worker_holds_is_left_alone_until_it_is_stale(generated):
    ScheduleRun.objects.create(
        job="bulletin.monthly", period="2026-11", status=RunStatus.RUNNING, due_at=at("2026-12-01 08:00"),
        started_at=at("2026-12-01 08:00"),
    )  # fmt: skip
    assert bulletin_jobs(schedule.oversight_tick(at("2026-12-01 08:10"))) == []  # the other worker is on it
    assert generated == []
    runs = schedule.oversight_tick(at("2026-12-01 09:00"))  # it died: 30 minutes without finishing
    assert bulletin_jobs(runs) == [("bulletin.monthly", "2026-11")]
    assert runs[0].attempts == 2 and generated == [("monthly", "2026-11")]


def test_a_failed_run_is_recorded_shown_and_retried_later(monkeypatch, generated):
    calls = []

    def broken(**kwargs):
        calls.append(1)
        raise RuntimeError("no Chinese font")

    monkeypatch.setattr(schedule, "bulletin_generate", broken)
    (run,) = [r for r in schedule.oversight_tick(at("2026-12-01 08:00")) if r.job == "bulletin.monthly"]
    assert run.status == RunStatus.FAILED and "no Chinese font" in run.error
    shown = schedule.next_runs(at("2026-12-01 08:30"))
    assert shown["failed"][0]["label"] == "2026年11月月度通报" and "no Chinese font" in shown["failed"][0]["error"]
    assert bulletin_jobs(schedule.oversight_tick(at("2026-12-01 08:30"))) == []  # not every 30 s
    monkeypatch.undo()
    schedule_stub = generated  # the fixture's stub is gone with undo: put a fresh one back
    monkeypatch.setattr(schedule, "CATCH_UP_MONTHS", 1)
    monkeypatch.setattr(
        schedule,
        "bulletin_generate",
        lambda **kw: schedule_stub.append(kw["kind"])
        or Bulletin.objects.create(
            kind=kw["kind"], region=kw["region"], period_start=kw["period"].start, period_end=kw["period"].end,
            title="x", generated_at=clock.now(),
        ),
    )  # fmt: skip
    runs = schedule.oversight_tick(at("2026-12-01 09:01"))
    assert bulletin_jobs(runs) == [("bulletin.monthly", "2026-11")] and runs[0].status == RunStatus.DONE
    assert len(calls) == 1


def test_a_worker_down_on_the_day_catches_up_on_its_next_tick(monkeypatch, generated):
    monkeypatch.setattr(schedule, "CATCH_UP_MONTHS", 3)
    # Down from 2026-09-30 to 2026-11-03: September's, October's and Q3's runs are all made on the first tick back.
    runs = schedule.oversight_tick(at("2026-11-03 10:00"))
    assert bulletin_jobs(runs) == [
        ("bulletin.monthly", "2026-08"),
        ("bulletin.monthly", "2026-09"),
        ("bulletin.quarterly", "2026-Q3"),
        ("bulletin.monthly", "2026-10"),
    ]
    assert bulletin_jobs(schedule.oversight_tick(at("2026-11-03 10:01"))) == []


def test_a_bulletin_made_by_hand_is_not_made_again(generated):
    county = Region.objects.get(code="350322")
    Bulletin.objects.create(
        kind="monthly", region=county, period_start=at("2026-11-01 00:00").date(),
        period_end=at("2026-11-30 00:00").date(), title="手工生成", generated_at=at("2026-12-01 07:00"),
    )  # fmt: skip
    (run,) = [r for r in schedule.oversight_tick(at("2026-12-01 08:00")) if r.job == "bulletin.monthly"]
    assert run.status == RunStatus.DONE and run.result["already"] and generated == []


def test_next_runs_say_when_and_what(generated):
    shown = schedule.next_runs(at("2026-09-20 10:00"))
    assert shown["monthly"]["at"] == at("2026-10-08 08:00") and shown["monthly"]["label"] == "2026年9月"
    assert shown["quarterly"]["at"] == at("2026-10-08 08:00") and shown["quarterly"]["label"] == "2026年第三季度"
    late = schedule.next_runs(at("2026-10-08 10:00"))["late"]  # due two hours ago, nothing generated: say so
    assert [x["label"] for x in late] == ["2026年9月月度通报", "2026年第三季度督导报告"]
    schedule.oversight_tick(at("2026-10-08 10:00"))
    after = schedule.next_runs(at("2026-10-08 10:01"))
    assert after["late"] == [] and after["monthly"]["at"] == at("2026-11-02 08:00")  # 11-01 is a Sunday
    # 2027's holidays are not in the working calendar yet: Monday–Friday, and the page says so.
    assert after["quarterly"]["at"] == at("2027-01-01 08:00") and after["unpublished"] == [2027]
    assert shown["unpublished"] == []


def test_information_report_reminders_ten_and_three_days_before_the_month_ends(generated, people):
    fire_inbox = Notification.objects.filter(user=people["fire"], kind="system", title__contains="信息材料")
    assert not [r for r in schedule.oversight_tick(at("2026-11-19 17:00")) if r.job == "remind.reports"]
    (run,) = [r for r in schedule.oversight_tick(at("2026-11-20 08:00")) if r.job == "remind.reports"]
    assert run.period == "2026-11#1" and run.result["units"] == 30 and fire_inbox.count() == 1
    assert not [r for r in schedule.oversight_tick(at("2026-11-20 09:00")) if r.job == "remind.reports"]
    (run,) = [r for r in schedule.oversight_tick(at("2026-11-27 08:05")) if r.job == "remind.reports"]
    assert run.period == "2026-11#2" and fire_inbox.count() == 2
    assert "11月30日前" in fire_inbox.first().body


def test_cadence_reminders_two_days_before_the_week_ends_to_nodes_not_yet_done(generated, people):
    bangtou = Region.objects.get(code="350322101")
    LeaderActivity.objects.create(
        kind="meeting", region=bangtou, region_path=bangtou.path, title="协调例会", held_at=at("2026-12-01 15:00"),
        leader_name="林志强", created_by=people["bangtou_lead"], created_at=at("2026-12-01 16:00"),
    )  # fmt: skip
    # Week of Monday 2026-11-30 … Sunday 12-06: reminders on Friday 12-04 from 08:00.
    assert not [r for r in schedule.oversight_tick(at("2026-12-03 17:00")) if r.job == "remind.cadence"]
    runs = [r for r in schedule.oversight_tick(at("2026-12-04 08:00")) if r.job == "remind.cadence"]
    assert len(runs) == 4  # township and village × inspection and meeting; the county's monthly ones come later
    inbox = Notification.objects.filter(user=people["bangtou_lead"], kind="system", title__contains="提醒")
    titles = sorted(inbox.values_list("title", flat=True))
    assert titles == ["【检查提醒】榜头镇本周乡镇(街道)网格领导带队检查已记录 0 次，要求 1 次"]  # the meeting is held
    assert Notification.objects.filter(user=people["nanxi"], title__contains="碰头会").count() == 1
    assert not [r for r in schedule.oversight_tick(at("2026-12-05 10:00")) if r.job == "remind.cadence"]
    assert inbox.count() == 1
    monthly = [r for r in schedule.oversight_tick(at("2026-12-29 08:00")) if r.job == "remind.cadence"]
    assert {r.period.split(":")[1] for r in monthly} >= {"2026-12-31"}  # 2 days before the month's end
    assert Notification.objects.filter(user=people["county_lead"], title__contains="工作会议").exists()


def test_no_reminder_after_the_deadline_has_passed(generated):
    # Down all week: back on Monday, last week's inspection reminders would only be noise.
    assert not [r for r in schedule.oversight_tick(at("2026-12-07 09:00")) if r.job == "remind.cadence"]


def test_the_worker_runs_the_calendar_on_its_tick_with_real_documents(monkeypatch, settings, tmp_path, db):
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("calendar_alarm_raise", "orphan_files_sweep", "tokens_purge_expired", "audit_checkpoint_write"):
        monkeypatch.setattr(worker, name, lambda: None)
    monkeypatch.setattr(worker, "sweep_due_cases", lambda: {})
    monkeypatch.setattr(schedule, "CATCH_UP_MONTHS", 1)
    with clock.frozen(at("2026-10-08 08:01")):
        call_command("worker", once=True)
        call_command("worker", once=True)  # the next tick: nothing again
    made = list(Bulletin.objects.order_by("kind"))
    assert [(b.kind, b.period_start.isoformat(), b.generated_by) for b in made] == [
        ("monthly", "2026-09-01", None),
        ("quarterly", "2026-07-01", None),
    ]
    assert {b.doc_no for b in made} == {"仙网格〔2026〕1号", "仙网格〔2026〕2号"}
    assert all(b.docx.storage.exists(b.docx.name) for b in made)
    assert ScheduleRun.objects.filter(job__startswith="bulletin.", status=RunStatus.DONE).count() == 2
    assert at("2026-10-08 08:01") - timedelta(minutes=1) <= made[0].generated_at
