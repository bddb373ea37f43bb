"""The field app's API under /api/v1/field (and supervised places under /api/v1/field/places).

Thin ninja routers: parse, call one service or selector, shape the answer. Creates answer 201, identical resends
200 with the same record, conflicting resends 409; out of jurisdiction is 404 with the same body as missing."""

import gzip
import json
from datetime import timedelta
from typing import Literal
from uuid import UUID

from django.db.models import Count
from django.http import FileResponse, HttpResponse
from ninja import Field, File, Form, Query, Router, Status
from ninja.files import UploadedFile

from gridsafe.cases.models import Attachment
from gridsafe.cases.permissions import cases_visible_to, get_case_for_user
from gridsafe.core import clock
from gridsafe.core.errors import NotFound
from gridsafe.core.http import client_ip
from gridsafe.core.input import BigInt, Id, InputSchema, Moment, Number, ShortText
from gridsafe.core.paging import page_window
from gridsafe.core.problem import Problem
from gridsafe.core.ratelimit import ratelimit
from gridsafe.field import schemas as s
from gridsafe.field.models import FieldPhoto, Patrol
from gridsafe.field.permissions import (
    get_patrol_for_user,
    get_publicity_for_user,
    get_visit_for_user,
    publicity_visible_to,
)
from gridsafe.field.reports import report_detail_for_reporter, report_list_for_reporter
from gridsafe.field.selectors import (
    case_list_nearby,
    checklist_for_place,
    checklist_out,
    field_sync_bundle,
    field_week_for_worker,
    open_findings_at,
    patrol_coverage,
    patrol_list_visible,
    place_visit_card,
    visit_out,
)
from gridsafe.field.services import (
    field_photo_add,
    patrol_end,
    patrol_start,
    patrol_track_append,
    patrol_track_view,
    place_visit_record,
    publicity_photo_add,
    publicity_record,
    track_retention_days,
)
from gridsafe.places.api import router as places_router
from gridsafe.places.permissions import get_place_for_user
from gridsafe.places.selectors import place_out

router = Router(tags=["field"])
router.add_router("/places", places_router)

ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
GZIP_MIN_BYTES = 1024


def compact_json(request, schema, data, *, etag: str | None = None) -> HttpResponse:
    """The two large reads of a phone on a slow link (本周, the sync bundle): validated against their schema,
    written as compact UTF-8 (Chinese as 3 bytes, not a 6-byte \\u escape) and gzipped when the phone accepts it
    — about a seventh of the bytes. Neither holds a secret, so compressing them leaks nothing (BREACH)."""
    body = json.dumps(
        schema.model_validate(data).model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
    ).encode()
    response = HttpResponse(content_type="application/json; charset=utf-8")
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding, Cookie, Authorization"
    response["Cache-Control"] = "private, no-cache"
    if etag:
        response["ETag"] = etag
    response.content = body
    return response


# ---------------------------------------------------------------- 本周 / 同步


@router.get("/week", response={200: s.WeekOut, **ERRORS}, operation_id="field_week_for_worker")
def week(request):
    """本周 — my grids and this week's patrol, places due and overdue, my open reports with their status,
    verification tasks waiting for me, and what reviewers said about my reports."""
    return compact_json(request, s.WeekOut, field_week_for_worker(request.user, clock.now()))


class SyncQuery(InputSchema):
    grid: list[str] | None = Field(default=None, max_length=200)


@router.get("/sync", response={200: s.SyncBundleOut, 304: None, **ERRORS}, operation_id="field_sync_bundle")
def sync(request, query: Query[SyncQuery]):
    """The offline bundle for my grids (an officer names the grids with ?grid=). `version` is the ETag: send it
    as If-None-Match and an unchanged bundle answers 304 with no body."""
    bundle = field_sync_bundle(request.user, clock.now(), query.grid or None)
    etag = f'W/"{bundle["version"]}"'  # weak: the same content is sent gzipped or not
    sent = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag.removeprefix("W/") in sent:
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        not_modified["Cache-Control"] = "private, no-cache"
        return not_modified
    return compact_json(request, s.SyncBundleOut, bundle, etag=etag)


# ---------------------------------------------------------------- 我的上报


class MyReportsQuery(InputSchema):
    status: Literal["all", "open", "closed"] = "all"
    limit: BigInt = 20
    offset: BigInt = 0


@router.get("/reports", response={200: s.MyReportPage, **ERRORS}, operation_id="report_list_for_reporter")
def my_reports(request, query: Query[MyReportsQuery]):
    """我的上报 — every hazard I reported, open and closed, newest first, each with its status and latest step."""
    limit, offset = page_window(query.limit, query.offset, max_limit=100)
    return report_list_for_reporter(request.user, status=query.status, now=clock.now(), limit=limit, offset=offset)


@router.get(
    "/reports/{case_id}", response={200: s.MyReportDetailOut, **ERRORS}, operation_id="report_detail_for_reporter"
)
def my_report(request, case_id: Id):
    """One of my reports with its whole timeline (comments, 督办, returns, handling), photos and closing result.
    Another worker's report is 404, the same as a missing one."""
    return report_detail_for_reporter(request.user, case_id, now=clock.now())


# ---------------------------------------------------------------- 巡查


def patrol_out(patrol: Patrol) -> dict:
    return {
        "id": patrol.pk,
        "client_id": patrol.client_id,
        "worker_label": patrol.worker.label,
        "grid_code": patrol.grid.code,
        "grid_name": patrol.grid.name,
        "status": patrol.status,
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "nothing_found": patrol.nothing_found,
        "note": patrol.note,
        "point_count": patrol.point_count,
        "distance_m": patrol.distance_m,
        "flagged_points": patrol.flagged_points,
        "track_purged": patrol.track_purged_at is not None,
        "counts_for_coverage": patrol.counts_for_coverage,
        "coverage_reason": patrol.coverage_reason,
        "in_grid_minutes": patrol.in_grid_minutes,
        "in_grid_distance_m": patrol.in_grid_distance_m,
        "visits": _annotated(patrol, "visit_count", lambda: patrol.visits.count()),
        "hazards": _annotated(patrol, "hazard_count", lambda: patrol.visits.filter(result="hazards").count()),
    }


def _annotated(patrol: Patrol, name: str, fallback) -> int:
    value = getattr(patrol, name, None)  # lists annotate; a single patrol counts with one query
    return fallback() if value is None else value


class PatrolListQuery(InputSchema):
    grid: str | None = None
    days: int = 28
    limit: int = 50
    offset: int = 0


@router.get("/patrols", response={200: s.PatrolPage, **ERRORS}, operation_id="patrol_list_visible")
def list_patrols(request, query: Query[PatrolListQuery]):
    """My patrols; for a station officer or township centre, the patrols of their village / township."""
    since = clock.now() - timedelta(days=max(1, min(query.days, 366)))
    qs = patrol_list_visible(request.user, grid=query.grid, since=since)
    limit, offset = page_window(query.limit, query.offset, max_limit=200)
    page = qs[offset : offset + limit]
    return {"items": [patrol_out(p) for p in page], "total": qs.count()}


@router.post("/patrols", response={200: s.PatrolOut, 201: s.PatrolOut, **ERRORS}, operation_id="patrol_start")
def start_patrol(request, body: s.PatrolStartIn):
    """开始巡查 in one of my grids. 409 `patrol_active` while another of my patrols is open."""
    patrol, created = patrol_start(
        actor=request.user, client_id=body.client_id, grid_code=body.grid_code, started_at=body.started_at
    )
    patrol = get_patrol_for_user(request.user, patrol.client_id)
    return Status(201 if created else 200, patrol_out(patrol))


@router.get("/patrols/{patrol_id}", response={200: s.PatrolOut, **ERRORS}, operation_id="patrol_detail")
def patrol_detail(request, patrol_id: UUID):
    return patrol_out(get_patrol_for_user(request.user, patrol_id))


@router.post(
    "/patrols/{patrol_id}/track", response={200: s.TrackAppendOut, **ERRORS}, operation_id="patrol_track_append"
)
def append_track(request, patrol_id: UUID, body: s.TrackAppendIn):
    """GPS fixes sampled during the patrol. Idempotent by seq; fixes outside the patrol's time are dropped."""
    patrol = get_patrol_for_user(request.user, patrol_id)
    result = patrol_track_append(actor=request.user, patrol=patrol, points=[p.dict() for p in body.points])
    patrol.refresh_from_db(fields=["point_count"])
    return {**result, "point_count": patrol.point_count}


@router.get("/patrols/{patrol_id}/track", response={200: s.TrackOut, **ERRORS}, operation_id="patrol_track_view")
def view_track(request, patrol_id: UUID):
    """The GPS track (行踪轨迹, sensitive): the worker and their supervisors only; a supervisor's view is audited."""
    patrol = get_patrol_for_user(request.user, patrol_id)
    points = patrol_track_view(actor=request.user, patrol=patrol, ip=client_ip(request))
    return {"patrol": patrol_out(patrol), "retention_days": track_retention_days(), "points": points}


@router.post("/patrols/{patrol_id}/end", response={200: s.PatrolOut, **ERRORS}, operation_id="patrol_end")
def end_patrol(request, patrol_id: UUID, body: s.PatrolEndIn):
    """结束巡查. The answer says whether the patrol meets the county's patrol rule (`counts_for_coverage`, with
    the reason); only then does it count toward coverage, "已巡查无隐患" (nothing_found) included."""
    patrol = get_patrol_for_user(request.user, patrol_id)
    patrol = patrol_end(
        actor=request.user, patrol=patrol, ended_at=body.ended_at, nothing_found=body.nothing_found, note=body.note
    )
    return patrol_out(patrol)


@router.get("/coverage", response={200: s.CoverageOut, **ERRORS}, operation_id="patrol_coverage")
def coverage(request):
    """This week's patrol coverage of the grids in my 辖区."""
    return patrol_coverage(request.user, clock.now())


# ---------------------------------------------------------------- 检查打卡


@router.get(
    "/places/{place_id}/checklist", response={200: s.PlaceChecklistOut, **ERRORS}, operation_id="checklist_for_place"
)
def place_checklist(request, place_id: Id):
    """The checklist for a place and last visits' open findings to re-check."""
    place = get_place_for_user(request.user, place_id)
    template = checklist_for_place(place)
    now = clock.now()
    registers, history = place_visit_card([place], now)
    return {
        "place": place_out(place, actor=request.user, now=now),
        "checklist": checklist_out(template) if template else None,
        "open_findings": open_findings_at([place.pk]).get(place.pk, []),
        "register_card": registers.get(place.pk, {}),
        "history": history.get(place.pk, []),
    }


@router.post("/visits", response={200: s.VisitOut, 201: s.VisitOut, **ERRORS}, operation_id="place_visit_record")
@ratelimit("field_visit", "GRIDSAFE_INTAKE_RATE")  # failed checklist items become cases
def record_visit(request, body: s.VisitIn):
    """检查打卡 with the checklist. Each failed item becomes a hazard case (source 巡查) with the answers kept;
    the response maps item codes to case ids, so the phone can upload the photos to them."""
    place = get_place_for_user(request.user, body.place_id)
    visit, created, _cases = place_visit_record(
        actor=request.user,
        client_id=body.client_id,
        place=place,
        template_id=body.template_id,
        answers=[a.dict() for a in body.answers],
        patrol_client_id=body.patrol_client_id,
        visited_at=body.visited_at,
        lon=body.lon,
        lat=body.lat,
        accuracy_m=body.accuracy_m,
    )
    return Status(201 if created else 200, visit_out(visit))


@router.get("/visits/{visit_id}", response={200: s.VisitOut, **ERRORS}, operation_id="place_visit_detail")
def visit_detail(request, visit_id: UUID):
    return visit_out(get_visit_for_user(request.user, visit_id))


# ---------------------------------------------------------------- 照片


def field_photo_out(att: Attachment, photo: FieldPhoto) -> dict:
    return {
        "attachment_id": att.pk,
        "client_id": att.client_id,
        "case_id": att.case_id,
        "role": att.role,
        "sha256": att.sha256,
        "size": att.size,
        "location_flags": photo.location_flags or [],
        "watermark_lines": photo.watermark_lines or [],
        "watermarked_url": f"/api/v1/field/photos/{att.pk}/watermarked",
        "thumbnail_url": f"/api/v1/cases/{att.case_id}/attachments/{att.pk}/thumbnail" if att.thumbnail else None,
    }


@router.post("/photos", response={200: s.FieldPhotoOut, 201: s.FieldPhotoOut, **ERRORS}, operation_id="field_photo_add")
@ratelimit("upload", "GRIDSAFE_UPLOAD_RATE")
def add_photo(
    request,
    file: File[UploadedFile],
    case_id: Form[Id],
    client_id: Form[UUID],
    role: ShortText = Form("report"),  # noqa: B008
    captured_at: Form[Moment | None] = None,
    lon: Form[Number | None] = None,
    lat: Form[Number | None] = None,
    accuracy_m: Form[Number | None] = None,
    capture_method: ShortText = Form("camera"),  # noqa: B008
    device_time: Form[Moment | None] = None,
    place_id: Form[Id | None] = None,
    original_sha256: ShortText = Form(""),  # noqa: B008
):
    """A field photo on a case, with the phone's GPS at capture time (never EXIF). Stores the original with its
    SHA-256 and a watermarked display copy. Idempotent on client_id: a broken upload is retried with the same id."""
    case = get_case_for_user(request.user, case_id)
    att, photo, created = field_photo_add(
        actor=request.user,
        case=case,
        client_id=client_id,
        upload=file,
        role=role,
        captured_at=captured_at,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
        capture_method=capture_method,
        device_time=device_time,
        place_id=place_id,
        original_sha256=original_sha256,
    )
    return Status(201 if created else 200, field_photo_out(att, photo))


@router.get(
    "/photos/{attachment_id}/watermarked",
    response={200: None, **ERRORS},
    operation_id="field_photo_watermarked",
)
def watermarked(request, attachment_id: Id):
    """The watermarked display copy of a field photo (JPEG, no EXIF)."""
    photo = (
        FieldPhoto.objects.filter(attachment_id=attachment_id, attachment__case__in=cases_visible_to(request.user))
        .select_related("attachment")
        .first()
    )
    if photo is None:
        raise NotFound("未找到该照片")
    response = FileResponse(photo.watermarked.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class NearbyQuery(InputSchema):
    category: str = Field(max_length=64)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: float = 200  # clamped to 10–1000 m below


@router.get("/nearby", response={200: list[s.NearbyCaseOut], **ERRORS}, operation_id="case_list_nearby")
def nearby(request, query: Query[NearbyQuery]):
    """Open cases of the same category within ~200 m that I can see: add to one instead of reporting twice."""
    return case_list_nearby(
        request.user,
        category=query.category,
        lon=query.lon,
        lat=query.lat,
        radius_m=max(10.0, min(query.radius_m, 1000.0)),
    )


# ---------------------------------------------------------------- 宣传


def publicity_out(activity) -> dict:
    photos = getattr(activity, "photo_count", None)  # lists annotate; a single record counts with one query
    return {
        "id": activity.pk,
        "client_id": activity.client_id,
        "grid_code": activity.grid.code,
        "grid_name": activity.grid.name,
        "worker_label": activity.worker.label,
        "kind": activity.kind,
        "title": activity.title,
        "held_at": activity.held_at,
        "address": activity.address,
        "head_count": activity.head_count,
        "materials": activity.materials,
        "note": activity.note,
        "photos": photos if photos is not None else activity.photos.count(),
    }


@router.get("/publicity", response={200: s.PublicityPage, **ERRORS}, operation_id="publicity_list_visible")
def list_publicity(request, limit: BigInt = 50, offset: BigInt = 0):
    qs = (
        publicity_visible_to(request.user)
        .select_related("grid", "worker__unit")
        .annotate(photo_count=Count("photos"))
        .order_by("-held_at", "-id")
    )
    limit, offset = page_window(limit, offset, max_limit=200)
    return {"items": [publicity_out(a) for a in qs[offset : offset + limit]], "total": qs.count()}


@router.post(
    "/publicity", response={200: s.PublicityOut, 201: s.PublicityOut, **ERRORS}, operation_id="publicity_record"
)
def record_publicity(request, body: s.PublicityIn):
    """宣传记录: title, head count, materials; photos upload separately."""
    activity, created = publicity_record(
        actor=request.user,
        client_id=body.client_id,
        grid_code=body.grid_code,
        title=body.title,
        kind=body.kind,
        held_at=body.held_at,
        address=body.address,
        head_count=body.head_count,
        materials=body.materials,
        note=body.note,
    )
    return Status(201 if created else 200, publicity_out(get_publicity_for_user(request.user, activity.client_id)))


@router.post(
    "/publicity/{activity_id}/photos",
    response={200: s.PublicityPhotoOut, 201: s.PublicityPhotoOut, **ERRORS},
    operation_id="publicity_photo_add",
)
@ratelimit("upload", "GRIDSAFE_UPLOAD_RATE")
def add_publicity_photo(
    request,
    activity_id: UUID,
    file: File[UploadedFile],
    client_id: Form[UUID],
    captured_at: Form[Moment | None] = None,
    lon: Form[Number | None] = None,
    lat: Form[Number | None] = None,
    accuracy_m: Form[Number | None] = None,
):
    activity = get_publicity_for_user(request.user, activity_id)
    photo, created = publicity_photo_add(
        actor=request.user,
        activity=activity,
        client_id=client_id,
        upload=file,
        captured_at=captured_at,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
    )
    return Status(
        201 if created else 200,
        {
            "id": photo.pk,
            "client_id": photo.client_id,
            "sha256": photo.sha256,
            "size": photo.size,
            "location_flags": photo.location_flags or [],
        },
    )
