"""The demo's video part on the test world: a register across the grids with 公安 most, every id valid for its place,
alarms with precision figures, a review queue, and fresh alarms that opened cases through the real intake."""

from gridsafe.cases.models import Attachment, Case, Source
from gridsafe.video import selectors
from gridsafe.video.demo import seed_video_demo
from gridsafe.video.gb28181 import id_problems
from gridsafe.video.models import Camera, Outcome, Owner, VideoAlarm


def test_video_demo(db, people):
    import uuid

    from gridsafe.cases.services.report import case_report
    from gridsafe.regions.models import Region, RegionLevel

    village = Region.objects.get(name="南溪村", level=RegionLevel.VILLAGE)
    grid = Region.objects.filter(level=RegionLevel.GRID, path__startswith=village.path + ".").order_by("code").first()
    history = [  # the history's 视频 cases registered at the desk: a mapped category and an unmapped one
        case_report(
            actor=people["nanxi"],
            client_id=uuid.uuid4(),
            category_code=code,
            description="视频巡查发现",
            lon=grid.center_lon,
            lat=grid.center_lat,
            source=Source.VIDEO,
            channel="desk",
        )[0]
        for code in ("fire-escape-blocked", "lpg-basement")
    ]
    summary = seed_video_demo(seed=1)
    seen = {a.case_id: a for a in VideoAlarm.objects.filter(case__in=history)}
    assert seen[history[0].pk].outcome == Outcome.CASE_OPENED and seen[history[0].pk].type == "消防通道占用"
    assert seen[history[1].pk].outcome == Outcome.CASE_FROM_REVIEW and seen[history[1].pk].reviewed_by_id
    assert seen[history[0].pk].camera.region_id == grid.pk
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
    fresh = Case.objects.filter(source=Source.VIDEO).exclude(pk__in=[c.pk for c in history])
    assert fresh.count() >= 6 and Attachment.objects.filter(case__in=fresh).count() == fresh.count()
    rows = {r["type"]: r for r in selectors.precision_by(VideoAlarm.objects.all(), "type")}
    assert rows["烟火"]["false"] > 0
    assert seed_video_demo(seed=1).startswith("摄像机台账已有")  # once
