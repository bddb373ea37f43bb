"""The video part of the 仙游县 demo: a camera register of a few hundred cameras across the grids (公安 most, then
乡镇 and 企业), one gateway with the alarm-type mapping, and a year of video-AI alarms — the history's 视频 cases
each with the alarm that opened it (and a repeat or two that joined), 误报 the reviewers marked over the year (so
the precision figures have something to say), a queue of recent alarms waiting for review, and a few fresh alarms
sent through the real intake (a case with its snapshot as the first photo). Deterministic for a seed."""

from __future__ import annotations

import base64
import io
import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from gridsafe.accounts.models import Role, User
from gridsafe.cases.models import Case, Source
from gridsafe.catalog.models import Category
from gridsafe.core import clock
from gridsafe.regions.models import Region, RegionLevel
from gridsafe.video.models import AlarmTypeRule, Camera, Outcome, Owner, VideoAlarm, VideoGateway
from gridsafe.video.services import AlarmIn, alarm_receive, gateway_create

CAMERAS = 360
SPOTS = [
    "村口",
    "村委会",
    "主干道",
    "菜市场",
    "学校门口",
    "桥头",
    "小区大门",
    "加油站旁",
    "工业区路口",
    "祠堂前",
    "卫生所",
]
OWNER_SHARE = [(Owner.POLICE, 0.64), (Owner.TOWNSHIP, 0.26), (Owner.ENTERPRISE, 0.10)]
INDUSTRY = {Owner.POLICE: "00", Owner.TOWNSHIP: "01", Owner.ENTERPRISE: "06"}
# type, mapped category (None: review), threshold, share of 误报 among reviewed, yearly count of reviewed alarms
TYPES = [
    ("消防通道占用", "fire-escape-blocked", "0.80", 0.12, 260),
    ("电动车进电梯", "fire-ebike-indoor", "0.85", 0.08, 180),
    ("烟火", None, None, 0.38, 140),
    ("占道经营", None, None, 0.22, 220),
    ("人员聚集", None, None, 0.31, 160),
]
FALSE_NOTES = [
    "树影晃动误识别",
    "为正常施工围挡",
    "车灯反光",
    "通道内为临时卸货，已离开",
    "节日活动，非违规聚集",
    "晾晒衣物误识别",
]


def _snapshot(label: str, colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (320, 180), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 280, 140), outline=(255, 255, 255), width=3)
    draw.text((50, 150), label.encode("ascii", "ignore").decode() or "ALARM", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _ids(grid_path: str, owner: str, serial: int) -> tuple[str, str]:
    parts = grid_path.split(".")
    centre = parts[0] + parts[1][-2:]
    industry = INDUSTRY[owner]
    return f"{centre}{industry}132{serial:07d}", f"{centre}{industry}131{serial:07d}"


def _owner(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for owner, share in OWNER_SHARE:
        acc += share
        if roll < acc:
            return owner
    return Owner.POLICE


def seed_video_demo(*, seed: int = 350322) -> str:
    if Camera.objects.exists():
        return f"摄像机台账已有 {Camera.objects.count()} 台，跳过视频演示数据"
    rng = random.Random(seed + 15)
    now = clock.now()
    grids = list(
        Region.objects.filter(level=RegionLevel.GRID, is_active=True, center_lon__isnull=False)
        .select_related("parent")
        .order_by("code")
    )
    if not grids:
        return "没有网格，跳过视频演示数据"
    by_id = {g.pk: g for g in grids}
    cameras: list[Camera] = []
    serial = 0

    def add_camera(grid: Region, lon: float, lat: float) -> Camera:
        nonlocal serial
        serial += 1
        owner = _owner(rng)
        device_id, channel_id = _ids(grid.path, owner, serial)
        village = grid.parent.name if grid.parent else grid.name
        camera = Camera(
            device_id=device_id,
            channel_id=channel_id,
            name=f"{village}{rng.choice(SPOTS)}{serial % 7 + 1}号",
            owner=owner,
            address=f"{village}{rng.choice(SPOTS)}",
            lon=round(lon, 6),
            lat=round(lat, 6),
            region=grid,
            region_path=grid.path,
            is_online=rng.random() < 0.93,
            online_checked_at=now - timedelta(minutes=rng.randint(1, 30)),
        )
        cameras.append(camera)
        return camera

    # The history's 视频 cases each were seen by a camera at their spot.
    video_cases = list(
        Case.objects.filter(source=Source.VIDEO)
        .order_by("created_at")
        .only("pk", "region_id", "lon", "lat", "created_at", "category_id")
    )
    case_camera: dict[int, Camera] = {}
    for case in video_cases:
        grid = by_id.get(case.region_id)
        if grid is not None:
            case_camera[case.pk] = add_camera(grid, case.lon, case.lat)
    for grid in rng.sample(grids, min(len(grids), max(0, CAMERAS - len(cameras)))):
        add_camera(grid, grid.center_lon, grid.center_lat)
    Camera.objects.bulk_create(cameras, batch_size=500)
    cameras = list(Camera.objects.order_by("pk"))
    by_channel = {c.channel_id: c for c in cameras}
    case_camera = {pk: by_channel[c.channel_id] for pk, c in case_camera.items()}

    gateway, _secret = gateway_create(name="县公安视频专网AI分析网关")
    categories = {c.code: c for c in Category.objects.filter(code__in=[t[1] for t in TYPES if t[1]])}
    for alarm_type, code, threshold, _false, _count in TYPES:
        if code and code in categories:
            AlarmTypeRule.objects.create(type=alarm_type, category=categories[code], threshold=Decimal(threshold))

    # One snapshot file per type, shared by the bulk history (a picture each would be 3 000 files for nothing).
    colours = [(120, 60, 40), (40, 80, 120), (150, 40, 30), (70, 110, 60), (90, 90, 110)]
    snap_names = {}
    for (alarm_type, *_rest), colour in zip(TYPES, colours, strict=True):
        snap_names[alarm_type] = default_storage.save(
            f"video/alarms/demo/{uuid.uuid5(uuid.NAMESPACE_URL, alarm_type).hex}.jpg",
            ContentFile(_snapshot(alarm_type, colour)),
        )
    reviewers = list(
        User.objects.filter(role__in=(Role.CENTRE_OPERATOR, Role.STATION_OFFICER), is_active=True)
        .exclude(username__startswith="video-")
        .select_related("unit__region")
    )
    rows: list[VideoAlarm] = []
    sequence = 0

    def alarm(camera: Camera, alarm_type: str, at, confidence: float, outcome: str, **extra) -> VideoAlarm:
        nonlocal sequence
        sequence += 1
        return VideoAlarm(
            gateway=gateway,
            alarm_id=f"DEMO-{sequence:06d}",
            camera=camera,
            region_path=camera.region_path,
            type=alarm_type,
            occurred_at=at,
            received_at=at + timedelta(seconds=rng.randint(1, 4)),
            confidence=Decimal(f"{confidence:.3f}"),
            snapshot=snap_names[alarm_type],
            fingerprint=uuid.uuid4().hex,
            outcome=outcome,
            **extra,
        )

    mapped_by_category = {categories[t[1]].pk: t[0] for t in TYPES if t[1] and t[1] in categories}
    unmapped = [t[0] for t in TYPES if not t[1]]

    def reviewer_for(camera: Camera) -> User | None:
        """A desk whose area holds the camera."""
        fits = [
            u
            for u in reviewers
            if u.unit is not None and (camera.region_path + ".").startswith(u.unit.region.path + ".")
        ]
        return rng.choice(fits) if fits else None

    for case in video_cases:
        camera = case_camera.get(case.pk)
        if camera is None:
            continue
        at = case.created_at - timedelta(minutes=rng.randint(1, 8))
        alarm_type = mapped_by_category.get(case.category_id)
        reviewer = reviewer_for(camera)
        if alarm_type is None and reviewer is not None:  # an unmapped type the desk confirmed
            rows.append(
                alarm(
                    camera,
                    rng.choice(unmapped),
                    at,
                    rng.uniform(0.6, 0.95),
                    Outcome.CASE_FROM_REVIEW,
                    case_id=case.pk,
                    reviewed_by=reviewer,
                    reviewed_at=case.created_at,
                    review_note="确有隐患，登记",
                )
            )
            continue
        alarm_type = alarm_type or rng.choice(["消防通道占用", "电动车进电梯"])
        rows.append(alarm(camera, alarm_type, at, rng.uniform(0.86, 0.99), Outcome.CASE_OPENED, case_id=case.pk))
        for _ in range(rng.choice([0, 1, 2, 3, 5])):  # the same scene seen again: joined, no new case
            rows.append(
                alarm(
                    camera,
                    alarm_type,
                    at + timedelta(minutes=rng.randint(2, 28)),
                    rng.uniform(0.82, 0.97),
                    Outcome.JOINED,
                    case_id=case.pk,
                )
            )

    # 误报 the desks marked over the year, in proportion to each algorithm's confirmed alarms.
    confirmed = {t[0]: sum(1 for r in rows if r.type == t[0]) for t in TYPES}
    for alarm_type, _code, _threshold, false_share, _count in TYPES:
        for _ in range(round(max(confirmed[alarm_type], 15) * false_share / (1 - false_share))):
            camera = rng.choice(cameras)
            reviewer = reviewer_for(camera)
            if reviewer is None:
                continue
            at = now - timedelta(days=rng.uniform(15, 365), minutes=rng.randint(0, 1440))
            rows.append(
                alarm(
                    camera,
                    alarm_type,
                    at,
                    rng.uniform(0.35, 0.79),
                    Outcome.FALSE_ALARM,
                    reviewed_by=reviewer,
                    reviewed_at=at + timedelta(hours=rng.uniform(0.2, 6)),
                    review_note=rng.choice(FALSE_NOTES),
                )
            )
    # Waiting now: the last two weeks' unmapped and low-confidence alarms.
    for _ in range(46):
        alarm_type, _code, threshold, _f, _c = rng.choice(TYPES)
        camera = rng.choice(cameras)
        confidence = rng.uniform(0.4, float(threshold) - 0.01) if threshold else rng.uniform(0.55, 0.98)
        rows.append(alarm(camera, alarm_type, now - timedelta(days=rng.uniform(0, 14)), confidence, Outcome.REVIEW))
    VideoAlarm.objects.bulk_create(rows, batch_size=500)

    # A few fresh alarms through the real intake, as the gateway sends them: cases with their snapshot.
    fresh = 0
    online = [c for c in cameras if c.is_online]
    for i in range(8):
        camera = rng.choice(online)
        alarm_type = ["消防通道占用", "电动车进电梯"][i % 2]
        at = now - timedelta(days=rng.uniform(0.1, 6))
        with clock.frozen(at + timedelta(seconds=3)):
            row, _created = alarm_receive(
                gateway_id=gateway.pk,
                alarm=AlarmIn(
                    alarm_id=f"LIVE-{seed}-{i}",
                    camera_id=camera.channel_id,
                    type=alarm_type,
                    occurred_at=at,
                    confidence=round(rng.uniform(0.86, 0.98), 3),
                    snapshot=base64.b64encode(_snapshot(f"LIVE {i}", (30, 30 + i * 20, 90))).decode(),
                ),
            )
        fresh += row.case_id is not None
    return (
        f"摄像机 {len(cameras)} 台（公安 {sum(c.owner == Owner.POLICE for c in cameras)}）、视频告警 {len(rows) + 8} 条、"
        f"视频网关 {VideoGateway.objects.count()} 个、新近视频立案 {fresh} 条、待研判 "
        f"{VideoAlarm.objects.filter(outcome=Outcome.REVIEW).count()} 条"
    )
