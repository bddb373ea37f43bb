"""Time-limit lookup: (category, urgency, step) → (amount, unit). A category's own row beats the default row."""

from decimal import Decimal

from gridsafe.catalog.models import TimeLimit
from gridsafe.core.cache import VersionedCache


def _build() -> dict[tuple[int | None, str, str], tuple[Decimal, str]]:
    return {(t.category_id, t.urgency, t.step): (t.amount, t.unit) for t in TimeLimit.objects.all()}


time_limits = VersionedCache("time_limits", _build)


def limit_for(*, category_id: int, urgent: bool, step: str) -> tuple[Decimal, str] | None:
    table = time_limits.get()
    urgency = "urgent" if urgent else "normal"
    for key in (
        (category_id, urgency, step),
        (None, urgency, step),
        (category_id, "normal", step),
        (None, "normal", step),
    ):
        if key in table:
            return table[key]
    return None
