"""Every write of a checklist (检查表), one service per action, keyword-only, each in its own durable transaction
with one audit row (core.audit) naming the version and what changed:

    checklist_draft_create   新建草稿 — a new checklist (version 1), or the next version of a published one
    checklist_draft_update   修改草稿 — the title, source and change note of a draft
    checklist_items_save     编辑检查项 — the whole ordered item list of a draft (the editor and the XLSX import)
    checklist_publish        发布 — the draft becomes the newest published version, which the field app hands out
    checklist_retire         停用 — a published version is withdrawn
    checklist_draft_discard  删除草稿 — a draft that was never published

A published version is immutable: these services refuse to touch it (409), and database triggers refuse every
other writer (field.checklists.guard). Editing a published checklist means `checklist_draft_create(from_version=…)`:
a copy as the next version. Visits stay bound to the version they answered (PlaceVisit.template)."""

from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext_lazy as _

from gridsafe.accounts.models import User
from gridsafe.catalog.models import Category, Domain
from gridsafe.core import clock
from gridsafe.core.audit import audit_record
from gridsafe.core.errors import DomainError, InvalidTransition, StaleVersion, ValidationFailed
from gridsafe.field.checklists.permissions import ensure_can_configure_checklists
from gridsafe.field.models import ChecklistItem, ChecklistStatus, ChecklistTemplate, Severity
from gridsafe.places.models import PlaceKind

MAX_ITEMS = 200
MAX_WEIGHT = 100
CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


class ChecklistDraftExists(DomainError):
    """A checklist has at most one draft: the caller opens that one (its id is in `draft_id`)."""

    status = 409
    code = "checklist_draft_exists"
    title = _("The checklist already has a draft")


class ChecklistFrozen(InvalidTransition):
    """A published or retired version does not change; edit makes a new draft version instead."""

    code = "checklist_frozen"
    title = _("A published checklist version cannot be changed")


@dataclass(frozen=True)
class ItemSpec:
    """One checklist item as the editor or an import gives it, before it is checked."""

    code: str
    question: str
    category_code: str
    severity: str = Severity.GENERAL
    legal_basis: str = ""
    applies_to: tuple[str, ...] = ()
    photo_required_on_fail: bool = True
    na_allowed: bool = False
    weight: int = 1


@dataclass(frozen=True)
class ItemProblem:
    """A problem of one item: its 0-based position in the list, the field, and what is wrong (Chinese)."""

    index: int
    field: str
    message: str


@dataclass
class ItemCheck:
    problems: list[ItemProblem] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)

    def add(self, index: int, field_name: str, message: str) -> None:
        self.problems.append(ItemProblem(index, field_name, message))


class ChecklistItemsInvalid(ValidationFailed):
    """The item list has problems; `problems` names each by position and field, so a page or an XLSX report can
    put them on their row and column."""

    def __init__(self, problems: list[ItemProblem]):
        self.problems = problems
        first = problems[0] if problems else ItemProblem(0, "items", "请检查")
        super().__init__(f"检查项有 {len(problems)} 处问题：第 {first.index + 1} 项 {first.message}")


def checklist_items_check(items: list[ItemSpec]) -> ItemCheck:
    """Every problem of an item list, without writing: codes present, unique and plain; a question; a known and
    active hazard category; a severity of 一般/可能重大; known place kinds; a weight of 0–100; a legal basis for a
    可能重大 item (a 重大 proposal must say which standard it rests on, domain.md §6). One query (categories)."""
    check = ItemCheck()
    codes = {spec.category_code for spec in items if spec.category_code}
    check.categories = {c.code: c for c in Category.objects.filter(code__in=codes).select_related("domain")}
    if not items:
        check.add(0, "items", "至少要有一个检查项")
    if len(items) > MAX_ITEMS:
        check.add(MAX_ITEMS, "items", f"检查项不能超过 {MAX_ITEMS} 个")
    seen: dict[str, int] = {}
    kinds = set(PlaceKind.values)
    for i, spec in enumerate(items):
        code = spec.code.strip()
        if not code:
            check.add(i, "code", "编号不能为空")
        elif len(code) > 30 or not set(code) <= CODE_CHARS:
            check.add(i, "code", f"编号「{code}」只能由字母、数字和 - _ . 组成，最长 30 个字符")
        elif code.upper() in seen:
            check.add(i, "code", f"编号「{code}」与第 {seen[code.upper()] + 1} 项重复")
        else:
            seen[code.upper()] = i
        if not spec.question.strip():
            check.add(i, "question", "检查内容不能为空")
        elif len(spec.question.strip()) > 200:
            check.add(i, "question", "检查内容最长 200 个字符")
        category = check.categories.get(spec.category_code)
        if not spec.category_code:
            check.add(i, "category", "隐患类别不能为空（不合格时按此类别生成隐患）")
        elif category is None:
            check.add(i, "category", f"隐患类别「{spec.category_code}」不存在")
        elif not category.is_active:
            check.add(i, "category", f"隐患类别「{category.name}」已停用")
        if spec.severity not in Severity.values:
            check.add(i, "severity", "严重程度应为“一般”或“可能重大”")
        elif spec.severity == Severity.POSSIBLY_MAJOR and not spec.legal_basis.strip():
            check.add(i, "legal_basis", "“可能重大”的检查项须写明判定依据（标准及条款）")
        if len(spec.legal_basis.strip()) > 200:
            check.add(i, "legal_basis", "依据最长 200 个字符")
        unknown = [k for k in spec.applies_to if k not in kinds]
        if unknown:
            check.add(i, "applies_to", f"适用对象类型「{'、'.join(unknown)}」不存在")
        if not 0 <= spec.weight <= MAX_WEIGHT:
            check.add(i, "weight", f"权重应为 0 到 {MAX_WEIGHT} 的整数")
    return check


def _audit(actor: User, action: str, template: ChecklistTemplate, **payload: object) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=f"checklist:{template.pk} {template.title} v{template.version}",
        payload={
            "domain": template.domain.code,
            "place_kind": template.place_kind,
            "version": template.version,
            "status": template.status,
            **payload,
        },
    )


def _clean_header(title: str, source: str, note: str) -> tuple[str, str, str]:
    title, source, note = title.strip(), source.strip(), note.strip()
    if not title:
        raise ValidationFailed("检查表名称不能为空")
    if len(title) > 100 or len(source) > 200 or len(note) > 300:
        raise ValidationFailed("名称最长 100 个字符，来源最长 200 个字符，修订说明最长 300 个字符")
    return title, source, note


def _fresh(template_id: int) -> ChecklistTemplate:
    """The version, re-read under a row lock (the decision depends on its status and revision)."""
    return ChecklistTemplate.objects.select_for_update().select_related("domain").get(pk=template_id)


@transaction.atomic(durable=True)
def checklist_draft_create(
    *,
    actor: User,
    domain: Domain | None = None,
    place_kind: str = "",
    title: str = "",
    source: str = "",
    note: str = "",
    from_version: ChecklistTemplate | None = None,
    items: list[ItemSpec] | None = None,
) -> ChecklistTemplate:
    """新建草稿. Without `from_version`: a new checklist for a domain and place kind (none may exist yet), with
    `items` if given. With `from_version` (a published or retired version): the next version of that checklist,
    its items copied, which the editor then changes. One draft per checklist: ChecklistDraftExists (409)."""
    ensure_can_configure_checklists(actor)
    if from_version is not None:
        domain, place_kind = from_version.domain, from_version.place_kind
        title = title or from_version.title
        source = source or from_version.source
    if domain is None:
        raise ValidationFailed("请选择领域")
    if place_kind and place_kind not in PlaceKind.values:
        raise ValidationFailed("对象类型不存在")
    title, source, note = _clean_header(title, source, note)
    versions = ChecklistTemplate.objects.filter(domain=domain, place_kind=place_kind)
    draft = versions.filter(status=ChecklistStatus.DRAFT).first()
    if draft is not None:
        raise ChecklistDraftExists(f"「{draft.title}」已有第 {draft.version} 版草稿，请继续编辑它", draft_id=draft.pk)
    if from_version is None and versions.exists():
        raise ValidationFailed("该领域和对象类型已有检查表，请在原检查表上修订（会生成新版本）")
    if from_version is not None and from_version.status == ChecklistStatus.DRAFT:
        raise InvalidTransition("草稿不能作为新版本的来源")
    if items is not None:
        check = checklist_items_check(items)
        if check.problems:
            raise ChecklistItemsInvalid(check.problems)
    number = (versions.aggregate(n=Max("version"))["n"] or 0) + 1
    now = clock.now()
    template = ChecklistTemplate.objects.create(
        domain=domain,
        place_kind=place_kind,
        version=number,
        title=title,
        source=source,
        note=note,
        status=ChecklistStatus.DRAFT,
        active=False,
        created_at=now,
        created_by=actor,
    )
    if from_version is not None and items is None:
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(
                    template=template,
                    code=i.code,
                    question=i.question,
                    applies_to=i.applies_to,
                    severity=i.severity,
                    legal_basis=i.legal_basis,
                    category_id=i.category_id,
                    photo_required_on_fail=i.photo_required_on_fail,
                    na_allowed=i.na_allowed,
                    weight=i.weight,
                    sort=i.sort,
                )
                for i in from_version.items.all()
            ]
        )
    elif items is not None:
        _items_write(template, items, check.categories)
    _audit(
        actor,
        "checklist.draft_created",
        template,
        from_version=from_version.version if from_version else None,
        items=template.items.count(),
    )
    return template


@transaction.atomic(durable=True)
def checklist_draft_update(
    *, actor: User, template: ChecklistTemplate, title: str, source: str, note: str, expected_revision: int
) -> ChecklistTemplate:
    """修改草稿 — the draft's title, source and change note."""
    ensure_can_configure_checklists(actor)
    title, source, note = _clean_header(title, source, note)
    template = _editable(template.pk, expected_revision)
    old = {"title": template.title, "source": template.source, "note": template.note}
    new = {"title": title, "source": source, "note": note}
    ChecklistTemplate.objects.filter(pk=template.pk).update(**new, revision=F("revision") + 1)
    template.refresh_from_db()
    _audit(actor, "checklist.draft_updated", template, changes={k: [old[k], new[k]] for k in new if old[k] != new[k]})
    return template


def _editable(template_id: int, expected_revision: int | None) -> ChecklistTemplate:
    template = _fresh(template_id)
    if template.status != ChecklistStatus.DRAFT:
        raise ChecklistFrozen(f"第 {template.version} 版已发布，不能修改；请“修订”生成新版本")
    if expected_revision is not None and template.revision != expected_revision:
        raise StaleVersion("草稿已被他人修改，请刷新后再编辑")
    return template


def _items_write(template: ChecklistTemplate, items: list[ItemSpec], categories: dict[str, Category]) -> None:
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                template=template,
                code=spec.code.strip(),
                question=spec.question.strip(),
                applies_to=list(spec.applies_to),
                severity=spec.severity,
                legal_basis=spec.legal_basis.strip(),
                category=categories[spec.category_code],
                photo_required_on_fail=spec.photo_required_on_fail,
                na_allowed=spec.na_allowed,
                weight=spec.weight,
                sort=position,
            )
            for position, spec in enumerate(items)
        ]
    )


def item_spec_of(item: ChecklistItem) -> ItemSpec:
    return ItemSpec(
        code=item.code,
        question=item.question,
        category_code=item.category.code,
        severity=item.severity,
        legal_basis=item.legal_basis,
        applies_to=tuple(item.applies_to or ()),
        photo_required_on_fail=item.photo_required_on_fail,
        na_allowed=item.na_allowed,
        weight=item.weight,
    )


@transaction.atomic(durable=True)
def checklist_items_save(
    *, actor: User, template: ChecklistTemplate, items: list[ItemSpec], expected_revision: int, via: str = "editor"
) -> ChecklistTemplate:
    """编辑检查项 — replace the draft's items by `items`, in this order. All or nothing: any problem raises
    ChecklistItemsInvalid with every problem by position and field. The audit row lists the codes added, removed
    and changed. `via` says where the list came from ("editor", "xlsx")."""
    ensure_can_configure_checklists(actor)
    template = _editable(template.pk, expected_revision)
    check = checklist_items_check(items)
    if check.problems:
        raise ChecklistItemsInvalid(check.problems)
    before = {i.code: asdict(item_spec_of(i)) for i in template.items.select_related("category")}
    after = {spec.code.strip(): asdict(spec) for spec in items}
    ChecklistItem.objects.filter(template=template).delete()
    _items_write(template, items, check.categories)
    ChecklistTemplate.objects.filter(pk=template.pk).update(revision=F("revision") + 1)
    template.refresh_from_db()
    _audit(
        actor,
        "checklist.items_saved",
        template,
        via=via,
        items=len(items),
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(c for c in set(after) & set(before) if {**after[c], "code": c} != {**before[c], "code": c}),
        order=list(after),
    )
    return template


@transaction.atomic(durable=True)
def checklist_publish(*, actor: User, template: ChecklistTemplate, expected_revision: int) -> ChecklistTemplate:
    """发布 — the draft becomes the newest published version: the field app hands it out from the next sync, and
    the version it replaces stays answerable (a phone that was offline) but is no longer handed out. Frozen from
    here on."""
    ensure_can_configure_checklists(actor)
    template = _editable(template.pk, expected_revision)
    items = list(template.items.select_related("category"))
    check = checklist_items_check([item_spec_of(i) for i in items])
    if check.problems:
        raise ChecklistItemsInvalid(check.problems)
    previous = (
        ChecklistTemplate.objects.select_for_update()
        .filter(domain_id=template.domain_id, place_kind=template.place_kind, active=True)
        .first()
    )
    if previous is not None:  # first: one active version per checklist is a unique constraint
        ChecklistTemplate.objects.filter(pk=previous.pk).update(active=False)
    now = clock.now()
    ChecklistTemplate.objects.filter(pk=template.pk).update(
        status=ChecklistStatus.PUBLISHED, active=True, published_at=now, published_by=actor
    )
    template.refresh_from_db()
    _audit(
        actor,
        "checklist.published",
        template,
        items=len(items),
        replaces=previous.version if previous else None,
    )
    return template


@transaction.atomic(durable=True)
def checklist_retire(*, actor: User, template: ChecklistTemplate) -> ChecklistTemplate:
    """停用 — withdraw a published version. If it was the current one, the field app stops handing it out (places
    of that kind fall back to the domain's general checklist, if any). Past visits keep it."""
    ensure_can_configure_checklists(actor)
    template = _fresh(template.pk)
    if template.status != ChecklistStatus.PUBLISHED:
        raise InvalidTransition("只有已发布的版本可以停用")
    was_current = template.active
    ChecklistTemplate.objects.filter(pk=template.pk).update(
        status=ChecklistStatus.RETIRED, active=False, retired_at=clock.now()
    )
    template.refresh_from_db()
    _audit(actor, "checklist.retired", template, was_current=was_current)
    return template


@transaction.atomic(durable=True)
def checklist_draft_discard(*, actor: User, template: ChecklistTemplate) -> None:
    """删除草稿 — a draft was never answered; it and its items go."""
    ensure_can_configure_checklists(actor)
    template = _editable(template.pk, None)
    count = template.items.count()
    _audit(actor, "checklist.draft_discarded", template, items=count)
    ChecklistItem.objects.filter(template=template).delete()
    template.delete()
