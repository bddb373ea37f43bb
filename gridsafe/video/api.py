"""The video app's API under /api/v1/video/."""

from ninja import Router

router = Router(tags=["video"])
