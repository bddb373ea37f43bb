"""Reads of the checklist editor: the checklists with their versions, one version with its items, and the items
a place kind sees (the preview). Every read starts from `ensure_can_configure_checklists`: the editor is the
configuration roles' alone."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch

from gridsafe.accounts.models import User
from gridsafe.field.checklists.permissions import ChecklistEditorNotFound, ensure_can_configure_checklists
from gridsafe.field.models import ChecklistItem, ChecklistStatus, ChecklistTemplate


@dataclass
class ChecklistGroup:
    """One checklist (a domain and place kind) with its versions, newest first."""

    versions: list[ChecklistTemplate] = field(default_factory=list)

    @property
    def newest(self) -> ChecklistTemplate:
        return self.versions[0]

    @property
    def current(self) -> ChecklistTemplate | None:
        return next((v for v in self.versions if v.active), None)

    @property
    def draft(self) -> ChecklistTemplate | None:
        return next((v for v in self.versions if v.status == ChecklistStatus.DRAFT), None)


def checklist_groups_for(user: User) -> list[ChecklistGroup]:
    """Every checklist with its versions and item and visit counts. Two queries."""
    ensure_can_configure_checklists(user)
    versions = (
        ChecklistTemplate.objects.select_related("domain", "published_by")
        .annotate(item_count=Count("items", distinct=True), visit_count=Count("visits", distinct=True))
        .order_by("domain__sort", "domain__code", "place_kind", "-version")
    )
    groups: dict[tuple[int, str], ChecklistGroup] = {}
    for version in versions:
        groups.setdefault((version.domain_id, version.place_kind), ChecklistGroup()).versions.append(version)
    return list(groups.values())


def checklist_version_for(user: User, template_id: int) -> ChecklistTemplate:
    """One version with its items (and their categories), for the editor."""
    ensure_can_configure_checklists(user)
    template = (
        ChecklistTemplate.objects.select_related("domain", "published_by", "created_by")
        .prefetch_related(Prefetch("items", queryset=ChecklistItem.objects.select_related("category")))
        .filter(pk=template_id)
        .first()
    )
    if template is None:
        raise ChecklistEditorNotFound("检查表不存在")
    return template


def checklist_versions_of(template: ChecklistTemplate) -> list[ChecklistTemplate]:
    return list(
        ChecklistTemplate.objects.filter(domain_id=template.domain_id, place_kind=template.place_kind)
        .select_related("published_by")
        .annotate(visit_count=Count("visits"))
        .order_by("-version")
    )
