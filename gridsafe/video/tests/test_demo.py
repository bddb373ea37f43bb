"""The demo's video part on the test world: a register across the grids with 公安 most, every id valid for its place,
alarms with precision figures, a review queue, and fresh alarms that opened cases through the real intake."""

from gridsafe.cases.models import Attachment, Case, Source
from gridsafe.video import selectors
from gridsafe.video.demo import seed_video_demo
from gridsafe.video.gb28181 import id_problems
from gridsafe.video.models import Camera, Outcome, Owner, VideoAlarm


def test_video_demo(db):
    summary = seed_video_demo(seed=1)
    assert "摄像机" in summary
    cameras = list(Camera.objects.all())
    assert len(cameras) >= 300
    owners = [c.owner for c in cameras]
    assert owners.count(Owner.POLICE) > owners.count(Owner.TOWNSHIP) > owners.count(Owner.ENTERPRISE) > 0
    assert len({c.region_id for c in cameras}) > 250
    for camera in cameras[:50]:
        parts = camera.region_path.split(".")
        assert (
            id_problems(camera.device_id, camera.channel_id, county_code=parts[0], township_code=parts[0] + parts[1])
            == []
        )
    assert VideoAlarm.objects.filter(outcome=Outcome.REVIEW).count() >= 40
    fresh = Case.objects.filter(source=Source.VIDEO, client_id__isnull=False)
    assert fresh.count() >= 6 and Attachment.objects.filter(case__in=fresh).count() == fresh.count()
    rows = {r["type"]: r for r in selectors.precision_by(VideoAlarm.objects.all(), "type")}
    assert rows["烟火"]["false"] > 0
    assert seed_video_demo(seed=1).startswith("摄像机台账已有")  # once
