"""The hazards app's API under /api/v1/hazards/."""

from ninja import Router

router = Router(tags=["hazards"])
