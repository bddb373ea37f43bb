"""Reads of the hazards app with a shape."""

from gridsafe.field.models import ChecklistTemplate
from gridsafe.places.models import Place


def checklist_for_place(place: Place) -> ChecklistTemplate | None:
    """The checklist an enterprise answers at its place: the newest published version of its domain, the one for
    its kind before the domain's general one."""
    return (
        ChecklistTemplate.objects.answerable()
        .filter(domain_id=place.domain_id, place_kind__in=[place.kind, ""])
        .order_by("-place_kind", "-version")
        .first()
    )
