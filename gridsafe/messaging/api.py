"""The messaging app's API under /api/v1/messaging/."""

from ninja import Router

router = Router(tags=["messaging"])
