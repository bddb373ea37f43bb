"""Every write of the field app. One service per action, keyword-only, `<entity>_<verb>`. (Over 600 lines: patrols,
visits, photos and publicity, one module until it is split by record.)

Offline rules (domain.md §8): each record carries the client's UUID. An identical resend by the same worker returns
the same record (the API answers 200 instead of 201); the same UUID with other content, or from anyone else, is
`IdempotencyConflict` (409). One helper does this for every kind, `core.idempotency.create_once`; a unique
constraint closes the concurrent-resend race: the loser re-reads and answers as a repeat.

Hazards found on a visit are created through `cases.services.case_report` (a durable service of its own), after the
visit has committed, with client ids derived from the visit: uuid5(visit client id, item code). A crash between the
two steps is healed by the phone's resend, which completes the missing cases and never doubles them."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gridsafe.accounts.models import User
from gridsafe.cases.models import Attachment, Case
from gridsafe.cases.services import attachment_add, case_report
from gridsafe.cases.uploads import accept_upload
from gridsafe.catalog.models import Grade
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError, IdempotencyConflict, NotFound, NotPermitted, ValidationFailed
from gridsafe.core.idempotency import create_once, fingerprint_matches, request_fingerprint
from gridsafe.core.input import check_moment
from gridsafe.field.models import (
    ChecklistTemplate,
    FieldPhoto,
    Patrol,
    PatrolRule,
    PatrolStatus,
    PlaceVisit,
    PublicityActivity,
    PublicityPhoto,
    Severity,
    TrackPoint,
    VisitResult,
)
from gridsafe.field.permissions import can_start_patrol, ensure_can_write_patrol, patrols_visible_to
from gridsafe.field.watermark import WatermarkFontMissing, render_watermark
from gridsafe.places.models import Place
from gridsafe.places.permissions import covers_path
from gridsafe.places.services import place_mark_inspected
from gridsafe.regions.coords import POOR_ACCURACY_M, LocationFlag, haversine_m
from gridsafe.regions.locate import grid_distance_m
from gridsafe.regions.models import Region, RegionLevel

CLOCK_SKEW = timedelta(minutes=10)  # a phone clock this far ahead of the server is refused, not trusted
MAX_POINTS_PER_BATCH = 500
ANSWERS = ("pass", "fail", "na")


def track_retention_days() -> int:
    return settings.GRIDSAFE_TRACK_RETENTION_DAYS


def outside_grid_m() -> int:
    return settings.GRIDSAFE_LOCATE_BUFFER_M


class PatrolAlreadyActive(DomainError):
    status = 409
    code = "patrol_active"
    title = "已有一次巡查未结束"


class WatermarkUnavailable(DomainError):
    """The server cannot draw Chinese: a set-up fault, answered 503 so the phone retries later."""

    status = 503
    code = "watermark_unavailable"
    title = "水印服务暂不可用"


def _device_time(value: datetime | None, now: datetime, what: str) -> datetime:
    if value is None:
        return now
    if value > now + CLOCK_SKEW:
        raise ValidationFailed(f"{what}晚于服务器时间，请校准手机时间")
    try:
        return check_moment(value)  # the shared window (core.input): a year-1 time would break every later read
    except ValueError as exc:
        raise ValidationFailed(f"{what}：{exc}") from exc


def location_flags(*, grid_ids: list[int], lon: float | None, lat: float | None, accuracy_m: float | None) -> list[str]:
    """Flags, never blocks (domain.md §8): no fix, accuracy worse than 50 m, more than 50 m outside the grids."""
    if lon is None or lat is None:
        return ["no_location"]
    flags: list[str] = []
    if accuracy_m is not None and accuracy_m > POOR_ACCURACY_M:
        flags.append("poor_accuracy")
    if grid_ids and min(grid_distance_m(g, lon, lat) for g in grid_ids) > outside_grid_m():
        flags.append("outside_own_grid")
    return flags


# ---------------------------------------------------------------- 巡查: patrols


def patrol_start(
    *,
    actor: User,
    client_id: uuid.UUID,
    grid_code: str,
    started_at: datetime | None = None,
) -> tuple[Patrol, bool]:
    """开始巡查 — one of the worker's grids. Returns (patrol, created). One open patrol per worker (DB constraint)."""

    def create(fingerprint: str) -> Patrol:
        if not can_start_patrol(actor):
            raise NotPermitted("只有网格员可以开始巡查")
        grid = actor.grids.filter(code=grid_code, level=RegionLevel.GRID).first()
        if grid is None:
            raise NotFound("网格不存在")  # not one of the worker's grids looks the same as no grid at all
        now = clock.now()
        started = _device_time(started_at, now, "开始时间")
        return _patrol_insert(
            actor=actor, client_id=client_id, fingerprint=fingerprint, grid=grid, started_at=started, now=now
        )

    try:
        return create_once(
            Patrol.objects.all(),
            client_id=client_id,
            actor_id=actor.pk,
            payload={"grid": grid_code, "started_at": started_at},
            create=create,
            actor_field="worker_id",
            conflict="该巡查 client_id 已用于另一次巡查",
        )
    except IntegrityError:  # not the client id: the one-open-patrol-per-worker constraint
        active = Patrol.objects.filter(worker=actor, status=PatrolStatus.ACTIVE).first()
        raise PatrolAlreadyActive(
            "您有一次巡查尚未结束，请先结束它",
            active_patrol=str(active.client_id) if active else None,
        ) from None


@transaction.atomic(durable=True)
def _patrol_insert(
    *, actor: User, client_id: uuid.UUID, fingerprint: str, grid: Region, started_at: datetime, now: datetime
) -> Patrol:
    return Patrol.objects.create(
        client_id=client_id,
        client_fingerprint=fingerprint,
        worker=actor,
        grid=grid,
        grid_path=grid.path,
        started_at=started_at,
        received_at=now,
        updated_at=now,
    )


def patrol_track_append(*, actor: User, patrol: Patrol, points: list[dict[str, Any]]) -> dict[str, int]:
    """记录轨迹 — append GPS fixes, idempotent by (patrol, seq): a resent point is skipped, a different point under
    a used seq is 409. Fixes outside the patrol's time window are dropped (GPS is kept only during a patrol).
    Returns counts. One INSERT for the new points and one UPDATE of the patrol's summary."""
    ensure_can_write_patrol(actor, patrol)
    if len(points) > MAX_POINTS_PER_BATCH:
        raise ValidationFailed(f"每次最多上传 {MAX_POINTS_PER_BATCH} 个轨迹点")
    if patrol.track_purged_at is not None:
        raise ValidationFailed("该巡查轨迹已过保存期限并删除")
    return _track_append(patrol_id=patrol.pk, points=points)


@transaction.atomic(durable=True)
def _track_append(*, patrol_id: int, points: list[dict[str, Any]]) -> dict[str, int]:
    patrol = Patrol.objects.select_for_update().get(pk=patrol_id)
    now = clock.now()
    window_end = (patrol.ended_at or now) + timedelta(minutes=1)
    window_start = patrol.started_at - timedelta(minutes=1)
    by_seq: dict[int, dict[str, Any]] = {}
    for point in points:
        seq = int(point["seq"])
        if seq in by_seq and by_seq[seq] != point:
            raise IdempotencyConflict(f"轨迹点序号 {seq} 在同一批次中重复且内容不同")
        by_seq[seq] = point
    existing = {
        row[0]: row[1:]
        for row in TrackPoint.objects.filter(patrol_id=patrol_id, seq__in=list(by_seq)).values_list(
            "seq", "lon", "lat", "accuracy_m", "recorded_at"
        )
    }
    new, duplicates, outside_window = [], 0, 0
    for seq, point in sorted(by_seq.items()):
        key = (float(point["lon"]), float(point["lat"]), point.get("accuracy_m"), point["recorded_at"])
        if seq in existing:
            if existing[seq] != key:
                raise IdempotencyConflict(f"轨迹点序号 {seq} 已用于另一个位置")
            duplicates += 1
            continue
        if not (window_start <= point["recorded_at"] <= window_end):
            outside_window += 1
            continue
        flags = location_flags(grid_ids=[patrol.grid_id], lon=key[0], lat=key[1], accuracy_m=key[2])
        new.append(
            TrackPoint(
                patrol_id=patrol_id,
                seq=seq,
                lon=key[0],
                lat=key[1],
                accuracy_m=key[2],
                recorded_at=key[3],
                flags=flags,
            )
        )
    if new:
        TrackPoint.objects.bulk_create(new)
        Patrol.objects.filter(pk=patrol_id).update(
            point_count=F("point_count") + len(new),
            flagged_points=F("flagged_points") + sum(1 for p in new if p.flags),
            distance_m=_track_length(patrol_id),
            updated_at=now,
        )
        if patrol.status == PatrolStatus.ENDED:  # points of an ended patrol that arrived late (a retried batch)
            _coverage_judge(patrol_id)
    return {"accepted": len(new), "duplicates": duplicates, "outside_patrol": outside_window}


# Two fixes further apart than this are not joined: the phone lost the track (asleep, no signal), and what the worker
# did in between is unknown, so it is not counted as time in the grid.
MAX_TRACK_GAP = timedelta(minutes=10)


def _in_grid_walk(patrol_id: int) -> tuple[float, float]:
    """Minutes and metres inside the patrol's grid: over consecutive trusted fixes (accuracy ≤ 50 m) that are both
    inside the grid (not flagged outside_own_grid) and at most MAX_TRACK_GAP apart. One query."""
    rows = (
        TrackPoint.objects.filter(patrol_id=patrol_id)
        .order_by("seq")
        .values_list("lon", "lat", "accuracy_m", "recorded_at", "flags")
    )
    good = [row for row in rows if row[2] is None or row[2] <= POOR_ACCURACY_M]
    seconds = metres = 0.0
    for a, b in zip(good, good[1:], strict=False):
        if LocationFlag.OUTSIDE_OWN_GRID in a[4] or LocationFlag.OUTSIDE_OWN_GRID in b[4]:
            continue
        gap = b[3] - a[3]
        if timedelta(0) <= gap <= MAX_TRACK_GAP:
            seconds += gap.total_seconds()
            metres += haversine_m(a[0], a[1], b[0], b[1])
    return round(seconds / 60, 1), round(metres, 1)


def _coverage_judge(patrol_id: int) -> None:
    """Apply the county's PatrolRule to an ended patrol and store the result (巡查是否计入覆盖). Runs inside the
    caller's transaction: the end of the patrol, or late track points of an ended one."""
    minutes, metres = _in_grid_walk(patrol_id)
    counts, reason = PatrolRule.current().judge(minutes=minutes, metres=metres)
    Patrol.objects.filter(pk=patrol_id).update(
        counts_for_coverage=counts, coverage_reason=reason, in_grid_minutes=minutes, in_grid_distance_m=metres
    )


def _track_length(patrol_id: int) -> float:
    """Length of the track in metres, over fixes good enough to trust (accuracy ≤ 50 m), in seq order."""
    rows = TrackPoint.objects.filter(patrol_id=patrol_id).order_by("seq").values_list("lon", "lat", "accuracy_m")
    good = [(lon, lat) for lon, lat, acc in rows if acc is None or acc <= POOR_ACCURACY_M]
    return round(sum(haversine_m(*a, *b) for a, b in zip(good, good[1:], strict=False)), 1)


def patrol_end(
    *, actor: User, patrol: Patrol, ended_at: datetime | None = None, nothing_found: bool = False, note: str = ""
) -> Patrol:
    """结束巡查 — "已巡查无隐患" (nothing_found) is recorded like any other ended patrol. The county's PatrolRule is
    applied here (minutes and metres inside the grid): only a patrol that meets it counts toward coverage
    (`counts_for_coverage`, with the reason). An identical resend is a repeat; ending it again differently is 409."""
    sent = {"ended_at": ended_at, "nothing_found": nothing_found, "note": note}
    fingerprint = request_fingerprint(sent)
    ensure_can_write_patrol(actor, patrol)  # before the repeat: a supervisor's resend is no end of theirs
    if patrol.status == PatrolStatus.ENDED:
        if not fingerprint_matches(patrol.end_fingerprint, sent):
            raise IdempotencyConflict("该巡查已结束，且结束内容不同")
        return patrol
    now = clock.now()
    ended_at = _device_time(ended_at, now, "结束时间")
    if ended_at < patrol.started_at:
        raise ValidationFailed("结束时间早于开始时间")
    if nothing_found and PlaceVisit.objects.filter(patrol=patrol, result=VisitResult.HAZARDS).exists():
        raise ValidationFailed("本次巡查已发现隐患，不能标记为“已巡查无隐患”")
    return _patrol_close(
        patrol_id=patrol.pk, ended_at=ended_at, nothing_found=nothing_found, note=note[:500], fingerprint=fingerprint
    )


@transaction.atomic(durable=True)
def _patrol_close(*, patrol_id: int, ended_at: datetime, nothing_found: bool, note: str, fingerprint: str) -> Patrol:
    updated = Patrol.objects.filter(pk=patrol_id, status=PatrolStatus.ACTIVE).update(
        status=PatrolStatus.ENDED,
        ended_at=ended_at,
        nothing_found=nothing_found,
        note=note,
        end_fingerprint=fingerprint,
        updated_at=clock.now(),
    )
    if updated == 1:
        _coverage_judge(patrol_id)
    patrol = Patrol.objects.select_related("grid", "worker").get(pk=patrol_id)
    if updated != 1 and patrol.end_fingerprint != fingerprint:  # both written by this very code: no legacy form
        raise IdempotencyConflict("该巡查已结束，且结束内容不同")  # a concurrent end with other content won
    return patrol


def patrol_track_view(*, actor: User, patrol: Patrol, ip: str | None = None) -> list[TrackPoint]:
    """查看轨迹 — the points of a visible patrol. A supervisor's view of someone else's track is a view of
    personal data and is written to the audit log (domain.md §10)."""
    if patrol.worker_id != actor.pk:
        audit_record(
            actor=actor,
            action="patrol.track_viewed",
            target=f"patrol:{patrol.client_id}",
            ip=ip,
            payload={"worker_id": patrol.worker_id, "grid": patrol.grid_path},
        )
    return list(patrol.points.order_by("seq"))


def patrol_tracks_purge(*, now: datetime | None = None) -> int:
    """Delete GPS points of patrols ended more than GRIDSAFE_TRACK_RETENTION_DAYS ago (default 90); the patrol
    summary (grid, times, distance, outcome) stays for coverage. Returns the number of points deleted."""
    now = now or clock.now()
    cutoff = now - timedelta(days=track_retention_days())
    patrols = Patrol.objects.filter(status=PatrolStatus.ENDED, ended_at__lt=cutoff, track_purged_at__isnull=True)
    deleted = 0
    for patrol_id in patrols.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            deleted += TrackPoint.objects.filter(patrol_id=patrol_id).delete()[0]
            Patrol.objects.filter(pk=patrol_id).update(track_purged_at=now)
    return deleted


# ---------------------------------------------------------------- 检查: place visits against a checklist


def visit_case_client_id(visit_client_id: uuid.UUID, item_code: str) -> uuid.UUID:
    """The client id of the hazard case a failed item creates: stable across resends and devices."""
    return uuid.uuid5(visit_client_id, item_code)


def place_visit_record(
    *,
    actor: User,
    client_id: uuid.UUID,
    place: Place,
    template_id: int,
    answers: list[dict[str, Any]],
    patrol_client_id: uuid.UUID | None = None,
    visited_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
) -> tuple[PlaceVisit, bool, list[Case]]:
    """检查打卡 — record the checklist answers of a visit, move the place's schedule, and create one hazard case
    (source 巡查, answers kept in `checklist_answers`) per failed item. Returns (visit, created, cases).

    Two durable steps: the visit row (and the schedule) in one transaction, then `case_report` per failed item.
    A resend of the same visit re-runs the second step from the stored answers, so it completes what a crash
    left out; `case_report` is idempotent on the derived client ids."""
    submitted = {
        "place": place.pk,
        "template": template_id,
        "answers": answers,
        "patrol": patrol_client_id,
        "visited_at": visited_at,
        "lon": lon,
        "lat": lat,
        "accuracy_m": accuracy_m,
    }
    visit, created = create_once(
        PlaceVisit.objects.all(),
        client_id=client_id,
        actor_id=actor.pk,
        payload=submitted,
        create=lambda fingerprint: _visit_insert(
            actor=actor,
            client_id=client_id,
            fingerprint=fingerprint,
            place=place,
            template_id=template_id,
            answers=answers,
            patrol_client_id=patrol_client_id,
            visited_at=visited_at,
            lon=lon,
            lat=lat,
            accuracy_m=accuracy_m,
        ),
        actor_field="worker_id",
        conflict="该检查记录 client_id 已用于另一次检查",
    )
    cases = _visit_cases(visit=visit, actor=actor)
    return PlaceVisit.objects.select_related("place", "template").get(pk=visit.pk), created, cases


def checklist_answers_check(
    template: ChecklistTemplate, place: Place, answers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every applicable item answered exactly once; N/A only where allowed; a failure needs a photo where the item
    says so (the photos upload separately, so the client declares their ids). Returns the stored answer rows. Also
    checks 企业自查 (hazards.services), so both answer a checklist by the same rules."""
    items = {item.code: item for item in template.items_for(place.kind)}
    given: dict[str, dict[str, Any]] = {}
    for answer in answers:
        code = str(answer.get("code", ""))
        if code not in items:
            raise ValidationFailed(f"检查项不存在或不适用于该对象：{code}")
        if code in given:
            raise ValidationFailed(f"检查项重复作答：{code}")
        given[code] = answer
    missing = [code for code in items if code not in given]
    if missing:
        raise ValidationFailed(f"还有检查项未作答：{'、'.join(missing)}")
    rows = []
    for code, item in items.items():
        answer = given[code]
        value = answer.get("answer")
        if value not in ANSWERS:
            raise ValidationFailed(f"检查项 {code} 的结论应为 pass、fail 或 na")
        if value == "na" and not item.na_allowed:
            raise ValidationFailed(f"检查项 {code}（{item.question}）不允许选“不适用”")
        photos = [str(p) for p in answer.get("photo_client_ids") or []]
        if value == "fail" and item.photo_required_on_fail and not photos:
            raise ValidationFailed(f"检查项 {code}（{item.question}）不合格时须拍照")
        rows.append(
            {
                "code": code,
                "question": item.question,
                "answer": value,
                "severity": item.severity,
                "legal_basis": item.legal_basis,
                "category": item.category.code,
                "weight": item.weight,
                "note": str(answer.get("note") or "")[:500],
                "description": str(answer.get("description") or "")[:4000],
                "photo_client_ids": photos,
            }
        )
    return rows


def checklist_score(rows: list[dict[str, Any]]) -> float | None:
    """The weighted share of passed items, 0–100 (None when nothing counts). Also scores 企业自查 (hazards)."""
    counted = [r for r in rows if r["answer"] != "na"]  # N/A is excluded from scores
    total = sum(r["weight"] for r in counted)
    return round(100 * sum(r["weight"] for r in counted if r["answer"] == "pass") / total, 1) if total else None


@transaction.atomic(durable=True)
def _visit_insert(
    *,
    actor: User,
    client_id: uuid.UUID,
    fingerprint: str,
    place: Place,
    template_id: int,
    answers: list[dict[str, Any]],
    patrol_client_id: uuid.UUID | None,
    visited_at: datetime | None,
    lon: float | None,
    lat: float | None,
    accuracy_m: float | None,
) -> PlaceVisit:
    if not covers_path(actor, place.region_path):
        raise NotFound("未找到该监管对象")
    if not place.is_active:
        raise ValidationFailed("该监管对象已停用")
    template = (
        ChecklistTemplate.objects.answerable()  # never a draft: the version answered is frozen, so the visit is exact
        .filter(pk=template_id, domain_id=place.domain_id, place_kind__in=[place.kind, ""])
        .prefetch_related("items__category")
        .first()
    )
    if template is None:
        raise ValidationFailed("检查表不存在或不适用于该监管对象")
    now = clock.now()
    visited_at = _device_time(visited_at, now, "检查时间")
    patrol = None
    if patrol_client_id is not None:
        patrol = patrols_visible_to(actor).filter(client_id=patrol_client_id, worker=actor).first()
        if patrol is None:
            raise ValidationFailed("巡查记录不存在，请先上传巡查开始记录")
        if visited_at < patrol.started_at - timedelta(minutes=1) or (
            patrol.ended_at is not None and visited_at > patrol.ended_at + timedelta(minutes=1)
        ):
            raise ValidationFailed("检查时间不在该次巡查时间内")
    rows = checklist_answers_check(template, place, answers)
    grid_ids = list(actor.grids.values_list("pk", flat=True)) or [place.region_id]
    flags = location_flags(grid_ids=grid_ids, lon=lon, lat=lat, accuracy_m=accuracy_m)
    if lon is not None and lat is not None and haversine_m(lon, lat, place.lon, place.lat) > 200:
        flags.append("far_from_place")
    visit = PlaceVisit.objects.create(
        client_id=client_id,
        client_fingerprint=fingerprint,
        patrol=patrol,
        place=place,
        worker=actor,
        template=template,
        template_version=template.version,
        answers=rows,
        result=VisitResult.HAZARDS if any(r["answer"] == "fail" for r in rows) else VisitResult.PASSED,
        score=checklist_score(rows),
        visited_at=visited_at,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
        location_flags=flags,
        received_at=now,
    )
    place_mark_inspected(place_id=place.pk, completed_at=visited_at)
    return visit


def _visit_cases(*, visit: PlaceVisit, actor: User) -> list[Case]:
    """One case per failed item, built only from the stored visit, so every resend makes the same request."""
    place = visit.place
    failed = [row for row in visit.answers if row["answer"] == "fail"]
    cases: list[Case] = []
    for row in failed:
        case, _created = case_report(
            actor=actor,
            client_id=visit_case_client_id(visit.client_id, row["code"]),
            category_code=row["category"],
            description=row["description"] or f"{row['question']}（检查项 {row['code']} 不合格）",
            lon=place.lon,  # the hazard is at the place; the worker's own fix stays on the visit and the photos
            lat=place.lat,
            place_id=place.pk,
            severity=Grade.MAJOR if row["severity"] == Severity.POSSIBLY_MAJOR else None,
            address=place.address or place.name,
            source="patrol",  # what earlier sends fingerprinted; the stored source is `case_source`'s for the channel
            channel="visit",
            checklist_answers={
                "visit_client_id": str(visit.client_id),
                "template_id": visit.template_id,
                "template_version": visit.template_version,
                "place_id": place.pk,
                "item": row,
                "answers": visit.answers,
                "score": visit.score,
            },
        )
        cases.append(case)
    ids = {row["code"]: case.pk for row, case in zip(failed, cases, strict=True)}
    if ids != visit.case_ids:
        PlaceVisit.objects.filter(pk=visit.pk).update(case_ids=ids)
    return cases


# ---------------------------------------------------------------- 照片: watermarked field photos


def field_photo_add(
    *,
    actor: User,
    case: Case,
    client_id: uuid.UUID,
    upload: BinaryIO,
    role: str = "report",
    captured_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
    capture_method: str = "camera",
    device_time: datetime | None = None,
    place_id: int | None = None,
    original_sha256: str = "",
) -> tuple[Attachment, FieldPhoto, bool]:
    """现场照片 — store the photo on the case through `attachment_add` (type check, metadata stripped, SHA-256 of the
    stored file, idempotent on client_id), then write the watermarked display copy: time, coordinates, grid code,
    worker and place. The location comes from the phone at capture time, never from EXIF; points more than 50 m
    outside the worker's grids or with accuracy worse than 50 m are flagged, not refused. Returns (attachment,
    photo, created)."""
    if capture_method not in ("camera", "gallery"):
        raise ValidationFailed("拍摄方式应为 camera 或 gallery")
    attachment, created = attachment_add(
        case=case,
        actor=actor,
        client_id=client_id,
        upload=upload,
        role=role,
        captured_at=captured_at,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
    )
    photo = FieldPhoto.objects.filter(attachment=attachment).first()
    if photo is not None:
        return attachment, photo, created
    if attachment.content_type.split("/")[0] != "image":
        raise ValidationFailed("现场照片须为图片")
    place = None
    if place_id is not None:
        place = Place.objects.filter(pk=place_id).first()
        if place is None or not covers_path(actor, place.region_path):
            raise ValidationFailed("监管对象不存在")
    grid_ids = list(actor.grids.values_list("pk", flat=True)) or [case.region_id]
    flags = location_flags(grid_ids=grid_ids, lon=lon, lat=lat, accuracy_m=accuracy_m)
    lines = watermark_lines(
        captured_at=captured_at or device_time,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
        grid=case.region,
        worker=actor,
        place=place,
        case_id=case.pk,
        sha256=attachment.sha256,
        flags=flags,
    )
    try:
        with attachment.file.open("rb") as original:
            data = render_watermark(original, lines)
    except WatermarkFontMissing as exc:
        raise WatermarkUnavailable(str(exc)) from None
    photo = FieldPhoto(
        attachment=attachment,
        capture_method=capture_method,
        device_time=device_time,
        original_sha256=(original_sha256 or "").lower()[:64],
        grid_id=case.region_id,
        place=place,
        location_flags=flags,
        watermark_lines=lines,
        created_at=clock.now(),
    )
    photo.watermarked.save(f"{attachment.client_id}.jpg", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError:
        photo.watermarked.storage.delete(photo.watermarked.name)
        photo = FieldPhoto.objects.get(attachment=attachment)  # a concurrent resend wrote it first
    return attachment, photo, created


def flag_text(flag: str) -> str:
    """A location flag as stamped on a photo: the flag's one name, with the figure it was judged by."""
    if flag not in LocationFlag.values:
        return flag
    label = LocationFlag(flag).label
    if flag == LocationFlag.POOR_ACCURACY:
        return f"{label}(>{POOR_ACCURACY_M}m)"
    if flag == LocationFlag.OUTSIDE_OWN_GRID:
        return f"{label}(>{outside_grid_m()}m)"
    return str(label)


def watermark_lines(
    *,
    captured_at: datetime | None,
    lon: float | None,
    lat: float | None,
    accuracy_m: float | None,
    grid: Region,
    worker: User,
    place: Place | None,
    case_id: int | None = None,
    sha256: str = "",
    flags: Sequence[str] = (),
    title: str = "",
) -> list[str]:
    when = timezone.localtime(captured_at).strftime("%Y-%m-%d %H:%M:%S") if captured_at else "拍摄时间未知"
    where = (
        f"北纬{lat:.6f} 东经{lon:.6f}" + (f" ±{accuracy_m:.0f}米" if accuracy_m is not None else "")
        if lon is not None and lat is not None
        else "无定位"
    )
    lines = [f"{when} · {where}", f"网格 {grid.code} {grid.name}"]
    who = f"网格员 {worker.display_name or worker.username}"
    if place is not None:
        who += f" · 监管对象 {place.name}"
    lines.append(who)
    tail = f"隐患 #{case_id}" if case_id else title
    if sha256:
        tail += f" · SHA256 {sha256[:16]}"
    if tail:
        lines.append(tail.strip(" ·"))
    if flags:
        lines.append("【位置存疑】" + "、".join(flag_text(f) for f in flags))
    return lines


# ---------------------------------------------------------------- 宣传: publicity


def publicity_record(
    *,
    actor: User,
    client_id: uuid.UUID,
    grid_code: str,
    title: str,
    held_at: datetime | None = None,
    kind: str = "door_to_door",
    address: str = "",
    head_count: int = 0,
    materials: int = 0,
    note: str = "",
) -> tuple[PublicityActivity, bool]:
    """宣传记录 — a publicity activity in one of the actor's grids. Returns (activity, created)."""
    submitted = dict(
        grid=grid_code,
        title=title,
        held_at=held_at,
        kind=kind,
        address=address,
        head_count=head_count,
        materials=materials,
        note=note,
    )
    # The 辖区 first, as for a new record: a resend after the worker left the grid is 404, not the old record.
    grid = Region.objects.filter(code=grid_code, level=RegionLevel.GRID).first()
    if grid is None or not covers_path(actor, grid.path):
        raise NotFound("网格不存在")

    @transaction.atomic(durable=True)
    def create(fingerprint: str) -> PublicityActivity:
        clean_title = (title or "").strip()
        if not clean_title:
            raise ValidationFailed("请填写宣传主题")
        if head_count < 0 or materials < 0:
            raise ValidationFailed("人数和资料份数不能为负数")
        now = clock.now()
        return PublicityActivity.objects.create(
            client_id=client_id,
            client_fingerprint=fingerprint,
            worker=actor,
            grid=grid,
            grid_path=grid.path,
            kind=kind[:20],
            title=clean_title[:100],
            held_at=_device_time(held_at, now, "活动时间"),
            address=address[:200],
            head_count=head_count,
            materials=materials,
            note=note,
            received_at=now,
        )

    return create_once(
        PublicityActivity.objects.all(),
        client_id=client_id,
        actor_id=actor.pk,
        payload=submitted,
        create=create,
        actor_field="worker_id",
        conflict="该宣传记录 client_id 已用于另一条记录",
    )


def publicity_photo_add(
    *,
    actor: User,
    activity: PublicityActivity,
    client_id: uuid.UUID,
    upload: BinaryIO,
    captured_at: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
) -> tuple[PublicityPhoto, bool]:
    """宣传照片 — an image on a publicity record, checked by content, hashed and watermarked; idempotent on
    client_id. Returns (photo, created)."""
    if activity.worker_id != actor.pk:
        raise NotPermitted("只有记录人可以添加照片")
    info, upload = accept_upload(upload)  # `upload` is now what is stored: without EXIF GPS, device or author

    def create(_fingerprint: str) -> PublicityPhoto:
        if info.kind != "image":
            raise ValidationFailed("宣传照片须为图片")
        flags = location_flags(grid_ids=[activity.grid_id], lon=lon, lat=lat, accuracy_m=accuracy_m)
        lines = watermark_lines(
            captured_at=captured_at,
            lon=lon,
            lat=lat,
            accuracy_m=accuracy_m,
            grid=activity.grid,
            worker=actor,
            place=None,
            sha256=info.sha256,
            flags=flags,
            title=f"宣传：{activity.title}",
        )
        upload.seek(0)
        try:
            marked = render_watermark(upload, lines)
        except WatermarkFontMissing as exc:
            raise WatermarkUnavailable(str(exc)) from None
        photo = PublicityPhoto(
            activity=activity,
            client_id=client_id,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            width=info.width,
            height=info.height,
            captured_at=captured_at,
            lon=lon,
            lat=lat,
            accuracy_m=accuracy_m,
            location_flags=flags,
            created_at=clock.now(),
        )
        upload.seek(0)
        photo.file.save(f"{client_id}{info.extension}", upload, save=False)
        photo.watermarked.save(f"{client_id}.jpg", ContentFile(marked), save=False)
        try:
            with transaction.atomic():
                photo.save()
        except Exception:
            for field in (photo.file, photo.watermarked):
                if field and field.name:
                    field.storage.delete(field.name)  # a concurrent resend that won keeps its own files
            raise
        return photo

    return create_once(
        PublicityPhoto.objects.select_related("activity"),
        client_id=client_id,
        actor_id=actor.pk,
        payload=_photo_sent(activity_id=activity.pk, sha256=info.sha256),
        create=create,
        actor_field="activity.worker_id",
        stored=lambda row: request_fingerprint(_photo_sent(activity_id=row.activity_id, sha256=row.sha256)),
        conflict="该照片 client_id 已用于另一个文件",
    )


def _photo_sent(*, activity_id: int, sha256: str) -> dict[str, Any]:
    """What identifies a publicity photo: its record and its bytes (the row keeps both)."""
    return {"activity": activity_id, "sha256": sha256}
