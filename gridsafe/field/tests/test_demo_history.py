"""The demo's year of field work (field/demo_history.py): weekly patrols of every grid with some weeks missed, a
few walks too short for the patrol rule, tracks only within the retention period, workers on patrol now in the
daytime, and publicity with the 安全生产宣传周 in every township — so no supervision page opens empty."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from gridsafe.core import clock
from gridsafe.field.demo import seed_field_demo
from gridsafe.field.demo_history import seed_field_history
from gridsafe.field.models import Patrol, PatrolStatus, PublicityActivity, TrackPoint
from gridsafe.regions.models import Region, RegionLevel

DAYTIME = datetime(2026, 11, 18, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday morning


def test_a_year_of_patrols_and_publicity(client, people):
    with clock.frozen(DAYTIME):
        seed_field_demo()
        made = seed_field_history()
        assert made["patrol_history"] > 20_000 and made["publicity"] > 1_000
        assert seed_field_history() == {"patrol_history": 0, "publicity": 0}  # a second run adds nothing

    grids = Region.objects.filter(level=RegionLevel.GRID, is_active=True).count()
    ended = Patrol.objects.filter(status=PatrolStatus.ENDED)
    weeks = 52
    assert 0.75 * grids * weeks < ended.count() < grids * (weeks + 1)  # weekly, with some weeks missed
    assert ended.filter(counts_for_coverage=False).exists()  # a few walks too short for the rule
    assert ended.filter(counts_for_coverage=True).count() > 0.9 * ended.count()

    cutoff = DAYTIME - timedelta(days=settings.GRIDSAFE_TRACK_RETENTION_DAYS)
    assert not TrackPoint.objects.filter(patrol__ended_at__lt=cutoff).exists()  # purged like the real thing
    assert not ended.filter(ended_at__lt=cutoff, track_purged_at__isnull=True).exists()
    recent = ended.filter(ended_at__gte=cutoff, counts_for_coverage=True).first()
    assert recent.points.count() == recent.point_count > 2

    walking = Patrol.objects.filter(status=PatrolStatus.ACTIVE)
    assert 1 <= walking.count() <= 4
    assert walking.filter(worker=people["nanxi_worker"]).count() == 0  # her field app can start a patrol
    assert len(set(walking.values_list("worker_id", flat=True))) == walking.count()

    weeks_by_township = PublicityActivity.objects.filter(kind="campaign_week").values_list("grid_path", flat=True)
    townships = {path.rsplit(".", 2)[0] for path in weeks_by_township}
    assert len(townships) == Region.objects.filter(level=RegionLevel.TOWNSHIP, is_active=True).count()

    # The supervisors' pages have something to show.
    client.force_login(people["nanxi"])
    with clock.frozen(DAYTIME):
        assert "王芳" in client.get("/supervision/patrols/").content.decode()
        now = client.get("/supervision/patrols/now.json").json()["patrols"]
        assert len(now) == 1 and now[0]["lon"] is not None
        client.force_login(people["county"])
        page = client.get("/supervision/coverage/").content.decode()
        assert "本周所有网格均已巡查" not in page and 'id="sv-month">0<' not in page
        assert "安全生产宣传周" in client.get("/supervision/publicity/").content.decode()
