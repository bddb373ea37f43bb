"""信息材料: each responsible unit sends at least 2 experience or good-practice write-ups a month to the county centre
(domain.md §1.7). Which units and how many is data (ReportQuota). Tracking, the shortfall list and reminders."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from gridsafe.accounts.models import Role, Unit, User
from gridsafe.cases.permissions import jurisdiction_of
from gridsafe.cases.uploads import accept_upload
from gridsafe.core import clock
from gridsafe.core.errors import NotFound, ValidationFailed
from gridsafe.core.input import InputForm
from gridsafe.dashboards import config
from gridsafe.dashboards.models import InfoReport, ReminderLog
from gridsafe.dashboards.periods import Period, month_period, next_month, today
from gridsafe.notifications.models import Notification, NotificationKind
from gridsafe.regions.cities import subtree_q
from gridsafe.regions.models import Region

DESK_ROLES = (Role.STATION_OFFICER, Role.CENTRE_OPERATOR, Role.CENTRE_LEAD, Role.DEPT_HANDLER, Role.DEPT_LEAD)
DOCX_MAGIC = b"PK\x03\x04"
MAX_BYTES = 20 * 1024 * 1024


def responsible_units(region: Region | None = None) -> list[tuple[Unit, int]]:
    """(unit, monthly minimum) for every unit a quota applies to, inside `region`'s subtree."""
    quotas = {(q.unit_kind, q.region_level): q.minimum for q in config.report_quotas()}
    units = Unit.objects.filter(is_active=True).select_related("region").order_by("region__path", "code")
    if region is not None:
        units = units.filter(subtree_q("region__path", region.path))  # a city: its counties' units too
    out = []
    for unit in units:
        minimum = quotas.get((unit.kind, unit.region.level))
        if minimum:
            out.append((unit, minimum))
    return out


def report_status(region: Region | None, month: Period) -> dict:
    """How many 信息材料 each responsible unit has sent for the month, and who is short. Two queries."""
    if month.start is None or month.start.day != 1 or month_period(month.start) != month:
        month = month_period(month.start or today())
    units = responsible_units(region)
    counts = dict(
        InfoReport.objects.filter(month=month.start, unit__in=[u for u, _m in units])
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    rows = [
        {
            "id": u.pk,
            "name": u.name,
            "count": counts.get(u.pk, 0),
            "minimum": m,
            "missing": max(0, m - counts.get(u.pk, 0)),
            "short": counts.get(u.pk, 0) < m,
        }
        for u, m in units
    ]
    minimums = sorted({m for _u, m in units})
    return {
        "month": month.label,
        "month_key": month.key,
        "units": rows,
        "short": [r for r in rows if r["short"]],
        "minimum_text": "/".join(str(m) for m in minimums) or "2",
        "over": next_month(month.start) <= today(),
    }


def info_report_submit(
    *, actor: User, title: str, summary: str = "", file=None, month: str | None = None
) -> InfoReport:
    """报送 — one 信息材料 of the actor's unit, counted for `month` (this month by default, or last month while
    late submissions are still accepted in the first 5 days)."""
    if actor.unit_id is None:
        raise ValidationFailed("只有责任单位的人员可以报送信息材料")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("请填写标题")
    current = today().replace(day=1)
    target = current
    if month:
        target = month_period(date.fromisoformat(month + "-01") if len(month) == 7 else date.fromisoformat(month)).start
    previous = month_period(current - timedelta(days=1)).start
    if target not in (current, previous) or (target == previous and today().day > 5):
        raise ValidationFailed("只能报送本月的信息材料（上月材料可在本月5日前补报）")
    report = InfoReport(
        unit_id=actor.unit_id,
        month=target,
        title=title[:120],
        summary=summary or "",
        submitted_by=actor,
        submitted_at=clock.now(),
    )
    if file is not None:
        data, extension = _checked_file(file)
        report.original_name = getattr(file, "name", "")[:200]
        report.file.save(f"{uuid.uuid4()}{extension}", ContentFile(data), save=False)
    try:
        report.save()
    except Exception:
        if report.file:
            report.file.storage.delete(report.file.name)
        raise
    return report


def _checked_file(upload) -> tuple[bytes, str]:
    """PDF and images are checked by their bytes (cases.uploads); a .docx must at least be a ZIP container."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head == DOCX_MAGIC and getattr(upload, "name", "").lower().endswith(".docx"):
        data = upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ValidationFailed("文件不能超过 20 MB")
        return data, ".docx"
    info, upload = accept_upload(upload)  # photos lose EXIF GPS, device and author before they are stored
    if info.kind == "video":
        raise ValidationFailed("信息材料请上传 PDF、Word(.docx) 或图片")
    upload.seek(0)
    return upload.read(), info.extension


def reports_visible_to(user: User):
    scope = jurisdiction_of(user)
    q = Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])
    for path in scope.paths:
        q |= Q(unit__region__path=path) | Q(unit__region__path__startswith=path + ".")
    return InfoReport.objects.filter(q).select_related("unit", "submitted_by").order_by("-submitted_at", "-id")


def report_for_user(user: User, report_id: int) -> InfoReport:
    report = reports_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise NotFound("未找到该信息材料")
    return report


def remind_stage(day: date) -> int:
    """How many 催报 rounds of the month have fallen due by `day`: one per entry of
    `GRIDSAFE_REPORT_REMIND_DAYS_BEFORE` (default 10 and 3 days before the month's last day)."""
    last = next_month(day.replace(day=1)) - timedelta(days=1)
    return sum(1 for before in settings.GRIDSAFE_REPORT_REMIND_DAYS_BEFORE if last - timedelta(days=before) <= day)


def info_reports_remind_due(now: datetime | None = None) -> int:
    """The reminder round due by `now` (0 before the first): see `info_reports_remind`."""
    now = now or clock.now()
    stage = remind_stage(timezone.localtime(now).date())
    return info_reports_remind(now, stage=stage) if stage else 0


def info_reports_remind(now: datetime, *, stage: int) -> int:
    """催报 round `stage` of the month of `now`: each unit still short for the month gets one in-app notification,
    to its desk staff. Returns the number of units reminded. Safe to run twice: one ReminderLog row per (unit, month,
    stage). Run by the oversight calendar (dashboards.schedule) before the month's end."""
    day = timezone.localtime(now).date()
    month = month_period(day)
    status = report_status(Region.objects.filter(code=settings.GRIDSAFE_COUNTY_CODE).first(), month)
    reminded = 0
    for row in status["short"]:
        try:
            with transaction.atomic():
                ReminderLog.objects.create(unit_id=row["id"], month=month.start, stage=stage, sent_at=now)
                users = User.objects.filter(unit_id=row["id"], role__in=DESK_ROLES, is_active=True).values_list(
                    "pk", flat=True
                )
                Notification.objects.bulk_create(
                    [
                        Notification(
                            user_id=uid,
                            kind=NotificationKind.SYSTEM,
                            title=f"【信息材料催报】{month.label}已报送 {row['count']} 篇，至少需 {row['minimum']} 篇",
                            body=f"请于{month.end:%m月%d日}前向县网格化中心报送信息材料（经验做法、典型案例等）。",
                            created_at=now,
                        )
                        for uid in users
                    ]
                )
        except IntegrityError:
            continue  # this stage was already sent
        reminded += 1
    return reminded


class InfoReportForm(InputForm):
    title = forms.CharField(label="标题", max_length=120)
    summary = forms.CharField(
        label="内容摘要", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    file = forms.FileField(label="附件（PDF、Word .docx 或图片，可选）", required=False)
    month = forms.ChoiceField(label="计入月份", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = month_period(today())
        choices = [(current.key, current.label)]
        if today().day <= 5:
            previous = current.previous()
            choices.append((previous.key, f"{previous.label}（补报）"))
        self.fields["month"].choices = choices
