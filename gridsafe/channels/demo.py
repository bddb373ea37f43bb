"""Demo life for the channels (issue 15): a year of 12345 work orders (through the real intake, about half 办结 and
回访, some 退单) and citizens' requests from Open311 and 随手拍 (some accepted, some refused, a few waiting).
The demo has no 12345 platform: the pushes it owes are marked sent, so the outbox is not a list of failures."""

import io
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridsafe.accounts.models import User
from gridsafe.cases.models import Case
from gridsafe.cases.services import ACTION_SERVICES, attachment_add
from gridsafe.channels.hotline import WorkOrder
from gridsafe.channels.models import CitizenRequest, HotlineOrder, HotlineOutbox, PushState, RequestChannel
from gridsafe.channels.services.citizen import (
    Submission,
    citizen_request_accept,
    citizen_request_reject,
    citizen_request_submit,
    open311_key_create,
)
from gridsafe.channels.services.hotline import hotline_order_receive, hotline_visit_record
from gridsafe.core import clock
from gridsafe.core.errors import DomainError
from gridsafe.regions.models import Region

COMPLAINTS = [
    ("{v}出租房楼道里晚上有电动车充电，担心起火。", ""),
    ("{v}一家小饭店液化气钢瓶放在地下室，没有通风。", ""),
    ("{v}有人在民房里非法充装液化气，气味很重。", ""),
    ("{v}商场消防通道被货物堵住了。", ""),
    ("{v}小区电梯经常困人，物业不处理。", ""),
]


def _act(case: Case, action: str, user: User, **fields) -> Case:
    fresh = Case.objects.get(pk=case.pk)
    return ACTION_SERVICES[action](
        case=fresh, actor=user, expected_version=fresh.version, request_id=uuid.uuid4(), **fields
    )


def _photo(case: Case, user: User, rng: random.Random) -> int:
    buf = io.BytesIO()
    Image.new("RGB", (96, 72), (rng.randint(40, 200), rng.randint(80, 200), rng.randint(40, 160))).save(buf, "JPEG")
    upload = SimpleUploadedFile("after.jpg", buf.getvalue(), content_type="image/jpeg")
    attachment, _ = attachment_add(case=case, actor=user, client_id=uuid.uuid4(), upload=upload, role="after")
    return attachment.pk


def seed_channels_demo(*, seed: int = 350322, orders: int = 60, requests: int = 30) -> str:
    if HotlineOrder.objects.exists():
        return "12345 工单与群众上报已存在，跳过"
    rng = random.Random(seed)
    villages = list(
        Region.objects.filter(level=3, path__startswith=settings.GRIDSAFE_COUNTY_CODE + ".").values_list(
            "name", "center_lon", "center_lat"
        )
    )
    lead = User.objects.filter(username="county_lead").first()
    county = User.objects.filter(username="county").first()
    now = clock.now()
    made = closed = 0
    for i in range(orders):
        at = now - timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 8))
        village = rng.choice(villages)[0]
        text, _ = rng.choice(COMPLAINTS)
        with clock.frozen(at):
            order, created = hotline_order_receive(
                order=WorkOrder(
                    order_no=f"FJ12345-{at:%Y%m%d}-{i:04d}",
                    content=text.format(v=village),
                    caller_name=rng.choice(["陈", "林", "黄", "郑", "吴"])
                    + rng.choice(["秀英", "建国", "丽华", "志明"]),
                    caller_phone=f"139{rng.randint(0, 99_999_999):08d}",
                    address=village,
                    due_at=at + timedelta(days=7),
                )
            )
        made += created
        if lead is None or order.case_id is None or rng.random() < 0.4:
            continue
        case = Case.objects.get(pk=order.case_id)
        try:
            with clock.frozen(at + timedelta(hours=3)):
                if rng.random() < 0.15:
                    _act(case, "void", lead, reason_code="not_hazard", reason="现场核实无安全隐患")
                    continue
                case = _act(case, "assign", county)
            with clock.frozen(at + timedelta(days=2)):
                photo = _photo(case, county, rng)
                case = _act(
                    case, "submit", county, method="rectified", measures="已督促整改到位", attachment_ids=[photo]
                )
            with clock.frozen(at + timedelta(days=3)):
                _act(case, "verify_pass", lead, comment="已核查")
            with clock.frozen(at + timedelta(days=4)):
                hotline_visit_record(
                    order_no=order.order_no, satisfaction=rng.choice(["satisfied"] * 6 + ["basic", "dissatisfied"])
                )
            closed += 1
        except DomainError:  # a step the rules refuse for this case (a 重大 category needs 五落实): left open
            continue
    HotlineOutbox.objects.filter(state=PushState.PENDING).update(state=PushState.SENT, sent_at=now, last_error="")
    client, _key = open311_key_create(name="福建社会治理随手拍App（演示）")
    grids = list(Region.objects.filter(level=4, center_lon__isnull=False).values_list("center_lon", "center_lat"))
    for i in range(requests):
        lon, lat = rng.choice(grids)
        at = now - timedelta(days=rng.randint(0, 90))
        with clock.frozen(at):
            row = citizen_request_submit(
                submission=Submission(
                    channel=rng.choice([RequestChannel.OPEN311, RequestChannel.SNAP]),
                    service_code=rng.choice(["fire-ebike-indoor", "fire-escape-blocked", "lpg-basement"]),
                    description=rng.choice(COMPLAINTS)[0].format(v="这里"),
                    lat=lat,
                    lon=lon,
                    phone=f"138{rng.randint(0, 99_999_999):08d}",
                ),
                client=client,
            )
        if i < 5 or county is None:
            continue  # waiting for review
        with clock.frozen(at + timedelta(hours=2)):
            try:
                if i % 4 == 0:  # one in four is a repeat or not a hazard
                    citizen_request_reject(request_id=row.pk, actor=county, reason="重复反映，已并入在办案件")
                else:
                    citizen_request_accept(request_id=row.pk, actor=county)
            except DomainError:  # outside the county desk's rules for this one: left waiting
                continue
    waiting = CitizenRequest.objects.filter(state="pending").count()
    return f"12345 工单 {made} 件（办结回访 {closed} 件）、群众上报 {requests} 条（待审核 {waiting} 条）"
