"""The admin speaks Chinese: every administrator who uses the admin (三员分立, accounts.permissions: the 系统管理员 and
the demo's all-round 管理员, the 安全管理员, the 审计管理员) opens the index, every changelist, add page and change page
they may open (with the demo world's rows), and no page shows an untranslated label — an English word in a title,
a column header, a filter, a form label, a fieldset, a help text, an action, a choice — nor a raw code in a value
(a choice's stored value such as `pending_review`, a unit code such as `dept-fire`, a JSON object).

When this fails, the message names the page, the part of the page and the text. Fix it where the label comes
from: a model's or field's verbose_name (an English msgid translated in gridsafe/locale/zh_Hans django.po, as the
project does), a choice label, an admin display's description, a help text; a value through get_FOO_display or a
display method."""

import re
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from lxml import html

from gridsafe.accounts.models import Role, User

# ASCII words a Chinese page may show: abbreviations people use as they are, and the format names of the boundary
# editor. Compared as written (case matters: "id" in a label is English, "ID" is the abbreviation).
ALLOWED_WORDS = frozenset(
    {
        "ID",
        "GPS",
        "URL",
        "KPI",
        "API",
        "APP",
        "GridSafe",
        "GeoJSON",
        "WGS",
        "CGCS",
        "GCJ",
        "BD",
        "Polygon",
        "MultiPolygon",
        "Feature",
        "XLSX",
        "DOCX",
        "PDF",
        "KML",
        "KMZ",
        "Shapefile",
        "xlsx",
        "docx",
        "zip",
        "csv",
        "SHA",
        "MIME",
        "IP",
        "GB",
        "T",
        "TOTP",
        "PNG",
        "JPEG",
        # Django's own help for a multiple select names the keys: 按住 Control 键或 Mac 上的 Command 键来选择多项。
        "Control",
        "Mac",
        "Command",
    }
)
WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
# A value that is a code rather than a name: snake_case, kebab-case or dotted lower-case identifiers
# (pending_review, dept-fire, case.commented), or a JSON object or list.
CODE_LIKE = re.compile(r"^[a-z][a-z0-9]*(?:[_.\-][a-z0-9]+)+$")
IDENTIFIER_SHAPE = re.compile(
    r"^(?:[0-9a-f]{32,64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[\w\-]+\.(?:jpe?g|png|webp|heic|mp4|pdf|docx|xlsx|xls|csv|zip|geojson|json|kml|kmz|shp))$",
    re.IGNORECASE,
)
# Columns whose values are identifiers people type or read as they are (a login name, a file's name or digest, an
# address), not labels.
IDENTIFIER_COLUMNS = frozenset(
    {
        "username",
        "email",
        "code",  # a unit's, category's or domain's code (dept-fire): the key imports use, shown beside the name
        "sha256",
        "original_name",
        "content_type",
        "ip",
        "licence_no",
        "stored_file",
        "file",
        "hash",  # the audit chain's own fields, which the 审计管理员 checks as they are
        "prev_hash",
        "key_id",
        "target",  # on a record's page: the stored target, as the 审计管理员 searches for it
        "action_code",
    }
)


def choice_codes() -> frozenset[str]:
    """Every stored value of every choice field of the project's models that has a letter in it."""
    from django.apps import apps

    codes = set()
    for model in apps.get_models():
        if not model.__module__.startswith("gridsafe."):
            continue
        for f in model._meta.get_fields():
            for value, _label in getattr(f, "flatchoices", None) or ():
                if isinstance(value, str) and re.search(r"[A-Za-z]", value):
                    codes.add(value)
    return frozenset(codes)


@dataclass
class Finding:
    page: str
    part: str
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.page}  [{self.part}]  {self.text!r}: {self.why}"


@dataclass
class Checker:
    codes: frozenset[str]
    findings: list[Finding] = field(default_factory=list)

    def label(self, page: str, part: str, text: str) -> None:
        """A label: no English word but the allowed abbreviations."""
        text = " ".join(text.split())
        if not text:
            return
        bare = " ".join(t for t in text.split() if not IDENTIFIER_SHAPE.match(t))  # a file name in a title
        words = [w for w in WORD.findall(bare) if w not in ALLOWED_WORDS]
        if words:
            self.findings.append(Finding(page, part, text, f"English word(s) {', '.join(words)}"))

    def value(self, page: str, part: str, text: str) -> None:
        """A value: a name, a number, a date, free text; never a stored code or a JSON object."""
        text = " ".join(text.split())
        if not text:
            return
        if text[0] in "{[" and text[-1] in "}]":
            self.findings.append(Finding(page, part, text[:80], "JSON shown as it is stored"))
            return
        if IDENTIFIER_SHAPE.match(text):
            return  # a digest, a UUID or a file name: an identifier, read as it is
        if CODE_LIKE.match(text):
            self.findings.append(Finding(page, part, text, "a code, not a name"))
            return
        raw = [w for w in WORD.findall(text) if w in self.codes]
        if raw:
            self.findings.append(Finding(page, part, text[:80], f"raw choice code(s) {', '.join(raw)}"))

    # -------------------------------------------------------------------------------------------- pages

    def page(self, url: str, content: str) -> html.HtmlElement:
        tree = html.fromstring(content)
        for part, xpath in (
            ("title", "//div[@id='content']/h1"),
            ("subtitle", "//div[@id='content']/h2"),
            ("breadcrumbs", "//*[contains(@class,'breadcrumbs')]"),
            ("sidebar", "//nav[@id='nav-sidebar']//caption|//nav[@id='nav-sidebar']//th"),
            ("app list", "//div[@id='content-main']//caption|//div[@id='content-main']//table//th[@scope='row']"),
            ("object tools", "//ul[contains(@class,'object-tools')]//a"),
            ("messages", "//ul[contains(@class,'messagelist')]/li"),
        ):
            for node in tree.xpath(xpath):
                self.label(url, part, node.text_content())
        return tree

    def changelist(self, url: str, content: str) -> list[str]:
        """Checks a changelist page; returns the links to the change pages of its rows."""
        tree = self.page(url, content)
        for node in tree.xpath("//*[@id='changelist-filter']//h2|//*[@id='changelist-filter']//summary"):
            self.label(url, "filter title", node.text_content())
        for node in tree.xpath("//*[@id='changelist-filter']//li/a"):
            self.label(url, "filter choice", node.text_content())
        for node in tree.xpath("//table[@id='result_list']/thead//th"):
            self.label(url, "column header", node.text_content())
        for node in tree.xpath("//select[@name='action']/option"):
            self.label(url, "action", node.text_content())
        for node in tree.xpath("//div[contains(@class,'xfull')]//a"):
            self.label(url, "date hierarchy", node.text_content())
        for node in tree.xpath("//input[@id='searchbar']/following-sibling::input[@type='submit']"):
            self.label(url, "search", node.get("value") or "")
        for cell in tree.xpath("//table[@id='result_list']/tbody/tr/*[self::td or self::th]"):
            column = next((c[6:] for c in (cell.get("class") or "").split() if c.startswith("field-")), "")
            if column in IDENTIFIER_COLUMNS:
                continue
            if cell.xpath(".//input[@type!='hidden' and @type!='checkbox'] | .//select | .//textarea"):
                self._form_controls(url, cell, "editable column")
                continue
            self.value(url, f"column {column}", cell.text_content())
        return [a.get("href") for a in tree.xpath("//table[@id='result_list']/tbody/tr/th//a[@href]")]

    def form(self, url: str, content: str) -> None:
        tree = self.page(url, content)
        form = tree.xpath("//div[@id='content-main']//form")
        if not form:
            return
        form = form[0]
        for part, xpath in (
            ("fieldset", ".//fieldset/h2|.//fieldset/legend|.//fieldset//summary"),
            ("inline", ".//div[contains(@class,'inline-group')]//h2|.//div[contains(@class,'inline-group')]//h3"),
            ("inline column", ".//div[contains(@class,'inline-group')]//thead//th"),
            ("label", ".//label"),
            ("help", ".//*[contains(@class,'help')]"),
            ("submit", ".//div[contains(@class,'submit-row')]//a"),
            ("error", ".//*[contains(@class,'errorlist')]/li"),
        ):
            for node in form.xpath(xpath):
                self.label(url, part, node.text_content())
        for node in form.xpath(".//input[@type='submit']"):
            self.label(url, "submit", node.get("value") or "")
        for node in form.xpath(".//div[contains(@class,'readonly')]"):
            name = next(
                (
                    c[6:]
                    for anc in node.iterancestors()
                    for c in (anc.get("class") or "").split()
                    if c.startswith("field-")
                ),
                "",
            )
            if name not in IDENTIFIER_COLUMNS:
                self.value(url, f"read-only {name}", node.text_content())
        for cell in form.xpath(".//div[contains(@class,'inline-group')]//tbody//td/p"):
            self.value(url, "inline value", cell.text_content())
        self._form_controls(url, form, "choice")

    def _form_controls(self, url: str, node, part: str) -> None:
        for option in node.xpath(".//select/option"):
            if option.get("value") in ("", None):
                continue
            self.value(url, part, option.text_content())
            self.label(url, part, re.sub(r"\([^()]*\)$", "", option.text_content()))  # "name (code)" keeps its code
        for box in node.xpath(".//ul[contains(@id,'id_')]//label"):
            self.label(url, part, box.text_content())


# ------------------------------------------------------------------------------------------------ the walk


def _url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def _listing(client, model):
    """The model's changelist as this administrator opens it, or None if it is not theirs (三员分立)."""
    listing = _url(model, "changelist")
    response = client.get(listing)
    if response.status_code in (302, 403):
        return None
    assert response.status_code == 200, (listing, response.status_code)
    return response


def walk(client, checker: Checker, models=None) -> list[str]:
    """Opens the index and, for every registered model (or only `models`), its changelist, its add page and the
    change pages of the first rows of its list (inlines included). Returns the pages opened."""
    opened = []
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    checker.page("/admin/", index.content.decode())
    for model in admin.site._registry if models is None else models:
        response = _listing(client, model)
        if response is None:
            continue  # not this administrator's (三员分立)
        listing = _url(model, "changelist")
        opened.append(listing)
        links = checker.changelist(listing, response.content.decode())
        add = _url(model, "add")
        response = client.get(add)
        if response.status_code == 200:
            opened.append(add)
            checker.form(add, response.content.decode())
        for link in links[:3]:
            response = client.get(link)
            assert response.status_code == 200, (link, response.status_code)
            opened.append(link)
            checker.form(link, response.content.decode())
    return opened


def _staff(username: str, role: str) -> User:
    user = User(username=username, display_name="测试管理员", role=role, is_staff=True)
    user.set_unusable_password()
    user.save()
    return user


ADMINISTRATORS = {
    "admin": None,  # the demo's 管理员 (Role.ADMIN, superuser): what a county's first administrator sees
    "system": Role.SYSTEM_ADMIN,
    "security": Role.SECURITY_ADMIN,
    "audit": Role.AUDIT_ADMIN,
}


@pytest.fixture
def business_rows(db, people, settings, tmp_path):
    """One row of each kind the demo world has none of: a case with its timeline, an attachment, a 督办, a
    supervised place, a big-screen display session, so that their change pages are walked too."""
    from gridsafe.cases.models import Attachment, Case, Supervision
    from gridsafe.cases.tests.helpers import Flow
    from gridsafe.core import clock
    from gridsafe.dashboards.display import display_issue
    from gridsafe.field.tests.conftest import make_place
    from gridsafe.regions.models import Region

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    flow = Flow(people)
    case = flow.dispatched()
    flow.photo(case, "fire")
    Supervision.objects.create(
        case=case, level="yellow", target_unit=case.holder_unit, issued_at=clock.now(), reply_due=clock.now()
    )
    assert Attachment.objects.filter(case=case).exists()
    # The JSON fields a case's page shows, filled as a case that went wrong would have them.
    now = clock.now().isoformat()
    Case.objects.filter(pk=case.pk).update(
        location_flags=["poor_accuracy", "outside_own_grid"],
        overdue_steps=[{"step": "sign", "started_at": now, "due_at": now, "detected_at": now}],
        cc_paths=[case.region_path.rsplit(".", 1)[0]],
    )
    grid = people["nanxi_worker"].grids.first()
    make_place(grid)
    display_issue(actor=people["admin"], name="县中心大屏", region=Region.objects.get(code="350322"), days=3, ip=None)
    return case


def _sign_in(client, people, who: str) -> None:
    role = ADMINISTRATORS[who]
    client.force_login(people["admin"] if role is None else _staff(f"walk-{who}", role))


@pytest.fixture
def walker(client, people, settings, business_rows):
    settings.GRIDSAFE_2FA_REQUIRED = False

    def run(who: str, models=None) -> tuple[Checker, list[str]]:
        _sign_in(client, people, who)
        checker = Checker(codes=choice_codes())
        return checker, walk(client, checker, models)

    return run


@pytest.mark.parametrize("who", list(ADMINISTRATORS))
def test_every_admin_page_an_administrator_opens_is_in_chinese(walker, who):
    checker, opened = walker(who)
    assert opened, f"{who} opened no admin page"
    assert not checker.findings, (
        f"{len(checker.findings)} untranslated label(s) or raw code(s) in the admin:\n"
        + "\n".join(str(f) for f in checker.findings)
    )


def test_every_registered_model_is_walked_by_some_administrator(client, people, settings, business_rows):
    """Each registered model's list is opened by at least one administrator: a page nobody may open is not
    silently skipped by the walk above. The walk goes on from a list to its pages only where the list opens, so
    the lists are what is asked here (the pages behind them are the test above's)."""
    settings.GRIDSAFE_2FA_REQUIRED = False
    missing = list(admin.site._registry)
    for who in ADMINISTRATORS:
        _sign_in(client, people, who)
        missing = [model for model in missing if _listing(client, model) is None]
    assert not missing, f"no administrator opens: {[m._meta.label for m in missing]}"


# ------------------------------------------------------------------------------------------------ the walk is honest


def test_the_walk_catches_an_english_field_label(walker, monkeypatch):
    """An English verbose_name on a field the 系统管理员 sees is caught, naming the page and the label."""
    from gridsafe.catalog.models import Domain

    monkeypatch.setattr(Domain._meta.get_field("pilot"), "verbose_name", "pilot domain")
    checker, _ = walker("system", models=[Domain])  # the walk of the test above, over the one model at stake
    found = [f for f in checker.findings if "pilot domain" in f.text.lower()]
    assert found, "the English label was not caught"
    assert any(f.page == reverse("admin:catalog_domain_changelist") for f in found)
    assert {f.part for f in found} >= {"column header", "filter title"}


def test_the_walk_catches_a_raw_choice_code_in_a_column(walker, monkeypatch):
    from gridsafe.accounts.admin import UnitAdmin
    from gridsafe.accounts.models import Unit

    monkeypatch.setattr(UnitAdmin, "list_display", ("name", "raw_kind"), raising=False)

    @admin.display(description="类型")
    def raw_kind(self, obj):
        return obj.kind

    monkeypatch.setattr(UnitAdmin, "raw_kind", raw_kind, raising=False)
    checker, _ = walker("system", models=[Unit])  # the walk of the test above, over the one model at stake
    assert any(f.part == "column raw_kind" and f.text in ("department", "centre", "station") for f in checker.findings)


def test_the_checker_rules():
    checker = Checker(codes=frozenset({"pending_review", "centre"}))
    checker.label("p", "label", "区划代码（GB/T 2260）ID")
    checker.label("p", "label", "KPI 权重")
    checker.value("p", "v", "榜头镇 (350322103)")
    checker.value("p", "v", "2026年12月6日 08:00")
    assert not checker.findings
    checker.label("p", "label", "Sort order")
    checker.value("p", "v", "dept-fire")
    checker.value("p", "v", "pending_review")
    checker.value("p", "v", '{"lon": 1}')
    checker.value("p", "v", "centre@L2 ≥2/月")
    assert [f.why.split()[0] for f in checker.findings] == ["English", "a", "a", "JSON", "raw"]


def test_every_registered_model_and_its_app_have_chinese_names():
    """The names the index, the breadcrumbs and the titles show, checked directly as well: a model no demo
    administrator may open is still named in Chinese."""
    from django.apps import apps
    from django.utils import translation

    checker = Checker(codes=frozenset())
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            opts = model._meta
            checker.label(opts.label, "model name", str(opts.verbose_name))
            checker.label(opts.label, "model name (plural)", str(opts.verbose_name_plural))
            checker.label(opts.label, "app name", str(apps.get_app_config(opts.app_label).verbose_name))
    assert not checker.findings, "\n".join(str(f) for f in checker.findings)
