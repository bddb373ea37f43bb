"""Video-AI alarms, end to end through the real endpoint: a signed alarm opens a case at the camera's grid with its
snapshot as the first photo; a forged or stale one is refused; a resend is answered once; a repeat within the window
joins the open case; an unmapped or low-confidence one waits for review, where 误报 feeds the precision figures."""

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase

from gridsafe.cases.models import Attachment, Case, Source
from gridsafe.catalog.models import Category
from gridsafe.core import clock
from gridsafe.video import selectors
from gridsafe.video.models import AlarmTypeRule, Outcome, VideoAlarm
from gridsafe.video.services import gateway_create, gateway_save
from gridsafe.video.tests.helpers import alarm_body, camera_in, jpeg, signed

URL = "/api/v1/video/alarms"


@pytest.fixture
def gw(db):
    gateway, secret = gateway_create(name="县公安视频专网网关")
    AlarmTypeRule.objects.create(
        type="消防通道占用", category=Category.objects.get(code="fire-escape-blocked"), threshold=0.8
    )
    return gateway, secret


def post(client, gateway, secret, body, **kw):
    raw, headers = signed(gateway.key, secret, body, **kw)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, raw, content_type="application/json", headers=headers)


def test_signed_alarm_opens_a_case_with_its_snapshot(client, gw):
    gateway, secret = gw
    camera = camera_in("南溪村")
    snap = jpeg((10, 120, 30))
    response = post(client, gateway, secret, alarm_body(camera, "A-1", snap=snap))
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["outcome"] == "case_opened" and answer["created"] is True
    case = Case.objects.get(pk=answer["case_id"])
    assert case.source == Source.VIDEO
    assert case.region_id == camera.region_id and case.category.code == "fire-escape-blocked"
    assert case.level == 1  # a general category: the village station, as the routing rules give
    assert "消防通道占用" in case.description and camera.name in case.description
    photo = Attachment.objects.get(case=case)
    assert photo.content_type == "image/jpeg" and photo.role == "report"
    stored = VideoAlarm.objects.get(alarm_id="A-1")
    assert stored.snapshot.read().startswith(b"\xff\xd8\xff")


def test_forged_or_stale_or_unknown_is_401(client, gw):
    gateway, secret = gw
    camera = camera_in("南溪村")
    body = alarm_body(camera, "A-2")
    raw, headers = signed(gateway.key, "not-the-secret", body)
    forged = client.post(URL, raw, content_type="application/json", headers=headers)
    assert forged.status_code == 401 and forged["Content-Type"] == "application/problem+json"
    raw, headers = signed(gateway.key, secret, body, timestamp=int(time.time()) - 301)
    stale = client.post(URL, raw, content_type="application/json", headers=headers)
    assert stale.status_code == 401 and "5 分钟" in stale.json()["detail"]
    raw, headers = signed(gateway.key, secret, body)
    tampered = client.post(URL, raw.replace(b"0.93", b"0.99"), content_type="application/json", headers=headers)
    assert tampered.status_code == 401
    raw, headers = signed("0" * 32, secret, body)
    assert client.post(URL, raw, content_type="application/json", headers=headers).status_code == 401
    assert client.post(URL, raw, content_type="application/json").status_code == 401  # no headers at all
    assert not VideoAlarm.objects.exists() and not Case.objects.filter(source=Source.VIDEO).exists()
    # a stopped gateway signs nothing any more, at once (the service invalidates the gateway cache)
    gateway.is_active = False
    gateway_save(gateway)
    assert post(client, gateway, secret, body).status_code == 401


def test_same_alarm_id_twice_is_one_case(client, gw):
    gateway, secret = gw
    camera = camera_in("南溪村")
    body = alarm_body(camera, "A-3")
    first = post(client, gateway, secret, body)
    again = post(client, gateway, secret, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case_id"] == first.json()["case_id"] and again.json()["created"] is False
    assert Case.objects.filter(source=Source.VIDEO).count() == 1 and VideoAlarm.objects.count() == 1
    other = post(client, gateway, secret, {**body, "confidence": 0.5})  # the same id, another body
    assert other.status_code == 409


def test_repeat_within_the_window_joins_the_open_case(client, gw, settings):
    settings.GRIDSAFE_VIDEO_JOIN_MINUTES = 30
    gateway, secret = gw
    camera = camera_in("南溪村")
    start = clock.now() - timedelta(hours=2)
    first = post(client, gateway, secret, alarm_body(camera, "B-1", occurred_at=start)).json()
    joined = post(client, gateway, secret, alarm_body(camera, "B-2", occurred_at=start + timedelta(minutes=20))).json()
    assert joined["outcome"] == "joined" and joined["case_id"] == first["case_id"]
    later = post(client, gateway, secret, alarm_body(camera, "B-3", occurred_at=start + timedelta(minutes=90))).json()
    assert later["outcome"] == "case_opened" and later["case_id"] != first["case_id"]
    other_type = post(client, gateway, secret, alarm_body(camera, "B-4", type="人员聚集")).json()
    assert other_type["outcome"] == "review" and other_type["case_id"] is None  # unmapped: review queue
    assert Case.objects.filter(source=Source.VIDEO).count() == 2


def test_low_confidence_waits_then_review_marks_false_and_precision_follows(client, gw, people):
    gateway, secret = gw
    camera = camera_in("南溪村")
    low = post(client, gateway, secret, alarm_body(camera, "C-1", confidence=0.41)).json()
    assert low["outcome"] == "review" and low["case_id"] is None
    post(client, gateway, secret, alarm_body(camera, "C-2", type="烟火", confidence=0.97))
    post(client, gateway, secret, alarm_body(camera, "C-3", confidence=0.95))  # opens a case
    reviewer = people["bangtou"]  # the township centre of 榜头镇 (南溪村 is in it)
    client.force_login(reviewer)
    page = client.get("/video/alarms/review/")
    assert page.status_code == 200 and "C-1" in page.content.decode() and "C-2" in page.content.decode()
    alarm = VideoAlarm.objects.get(alarm_id="C-1")
    marked = client.post(f"/video/alarms/{alarm.pk}/false/", {"note": "通道内为临时堆放的快递，已搬离"})
    assert marked.status_code in (200, 303)
    alarm.refresh_from_db()
    assert alarm.outcome == Outcome.FALSE_ALARM and alarm.reviewed_by == reviewer
    again = client.post(f"/video/alarms/{alarm.pk}/false/", {"note": "再点一次"})
    assert again.status_code == 409  # decided already
    by_type = {row["type"]: row for row in selectors.precision_by(VideoAlarm.objects.all(), "type")}
    assert by_type["消防通道占用"]["decided"] == 2 and by_type["消防通道占用"]["false"] == 1
    assert by_type["消防通道占用"]["precision"] == 0.5
    assert selectors.camera_precision(camera)["precision"] == 0.5
    page = client.get("/video/alarms/review/").content.decode()
    assert "50.0%" in page  # the figure the reviewer sees
    # 立案 from the queue: a case in the reviewer's name with the snapshot
    smoke = VideoAlarm.objects.get(alarm_id="C-2")
    with TestCase.captureOnCommitCallbacks(execute=True):
        opened = client.post(f"/video/alarms/{smoke.pk}/case/", {"category": "fire-major", "note": "确有明火"})
    assert opened.status_code in (200, 303)
    smoke.refresh_from_db()
    assert smoke.outcome == Outcome.CASE_FROM_REVIEW and smoke.case.reporter_id == reviewer.pk
    assert smoke.case.source == Source.VIDEO and Attachment.objects.filter(case=smoke.case).count() == 1


def test_review_outside_jurisdiction_is_404(client, gw, people):
    gateway, secret = gw
    camera = camera_in("南溪村")
    post(client, gateway, secret, alarm_body(camera, "D-1", confidence=0.2))
    alarm = VideoAlarm.objects.get(alarm_id="D-1")
    outsider = next(u for n, u in people.items() if n == "licheng_worker")
    client.force_login(outsider)
    assert client.post(f"/video/alarms/{alarm.pk}/false/", {"note": "x"}).status_code == 404
    alarm.refresh_from_db()
    assert alarm.outcome == Outcome.REVIEW


def test_video_gateway_command_prints_id_and_secret(db, capsys):
    call_command("video_gateway", "create", "鲤城街道AI盒子")
    out = capsys.readouterr().out
    key = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("gateway_id: "))
    secret = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("secret: "))
    from gridsafe.video.models import VideoGateway
    from gridsafe.video.signing import verify

    gateway = VideoGateway.objects.get(key=key)
    assert gateway.secret == secret and gateway.actor.unit.region.code == "350322"
    body = json.dumps({"a": 1}).encode()
    from gridsafe.video.signing import sign

    ts = str(int(time.time()))
    assert verify(key=key, timestamp=ts, signature=sign(secret, ts, body), body=body) == gateway.pk


def test_an_alarm_that_cannot_open_its_case_waits_with_the_reason(client, gw):
    from gridsafe.catalog.categories import categories

    gateway, secret = gw
    camera = camera_in("南溪村")
    Category.objects.filter(code="fire-escape-blocked").update(is_active=False)
    categories.invalidate()
    body = alarm_body(camera, "E-1")
    from django.utils.timezone import localtime

    body["occurred_at"] = localtime(clock.now()).replace(tzinfo=None).isoformat()  # Beijing time, no offset
    answer = post(client, gateway, secret, body)
    assert answer.status_code == 201, answer.content
    assert answer.json()["outcome"] == "review" and answer.json()["case_id"] is None
    alarm = VideoAlarm.objects.get(alarm_id="E-1")
    assert "未能自动立案" in alarm.review_note and "类别" in alarm.review_note
    assert abs((alarm.occurred_at - clock.now()).total_seconds()) < 120  # read as Beijing time
