"""Writes of the region tree: the service owns the invalidation of the caches built from its rows (core.cache): the
point → grid index and the map's polygons, and, through the caches that follow it, unit routing (a unit's region
path) and token lookups (a worker's grid paths), which live in layers above this one. The admin calls it."""

from django.db import transaction

from gridsafe.regions.locate import grid_index
from gridsafe.regions.models import Region


def region_save(region: Region) -> Region:
    with transaction.atomic():
        region.save()
        grid_index.invalidate()
    return region
