"""督导日历 — the oversight calendar the worker runs by itself ("每季度一督导、每月一通报", domain.md §1.6–1.7).

`oversight_tick(now)` is called by `gridsafe worker` on every sweep (30 s). It works out which jobs are due by now and
runs each one that has no finished `ScheduleRun`:

* 月度通报: last month's bulletin, on the `GRIDSAFE_BULLETIN_DAY`-th working day of the month (1: the first working
  day by the catalog's working calendar, so a 1 October holiday week moves it to 8 October), at the opening of office
  hours;
* 季度督导: last quarter's report, on the same day of a quarter's first month;
* 信息材料催报: `GRIDSAFE_REPORT_REMIND_DAYS_BEFORE` days (10 and 3) before the month's end, to units still short;
* 检查/例会提醒: `GRIDSAFE_CADENCE_REMIND_DAYS_BEFORE` days (2) before a week or month ends, to each node whose
  leader-led inspection or meeting (CadenceRule) is not yet recorded for it.

Exactly once: the (job, period) unique key of `ScheduleRun` is the claim, so a second tick or a second worker does
nothing. A failed run (say, no Chinese font for the charts) is retried after `RETRY_AFTER`; a run whose worker died
mid-way is taken over after `STALE_AFTER`. Catch-up: a worker that was down on the due day runs the job on its next
tick; bulletins are caught up for the last `CATCH_UP_MONTHS` months and the last quarter, reminders only while they
can still help (before the deadline). `next_runs(now)` says truthfully when each job comes next (the bulletin page)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gridsafe.accounts.models import Role, Unit, User
from gridsafe.catalog.calendar import current_calendar
from gridsafe.core import clock
from gridsafe.dashboards import config
from gridsafe.dashboards.bulletins import bulletin_generate
from gridsafe.dashboards.inforeports import info_reports_remind
from gridsafe.dashboards.models import (
    ActivityKind,
    Bulletin,
    BulletinKind,
    Cadence,
    CadenceRule,
    LeaderActivity,
    RunStatus,
    ScheduleRun,
)
from gridsafe.dashboards.periods import month_period, next_month, parse_period, quarter_period
from gridsafe.field.deadlines import registers_tick
from gridsafe.notifications.models import Notification, NotificationKind
from gridsafe.regions.models import Region

log = logging.getLogger("gridsafe.schedule")

MONTHLY_JOB = "bulletin.monthly"
QUARTERLY_JOB = "bulletin.quarterly"
REPORTS_JOB = "remind.reports"
CADENCE_JOB = "remind.cadence"
REGISTERS_JOB = "registers.deadlines"  # 台账到期提醒 (field.deadlines): daily
JOB_LABELS = {
    MONTHLY_JOB: "月度通报",
    QUARTERLY_JOB: "季度督导报告",
    REPORTS_JOB: "信息材料催报",
    CADENCE_JOB: "领导带队检查/例会提醒",
    REGISTERS_JOB: "台账到期提醒",
}
CATCH_UP_MONTHS = 3
RETRY_AFTER = timedelta(hours=1)
STALE_AFTER = timedelta(minutes=30)
# Who hears a node's inspection/meeting reminder: the desk of its centre or station, and the county's leaders.
CADENCE_ROLES = (Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.LEADER)
CADENCE_UNIT_KINDS = ("centre", "station", "leadership")


@dataclass(frozen=True)
class Due:
    job: str
    period: str  # the run's key within the job: 2026-11, 2026-Q3, 2026-11#2, 12:2026-11-30
    at: datetime  # when it falls due
    label: str
    run: Callable[[datetime], dict]


# ---------------------------------------------------------------- the calendar


def _local(now: datetime) -> date:
    return timezone.localtime(now).date()


def office_opening(day: date) -> datetime:
    """The moment office hours open on `day` (08:00 by default): when a scheduled job falls due."""
    opening = current_calendar().office_hours[0][0] if current_calendar().office_hours else time(8)
    return datetime.combine(day, opening, timezone.get_current_timezone())


def nth_working_day(first: date, n: int) -> date:
    """The n-th working day on or after `first` by the working calendar (holidays and 调休 make-up days)."""
    calendar = current_calendar()
    day, seen = first, 0
    for _ in range(60):
        if calendar.is_workday(day):
            seen += 1
            if seen >= max(n, 1):
                return day
        day += timedelta(days=1)
    return first  # a calendar with no working day in two months is broken; do not wait forever


def bulletin_day(month_first: date) -> date:
    """The day the bulletin of the month before `month_first` is generated."""
    return nth_working_day(month_first, settings.GRIDSAFE_BULLETIN_DAY)


def _month_starts_back(day: date, count: int) -> list[date]:
    first = day.replace(day=1)
    out = [first]
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out


def _county() -> Region:
    return Region.objects.get(code=settings.GRIDSAFE_COUNTY_CODE)


def due_runs(now: datetime) -> list[Due]:
    """Every job that has fallen due by `now` and may still be run (catch-up window included), oldest first."""
    today = _local(now)
    out: list[Due] = []
    for first in reversed(_month_starts_back(today, CATCH_UP_MONTHS)):
        at = office_opening(bulletin_day(first))
        if at > now:
            continue
        month = month_period(first - timedelta(days=1))
        out.append(
            Due(MONTHLY_JOB, month.key, at, f"{month.label}月度通报", _bulletin_job(BulletinKind.MONTHLY, month))
        )
        if first == quarter_period(today).start:
            quarter = quarter_period(first).previous()
            out.append(
                Due(QUARTERLY_JOB, quarter.key, at, f"{quarter.label}督导报告", _bulletin_job("quarterly", quarter))
            )
    month = month_period(today)
    stages = [
        office_opening(month.end - timedelta(days=d)) for d in sorted(settings.GRIDSAFE_REPORT_REMIND_DAYS_BEFORE)[::-1]
    ]
    passed = [at for at in stages if at <= now]
    if passed:  # only the latest round: a worker back after both dates sends one reminder, not two at once
        stage = len(passed)
        out.append(Due(REPORTS_JOB, f"{month.key}#{stage}", passed[-1], f"{month.label}信息材料催报（第{stage}轮）",
                       _reports_job(month.key, stage)))  # fmt: skip
    for rule in config.cadence_rules():
        first, last = cadence_window(rule.cadence, today)
        at = office_opening(last - timedelta(days=settings.GRIDSAFE_CADENCE_REMIND_DAYS_BEFORE))
        if at <= now and today <= last:  # after the deadline a reminder no longer helps
            out.append(Due(CADENCE_JOB, f"{rule.pk}:{last:%Y-%m-%d}", at, f"{rule.title}提醒（{first:%m-%d}~{last:%m-%d}）",
                           _cadence_job(rule.pk, first, last)))  # fmt: skip
    if office_opening(today) <= now:
        out.append(
            Due(REGISTERS_JOB, f"{today:%Y-%m-%d}", office_opening(today), "台账到期提醒", _registers_job(today))
        )
    return out


def cadence_window(cadence: str, day: date) -> tuple[date, date]:
    """The week (Monday–Sunday) or month holding `day`."""
    if cadence == Cadence.WEEK:
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    return day.replace(day=1), next_month(day) - timedelta(days=1)


# ---------------------------------------------------------------- running


def _claim(due: Due, now: datetime) -> ScheduleRun | None:
    """Take the run, or None when it is done or another worker has it. A failed run is retried after RETRY_AFTER,
    a running one whose worker died is taken over after STALE_AFTER (conditional UPDATE: one taker wins)."""
    try:
        with transaction.atomic():
            return ScheduleRun.objects.create(
                job=due.job, period=due.period, status=RunStatus.RUNNING, due_at=due.at, started_at=now
            )
    except IntegrityError:
        pass
    taken = (
        ScheduleRun.objects.filter(job=due.job, period=due.period)
        .filter(
            Q(status=RunStatus.FAILED, finished_at__lt=now - RETRY_AFTER)
            | Q(status=RunStatus.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=RunStatus.RUNNING, started_at=now, finished_at=None, error="")
    )
    if not taken:
        return None
    run = ScheduleRun.objects.get(job=due.job, period=due.period)
    ScheduleRun.objects.filter(pk=run.pk).update(attempts=run.attempts + 1)
    return run


def oversight_tick(now: datetime | None = None) -> list[ScheduleRun]:
    """Run every due job that has not run: the worker's entry point. Returns the runs this tick finished (done or
    failed). Costs one query for the finished runs when nothing is due."""
    now = now or clock.now()
    dues = due_runs(now)
    if not dues:
        return []
    finished = set(
        ScheduleRun.objects.filter(job__in={d.job for d in dues}, period__in={d.period for d in dues})
        .filter(status=RunStatus.DONE)
        .values_list("job", "period")
    )
    out = []
    for due in dues:
        if (due.job, due.period) in finished:
            continue
        run = _claim(due, now)
        if run is None:
            continue
        try:
            with clock.frozen(now):
                result = due.run(now)
        except Exception as exc:  # one failing job must not stop the others, nor the deadline sweep
            log.exception("oversight job %s %s failed", due.job, due.period)
            ScheduleRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                finished_at=now,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"[:4000],
            )
            run.status = RunStatus.FAILED
        else:
            run.status = RunStatus.DONE
            run.result = result
        run.refresh_from_db()
        out.append(run)
    return out


def _finish(run_key: tuple[str, str], now: datetime, result: dict) -> None:
    ScheduleRun.objects.filter(job=run_key[0], period=run_key[1]).update(
        status=RunStatus.DONE, finished_at=now, result=result
    )


def _bulletin_job(kind: str, period) -> Callable[[datetime], dict]:
    job = MONTHLY_JOB if kind == BulletinKind.MONTHLY else QUARTERLY_JOB

    def run(now: datetime) -> dict:
        region = _county()
        existing = Bulletin.objects.filter(kind=kind, region=region, period_start=period.start).first()
        if existing is not None:  # made by hand, or by a run whose worker died after the commit
            result = {"bulletin": existing.pk, "already": True}
        else:
            result = {"bulletin": bulletin_generate(kind=kind, period=period, region=region).pk}
        _finish((job, period.key), now, result)
        return result

    return run


def _reports_job(month_key: str, stage: int) -> Callable[[datetime], dict]:
    def run(now: datetime) -> dict:
        with transaction.atomic():
            result = {"units": info_reports_remind(now, stage=stage)}
            _finish((REPORTS_JOB, f"{month_key}#{stage}"), now, result)
        return result

    return run


def _registers_job(day: date) -> Callable[[datetime], dict]:
    def run(now: datetime) -> dict:
        result = registers_tick(now)
        _finish((REGISTERS_JOB, f"{day:%Y-%m-%d}"), now, result)
        return result

    return run


def _cadence_job(rule_id: int, first: date, last: date) -> Callable[[datetime], dict]:
    def run(now: datetime) -> dict:
        with transaction.atomic():
            result = cadence_remind(rule_id, first, last, now)
            _finish((CADENCE_JOB, f"{rule_id}:{last:%Y-%m-%d}"), now, result)
        return result

    return run


def cadence_remind(rule_id: int, first: date, last: date, now: datetime) -> dict:
    """检查/例会提醒: every node at the rule's level with fewer activities than the rule asks in [first, last] gets one
    in-app notification to its desk (station officer, centre staff, leaders). Four queries and one bulk insert."""
    rule = CadenceRule.objects.get(pk=rule_id)
    county = _county()
    tz = timezone.get_current_timezone()
    nodes = list(
        Region.objects.filter(Q(path=county.path) | Q(path__startswith=county.path + "."))
        .filter(level=rule.region_level, is_active=True)
        .only("pk", "name", "path")
    )
    held: dict[int, int] = {}
    for region_id in LeaderActivity.objects.filter(
        kind=rule.kind,
        region__in=nodes,
        held_at__gte=datetime.combine(first, time.min, tz),
        held_at__lt=datetime.combine(last + timedelta(days=1), time.min, tz),
    ).values_list("region_id", flat=True):
        held[region_id] = held.get(region_id, 0) + 1
    short = {n.pk: n for n in nodes if held.get(n.pk, 0) < rule.times}
    units = dict(
        Unit.objects.filter(region_id__in=short, kind__in=CADENCE_UNIT_KINDS, is_active=True).values_list(
            "pk", "region_id"
        )
    )
    what = "检查" if rule.kind == ActivityKind.INSPECTION else "会议"
    every = "本周" if rule.cadence == Cadence.WEEK else "本月"
    notes = []
    for user_id, unit_id in User.objects.filter(unit_id__in=units, role__in=CADENCE_ROLES, is_active=True).values_list(
        "pk", "unit_id"
    ):
        node = short[units[unit_id]]
        count = held.get(node.pk, 0)
        notes.append(
            Notification(
                user_id=user_id,
                kind=NotificationKind.SYSTEM,
                title=f"【{what}提醒】{node.name}{every}{rule.title}已记录 {count} 次，要求 {rule.times} 次",
                body=f"请于 {last:%m月%d日} 前开展并在“领导带队检查”中登记（{first:%m-%d}~{last:%m-%d}）。",
                created_at=now,
            )
        )
    Notification.objects.bulk_create(notes, batch_size=500)
    return {"nodes": len(short), "notified": len(notes)}


# ---------------------------------------------------------------- what the pages say


def next_runs(now: datetime | None = None) -> dict:
    """When the next 月度通报 and 季度督导 will be generated, and any run that is late or failed: what the bulletin
    page states (and nothing it cannot keep). Two queries."""
    now = now or clock.now()
    today = _local(now)
    first = today.replace(day=1)
    # this month's run if it is still ahead, else next month's
    month_first = first if office_opening(bulletin_day(first)) > now else next_month(first)
    monthly_at = office_opening(bulletin_day(month_first))
    quarter_first = quarter_period(today).start
    if office_opening(bulletin_day(quarter_first)) <= now:
        quarter_first = next_month(quarter_period(today).end)
    quarterly_at = office_opening(bulletin_day(quarter_first))
    late, failed = [], []
    county = Region.objects.filter(code=settings.GRIDSAFE_COUNTY_CODE).first()
    made = set()
    dues = [d for d in due_runs(now) if d.job in (MONTHLY_JOB, QUARTERLY_JOB)]
    if county is not None and dues:
        made = {
            (MONTHLY_JOB if k == BulletinKind.MONTHLY else QUARTERLY_JOB, s)
            for k, s in Bulletin.objects.filter(region=county).values_list("kind", "period_start")
        }
    runs = {
        (r.job, r.period): r
        for r in ScheduleRun.objects.filter(job__in=(MONTHLY_JOB, QUARTERLY_JOB), period__in={d.period for d in dues})
    }
    for due in dues:
        if (due.job, parse_period(due.period).start) in made:
            continue
        run = runs.get((due.job, due.period))
        if run is not None and run.status == RunStatus.FAILED:
            failed.append({"label": due.label, "at": due.at, "error": run.error.splitlines()[0] if run.error else ""})
        elif now - due.at > timedelta(minutes=10):
            late.append({"label": due.label, "at": due.at})
    published = current_calendar().published_years
    return {
        # a year without the State Council's schedule falls back to Monday–Friday: say so rather than promise a date
        "unpublished": sorted({d.year for d in (monthly_at, quarterly_at) if d.year not in published}),
        "monthly": {"at": monthly_at, "label": month_period(month_first - timedelta(days=1)).label},
        "quarterly": {"at": quarterly_at, "label": quarter_period(quarter_first).previous().label},
        "late": late,
        "failed": failed,
    }
