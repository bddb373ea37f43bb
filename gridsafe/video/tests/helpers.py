"""Shared by the video tests and the bench: a camera in a real demo grid, a JPEG, a signed POST."""

import base64
import io
import json
import time

from PIL import Image

from gridsafe.regions.models import Region, RegionLevel
from gridsafe.video.models import Camera, Owner
from gridsafe.video.signing import sign


def jpeg(color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def gb_ids(grid: Region, serial: int) -> tuple[str, str]:
    """A device (IPC, 132) and its channel (131) under the grid's township centre code."""
    parts = grid.path.split(".")
    centre = parts[0] + parts[1][-2:]
    return f"{centre}00132{serial:07d}", f"{centre}00131{serial:07d}"


def camera_in(village_name: str, serial: int = 1, **extra) -> Camera:
    village = Region.objects.get(name=village_name, level=RegionLevel.VILLAGE)
    grid = (
        Region.objects.filter(level=RegionLevel.GRID, path__startswith=village.path + ".", center_lon__isnull=False)
        .order_by("code")
        .first()
    )
    device_id, channel_id = gb_ids(grid, serial)
    return Camera.objects.create(
        device_id=device_id,
        channel_id=channel_id,
        name=extra.pop("name", f"{village_name}{serial}号探头"),
        owner=extra.pop("owner", Owner.POLICE),
        lon=grid.center_lon,
        lat=grid.center_lat,
        region=grid,
        region_path=grid.path,
        **extra,
    )


def signed(key: str, secret: str, body: dict, *, timestamp: int | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return raw, {
        "X-GridSafe-Gateway": key,
        "X-GridSafe-Timestamp": ts,
        "X-GridSafe-Signature": sign(secret, ts, raw),
    }


def alarm_body(camera: Camera, alarm_id: str, *, type="消防通道占用", confidence=0.93, occurred_at=None, snap=None):
    from gridsafe.core import clock

    return {
        "alarm_id": alarm_id,
        "camera_id": camera.channel_id,
        "type": type,
        "occurred_at": (occurred_at or clock.now()).isoformat(),
        "confidence": confidence,
        "snapshot": base64.b64encode(snap if snap is not None else jpeg()).decode(),
    }
