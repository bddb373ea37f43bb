"""Delete GPS track points past GRIDSAFE_TRACK_RETENTION_DAYS (行踪轨迹 are kept only as long as needed).
Run daily from a timer, like `sweep_cases`; safe to run twice."""

from django.core.management.base import BaseCommand

from gridsafe.field.services import patrol_tracks_purge, track_retention_days


class Command(BaseCommand):
    help = "Delete patrol GPS tracks older than the retention period (GRIDSAFE_TRACK_RETENTION_DAYS, default 90)."

    def handle(self, *args, **options):
        deleted = patrol_tracks_purge()
        self.stdout.write(f"已删除超过 {track_retention_days()} 天的巡查轨迹点 {deleted} 个")
