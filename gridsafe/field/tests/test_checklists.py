"""检查表 services: draft → publish → frozen (the services and the database refuse a change), a new version on edit,
visits bound to the version they answered, the field app handed the newest published version, the audit."""

import uuid

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from gridsafe.catalog.models import Domain
from gridsafe.core.errors import InvalidTransition, NotFound, StaleVersion
from gridsafe.core.models import AuditEvent
from gridsafe.field.checklists.permissions import can_configure_checklists
from gridsafe.field.checklists.services import (
    ChecklistDraftExists,
    ChecklistFrozen,
    ChecklistItemsInvalid,
    ItemSpec,
    checklist_draft_create,
    checklist_draft_discard,
    checklist_draft_update,
    checklist_items_save,
    checklist_publish,
    checklist_retire,
)
from gridsafe.field.models import ChecklistItem, ChecklistStatus, ChecklistTemplate, PlaceVisit
from gridsafe.field.selectors import checklist_for_place

ITEMS = [
    ItemSpec("P01", "钢瓶检验有效", "lpg-no-inspection", legal_basis="TSG 23-2021", weight=2),
    ItemSpec(
        "P02",
        "钢瓶未存放于地下室",
        "lpg-basement",
        severity="possibly_major",
        legal_basis="《城镇燃气经营安全重大隐患判定标准》第六条",
        na_allowed=True,
    ),
]


@pytest.fixture
def lead(people):
    return people["county_lead"]


@pytest.fixture
def other_kind():
    """A domain and place kind the demo world has no checklist for (the world is built without checklists)."""
    return Domain.objects.get(code="lpg"), "other"


def publish_new(actor, domain, kind, items=ITEMS, title="其他液化气场所检查表"):
    draft = checklist_draft_create(actor=actor, domain=domain, place_kind=kind, title=title, items=items)
    return checklist_publish(actor=actor, template=draft, expected_revision=draft.revision)


def test_who_configures(people):
    assert can_configure_checklists(people["admin"]) and can_configure_checklists(people["county_lead"])
    for name in ("county", "bangtou_lead", "nanxi", "nanxi_worker", "fire_lead", "leader"):
        assert not can_configure_checklists(people[name]), name
    domain = Domain.objects.get(code="lpg")
    with pytest.raises(NotFound):
        checklist_draft_create(actor=people["nanxi_worker"], domain=domain, place_kind="other", title="x", items=ITEMS)
    with pytest.raises(NotFound):
        checklist_draft_create(actor=people["bangtou_lead"], domain=domain, place_kind="other", title="x", items=ITEMS)


def test_draft_publish_then_frozen_in_service_and_database(lead, other_kind):
    domain, kind = other_kind
    draft = checklist_draft_create(actor=lead, domain=domain, place_kind=kind, title="液化气检查表", items=ITEMS)
    assert draft.status == ChecklistStatus.DRAFT and draft.version == 1 and not draft.active
    assert [i.code for i in draft.items.all()] == ["P01", "P02"]
    # A draft is edited freely: the items in a new order, one changed.
    reordered = [ITEMS[1], ItemSpec("P01", "钢瓶均在检验有效期内", "lpg-no-inspection", weight=3)]
    draft = checklist_items_save(actor=lead, template=draft, items=reordered, expected_revision=draft.revision)
    assert [(i.code, i.sort) for i in draft.items.all()] == [("P02", 0), ("P01", 1)]
    with pytest.raises(StaleVersion):  # someone else saved in between
        checklist_items_save(actor=lead, template=draft, items=ITEMS, expected_revision=draft.revision - 1)

    published = checklist_publish(actor=lead, template=draft, expected_revision=draft.revision)
    assert published.status == ChecklistStatus.PUBLISHED and published.active and published.published_by == lead

    with pytest.raises(ChecklistFrozen):
        checklist_items_save(actor=lead, template=published, items=ITEMS, expected_revision=published.revision)
    with pytest.raises(ChecklistFrozen):
        checklist_draft_update(
            actor=lead, template=published, title="改名", source="", note="", expected_revision=published.revision
        )
    with pytest.raises(ChecklistFrozen):
        checklist_publish(actor=lead, template=published, expected_revision=published.revision)
    with pytest.raises(ChecklistFrozen):
        checklist_draft_discard(actor=lead, template=published)

    # Around the services, the database refuses: an item edited, added or deleted, the version's content changed.
    item = published.items.get(code="P01")
    item.question = "改过的问题"
    for attempt in (
        item.save,
        lambda: ChecklistItem.objects.filter(pk=item.pk).delete(),
        lambda: ChecklistItem.objects.create(template=published, code="P09", question="新增", category=item.category),
        lambda: ChecklistTemplate.objects.filter(pk=published.pk).update(title="改名"),
        lambda: ChecklistTemplate.objects.filter(pk=published.pk).update(status="draft"),
        lambda: ChecklistTemplate.objects.filter(pk=published.pk).delete(),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            attempt()
    assert published.items.get(code="P01").question == "钢瓶均在检验有效期内"

    audit = list(AuditEvent.objects.filter(target__startswith=f"checklist:{published.pk} ").order_by("seq"))
    assert [a.action for a in audit] == ["checklist.draft_created", "checklist.items_saved", "checklist.published"]
    assert audit[1].payload["changed"] == ["P01"] and audit[1].payload["order"] == ["P02", "P01"]
    assert all(a.actor_id == lead.pk for a in audit)


def test_edit_of_a_published_checklist_makes_the_next_version(lead, other_kind):
    domain, kind = other_kind
    v1 = publish_new(lead, domain, kind)
    v2 = checklist_draft_create(actor=lead, from_version=v1, note="P02 改为可能重大")
    assert (v2.version, v2.status, v2.title) == (2, ChecklistStatus.DRAFT, v1.title)
    assert [i.code for i in v2.items.all()] == ["P01", "P02"]  # a copy to edit
    with pytest.raises(ChecklistDraftExists) as exc:  # a second "edit" opens the same draft
        checklist_draft_create(actor=lead, from_version=v1)
    assert exc.value.extra["draft_id"] == v2.pk
    v2 = checklist_items_save(actor=lead, template=v2, items=ITEMS[:1], expected_revision=v2.revision)
    # While v2 is a draft, v1 is what phones get.
    assert ChecklistTemplate.objects.active().get(domain=domain, place_kind=kind) == v1
    v2 = checklist_publish(actor=lead, template=v2, expected_revision=v2.revision)
    v1.refresh_from_db()
    assert v2.active and not v1.active and v1.status == ChecklistStatus.PUBLISHED  # superseded, still answerable
    assert [i.code for i in v1.items.all()] == ["P01", "P02"]  # the old version is untouched

    retired = checklist_retire(actor=lead, template=v2)
    assert retired.status == ChecklistStatus.RETIRED and not retired.active
    assert not ChecklistTemplate.objects.active().filter(domain=domain, place_kind=kind).exists()
    with pytest.raises(InvalidTransition):
        checklist_retire(actor=lead, template=retired)


def test_bad_items_are_reported_by_position_and_field(lead, other_kind):
    domain, kind = other_kind
    bad = [
        ItemSpec("P01", "问题", "lpg-no-inspection"),
        ItemSpec("p01", "", "no-such-category", weight=500),
        ItemSpec("P03", "重大但无依据", "lpg-basement", severity="possibly_major", applies_to=("castle",)),
    ]
    with pytest.raises(ChecklistItemsInvalid) as exc:
        checklist_draft_create(actor=lead, domain=domain, place_kind=kind, title="坏表", items=bad)
    found = {(p.index, p.field) for p in exc.value.problems}
    assert found == {
        (1, "code"),
        (1, "question"),
        (1, "category"),
        (1, "weight"),
        (2, "legal_basis"),
        (2, "applies_to"),
    }
    assert not ChecklistTemplate.objects.filter(domain=domain, place_kind=kind).exists()  # nothing written


def test_a_visit_keeps_the_version_it_answered_and_drafts_are_not_answerable(api_as, people, field_world, lead):
    worker = api_as("nanxi_worker")
    place = field_world["lpg"]
    v1 = checklist_for_place(place)
    answers = [{"code": i.code, "answer": "pass"} for i in v1.items_for(place.kind)]
    body = {"place_id": place.pk, "template_id": v1.pk, "answers": answers, "lon": place.lon, "lat": place.lat}

    v2 = checklist_draft_create(actor=lead, from_version=v1, note="新增一项")
    extra = ItemSpec("L05", "有应急预案", "lpg-no-inspection")
    from gridsafe.field.checklists.services import item_spec_of

    specs = [item_spec_of(i) for i in v2.items.select_related("category")] + [extra]
    v2 = checklist_items_save(actor=lead, template=v2, items=specs, expected_revision=v2.revision)
    draft_body = {**body, "client_id": str(uuid.uuid4()), "template_id": v2.pk}
    refused = worker.post("/api/v1/field/visits", draft_body)  # a draft is never answered
    assert refused.status_code == 422, refused.content

    v2 = checklist_publish(actor=lead, template=v2, expected_revision=v2.revision)
    # A phone offline since before the publication answers v1: accepted, and bound to v1 exactly.
    response = worker.post("/api/v1/field/visits", {**body, "client_id": str(uuid.uuid4())})
    assert response.status_code == 201, response.content
    visit = PlaceVisit.objects.get(client_id=response.json()["client_id"])
    assert (visit.template_id, visit.template_version) == (v1.pk, 1)
    assert [a["code"] for a in visit.answers] == ["L01", "L02", "L03", "L04"]
    # The field app is handed the newest published version.
    handed = worker.get(f"/api/v1/field/places/{place.pk}/checklist").json()["checklist"]
    assert handed["version"] == 2 and handed["items"][-1]["code"] == "L05"
    bundle = worker.get("/api/v1/field/sync").json()
    assert [c["version"] for c in bundle["checklists"] if c["domain"] == "lpg"] == [2]


def test_discard_a_draft(lead, other_kind):
    domain, kind = other_kind
    draft = checklist_draft_create(actor=lead, domain=domain, place_kind=kind, title="草稿", items=ITEMS)
    checklist_draft_discard(actor=lead, template=draft)
    assert not ChecklistTemplate.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="checklist.draft_discarded").count() == 1
